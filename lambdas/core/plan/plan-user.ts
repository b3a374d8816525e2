/**
 * Decides what one HR record means for Coupa: the pure heart of the sync.
 * Compares only the fields HR sets (an empty HR cell never blanks a Coupa value) and
 * sends only what differs, as the playbooks and Coupa's PUT semantics ask.
 */
import {
  REQUIRED_TO_CREATE,
  deactivates,
  isProtectedLogin,
  withoutUnownedCollections,
  type CollectionField,
  type CoupaUser,
  type HrRecord,
  type UserFields,
} from '../model';
import { diffFields } from './diff';

export { diffFields } from './diff';

export type Plan =
  | { kind: 'create'; fields: UserFields; changedFields: string[] }
  | { kind: 'update' | 'deactivate'; id: string; changes: UserFields; changedFields: string[] }
  | { kind: 'unchanged' }
  | { kind: 'reject'; errors: string[] };

export interface PlanOptions {
  /** Logins the sync must never change (the integration's own Coupa user, break-glass admins). */
  protectedLogins?: readonly string[];
  /**
   * Config coupa.ownedCollections. Collections not listed are dropped from the record before
   * planning (a message queued under another config must not replace a set HR does not own).
   */
  ownedCollections?: readonly CollectionField[];
}

function deactivation(existing: CoupaUser): Plan {
  if (existing.fields.active === false) return { kind: 'unchanged' };
  // The deactivate playbook sends active=false alone; other fields of a leaver are not worth a failure.
  return { kind: 'deactivate', id: existing.id, changes: { active: false }, changedFields: ['active'] };
}

export function planRecord(input: HrRecord, existing: CoupaUser | undefined, options: PlanOptions = {}): Plan {
  const record = { ...input, fields: withoutUnownedCollections(input.fields, options.ownedCollections ?? []) };
  const { action, fields, login } = record;
  const wantsInactive = deactivates(record);

  if (!existing) {
    if (action === 'update') return { kind: 'reject', errors: [`no Coupa user with login "${login}" to update`] };
    if (action === 'deactivate') return { kind: 'reject', errors: [`no Coupa user with login "${login}" to deactivate`] };
    // An inactive employee unknown to Coupa needs nothing: creating a user only to disable it is noise.
    if (wantsInactive) return { kind: 'unchanged' };
    const missing = REQUIRED_TO_CREATE.filter((f) => !fields[f]);
    if (missing.length > 0) {
      return {
        kind: 'reject',
        errors: [`"${login}" is not in Coupa and cannot be created without ${missing.map((f) => `"${f}"`).join(', ')}`],
      };
    }
    const created: UserFields = { active: true, ...fields };
    return { kind: 'create', fields: created, changedFields: Object.keys(created) };
  }

  const plan: Plan = action === 'deactivate' ? deactivation(existing) : planDesiredState(record, existing);
  if (plan.kind !== 'unchanged' && isProtectedLogin(login, options.protectedLogins ?? [])) {
    return { kind: 'reject', errors: [`"${login}" is a protected login (e.g. the integration's own user) and is never changed by the sync`] };
  }
  return plan;
}

/**
 * No action (or create/update): the row is the desired state; `create` of a known login is idempotent.
 * A user matched by the fallback key (employee number or e-mail) under another login is renamed.
 */
function planDesiredState(record: HrRecord, existing: CoupaUser): Plan {
  const changes = diffFields(record.fields, existing.fields);
  if (existing.login !== record.login) Object.assign(changes, { login: record.login });
  const changedFields = Object.keys(changes);
  if (changedFields.length === 0) return { kind: 'unchanged' };
  // A leaver's other changes must not be able to fail the deactivation (e.g. an e-mail now taken).
  if (changes.active === false) return deactivation(existing);
  return { kind: 'update', id: existing.id, changes, changedFields };
}
