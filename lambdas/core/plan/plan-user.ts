/**
 * What one person's HR record means for their Coupa user: create, update, deactivate, reactivate,
 * unchanged or reject — with exactly the fields to send and each one's before → after.
 * Compares only the fields HR sets (an empty HR cell never blanks a Coupa value) and sends only
 * what differs, as the playbooks and Coupa's PUT semantics ask.
 */
import {
  REQUIRED_TO_CREATE,
  deactivates,
  isProtectedLogin,
  withoutUnownedCollections,
  type ChangeKind,
  type CollectionField,
  type CoupaUser,
  type HrRecord,
  type PlannedChange,
  type UserFields,
} from '../model';
import { diffFields, fieldChanges } from './diff';

export { diffFields } from './diff';

/** A change before the planner orders it (level) and checks its manager. */
export type UserChange = Omit<PlannedChange, 'level' | 'rows'>;

export type UserDecision =
  | { kind: 'change'; change: UserChange }
  | { kind: 'unchanged' }
  | { kind: 'reject'; errors: string[] };

export interface DecideOptions {
  /**
   * `full`: the file lists every active worker, so a listed user with no `active` value is meant
   * to be active (an inactive Coupa user is reactivated). `delta`: such a user's status is left alone.
   */
  mode?: 'delta' | 'full';
  /** Logins the sync must never change (the integration's own Coupa user, break-glass admins). */
  protectedLogins?: readonly string[];
  /** Config coupa.ownedCollections: collections not listed are never compared or sent. */
  ownedCollections?: readonly CollectionField[];
}

const UNCHANGED: UserDecision = { kind: 'unchanged' };

function change(kind: ChangeKind, login: string, send: UserChange['send'], existing?: CoupaUser): UserDecision {
  const before = existing && { ...existing.fields, login: existing.login };
  return {
    kind: 'change',
    change: { login, kind, ...(existing ? { id: existing.id } : {}), send, changes: fieldChanges(send, before) },
  };
}

/** The deactivate playbook sends active=false alone: a leaver's other changes are not worth a failure. */
function deactivation(login: string, existing: CoupaUser): UserDecision {
  return existing.fields.active === false ? UNCHANGED : change('deactivate', login, { active: false }, existing);
}

export function decideUser(input: HrRecord, existing: CoupaUser | undefined, options: DecideOptions = {}): UserDecision {
  const fields = withoutUnownedCollections(input.fields, options.ownedCollections ?? []);
  const record = { ...input, fields };
  const { action, login } = record;
  const wantsInactive = deactivates(record);

  if (!existing) {
    if (action === 'update') return { kind: 'reject', errors: [`no Coupa user with login "${login}" to update`] };
    if (action === 'deactivate') return { kind: 'reject', errors: [`no Coupa user with login "${login}" to deactivate`] };
    // An inactive employee unknown to Coupa needs nothing: creating a user only to disable it is noise.
    if (wantsInactive) return UNCHANGED;
    const missing = REQUIRED_TO_CREATE.filter((f) => !fields[f]);
    if (missing.length > 0) {
      return {
        kind: 'reject',
        errors: [`"${login}" is not in Coupa and cannot be created without ${missing.map((f) => `"${f}"`).join(', ')}`],
      };
    }
    return change('create', login, withoutNulls({ active: true, ...fields }));
  }

  const decision = wantsInactive ? deactivation(login, existing) : desiredState(record, existing, options.mode ?? 'delta');
  if (decision.kind === 'change' && isProtectedLogin(login, options.protectedLogins ?? [])) {
    return { kind: 'reject', errors: [`"${login}" is a protected login (e.g. the integration's own user) and is never changed by the sync`] };
  }
  return decision;
}

/**
 * The row is the desired state (`action=create` of a known login too: replaying a file is harmless).
 * A user matched on the fallback key (employee number or e-mail) under another login is renamed.
 */
function desiredState(record: HrRecord, existing: CoupaUser, mode: 'delta' | 'full'): UserDecision {
  const desired: UserFields = mode === 'full' && record.fields.active === undefined ? { ...record.fields, active: true } : record.fields;
  const send: UserChange['send'] = diffFields(desired, existing.fields);
  if (existing.login !== record.login) send.login = record.login;
  if (Object.keys(send).length === 0) return UNCHANGED;
  const kind: ChangeKind = existing.fields.active === false && send.active === true ? 'reactivate' : 'update';
  return change(kind, record.login, send, existing);
}

/** A new user has nothing to clear: the clear token (null) means "leave empty" there. */
function withoutNulls(fields: UserFields): UserFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null)) as UserFields;
}
