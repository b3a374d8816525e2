/**
 * Pre-flight: the plan checked against Coupa before anything is written, so a row Coupa would
 * refuse with a bare "Department is invalid" is rejected in the plan instead, naming the field, the
 * column and the value, and nothing is sent for it.
 *
 * - References: every value a change would send that names a Coupa record — department, chart of
 *   accounts, account (within its chart), ship-to address (location code), legal entity, default
 *   currency, and the owned collections' names (roles, content / user / approval / account groups) —
 *   must be in Coupa's list (reference-lists.ts reads each list at most once a run, only if needed).
 *   `preflight.unknownReference: "skip-field"` sends the row without that field, with a warning.
 * - E-mail collisions: a create or update whose e-mail another Coupa user holds (ignoring case) is
 *   rejected naming that login; two rows of the file sending one e-mail for different logins are both
 *   rejected naming each other, unless one of those logins holds it in Coupa (then only the other).
 *
 * Not checked: `manager` (managers.ts resolves it against the file and Coupa), `country-of-residence`
 * (an ISO code; Coupa documents no list of countries), approval limits (no documented API shape),
 * custom fields (free text, or lookups Coupa documents no generic list for). See docs/preflight.md.
 */
import type { SyncConfig } from '../config';
import type { CoupaUser, PlannedChange, UserFields } from '../model';
import type { ReferenceKind, UserDirectory } from '../ports';
import type { CoupaState } from './coupa-state';
import type { Plan, Settle } from './reconcile';
import type { ReferenceLists } from './reference-lists';

/** Each checked element, the list it must be in, and how the list's record is named in a message. */
const CHECKED: ReadonlyArray<{ field: keyof UserFields; kind: ReferenceKind; noun: string }> = [
  { field: 'department', kind: 'departments', noun: 'a department' },
  { field: 'default-account-type', kind: 'account-types', noun: 'a chart of accounts' },
  { field: 'default-account', kind: 'accounts', noun: 'an account' },
  { field: 'default-address', kind: 'addresses', noun: 'an address location code' },
  { field: 'legal-entity', kind: 'legal-entities', noun: 'a legal entity' },
  { field: 'default-currency', kind: 'currencies', noun: 'a currency' },
  { field: 'roles', kind: 'roles', noun: 'a role' },
  { field: 'content-groups', kind: 'content-groups', noun: 'a content group' },
  { field: 'user-groups', kind: 'user-groups', noun: 'a user group' },
  { field: 'approval-groups', kind: 'approval-groups', noun: 'an approval group' },
  { field: 'account-groups', kind: 'account-groups', noun: 'an account group' },
];

export interface PreflightDeps {
  /** Coupa's reference lists; absent (CSO, or a caller that wires none): references are not checked. */
  references?: ReferenceLists;
  /** For the bulk `email[in]` look-up when the state does not hold every user. */
  directory: Pick<UserDirectory, 'findBy'>;
  config: Pick<SyncConfig, 'preflight' | 'hr'>;
}

interface Problem {
  field: keyof UserFields;
  /** What is wrong, without the row number (added per row). */
  text: string;
  /** What to do about it. */
  fix: string;
}

/** Cut like the mapping's messages: a reference value is the instance's vocabulary, not personal data. */
const shown = (value: string) => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
const label = (field: string) => field.replace(/-/g, ' ');
const SENDS_FIELDS = new Set<PlannedChange['kind']>(['create', 'update', 'reactivate']);

/** The HR column a field comes from (`hr.fields.<field>.from`; the field's own name when headers are element names). */
export function columnOf(field: string, hr: SyncConfig['hr']): string {
  const rule = hr.fields?.[field] as { from?: unknown; template?: unknown; value?: unknown } | undefined;
  if (!rule) return field;
  if (typeof rule.from === 'string') return rule.from.trim();
  if (Array.isArray(rule.from)) return rule.from.map(String).join('" or "');
  return rule.template !== undefined ? 'template' : 'constant value';
}

/**
 * Checks `plan` against Coupa: changes with a problem leave the plan and their rows are settled
 * `rejected` (or, skip-field, lose the field and carry a warning). Returns the plan that remains.
 */
export async function preflightPlan(plan: Plan, state: CoupaState, deps: PreflightDeps, settle: Settle): Promise<Plan> {
  const { preflight, hr } = deps.config;
  if (!preflight.enabled) return plan;
  let settled = plan.settled;
  const settleRow: Settle = (o) => {
    settled += 1;
    settle(o);
  };
  const column = (field: string) => columnOf(field, hr);
  const candidates = plan.changes.filter((c) => SENDS_FIELDS.has(c.kind) && !c.absent);
  const collisions = await emailCollisions(candidates, state, deps.directory, column);

  const rejected = new Set<PlannedChange>();
  const rewritten = new Map<PlannedChange, PlannedChange>();
  for (const change of candidates) {
    // Most changes of a large plan send no reference at all (a renamed user): no await for those.
    const unknown = deps.references && sendsReference(change) ? await unknownReferences(change, state, deps.references, column) : [];
    const collision = collisions.get(change) ?? [];
    const skipping = preflight.unknownReference === 'skip-field';
    if (collision.length > 0 || (unknown.length > 0 && !skipping)) {
      const problems = [...collision, ...unknown];
      for (const row of change.rows) {
        settleRow({ row, login: change.login, outcome: 'rejected', errors: problems.map((p) => `row ${row}: ${p.text}: ${p.fix}; nothing of this row was sent`) });
      }
      rejected.add(change);
    } else if (unknown.length > 0) {
      const warnings = unknown.map((p) => `${p.text}: sent without ${label(p.field)} (preflight.unknownReference "skip-field"); ${p.fix}`);
      rewritten.set(change, without(change, new Set(unknown.map((p) => p.field)), warnings));
    }
  }
  if (rejected.size === 0 && rewritten.size === 0) return plan;

  // A report waiting for a manager this run no longer creates keeps its old manager, as at apply.
  const rejectedLogins = new Set([...rejected].map((c) => c.login.toLowerCase()));
  const changes: PlannedChange[] = [];
  for (const original of plan.changes) {
    if (rejected.has(original)) continue;
    let change = rewritten.get(original) ?? original;
    if (change.dependsOn && rejectedLogins.has(change.dependsOn.toLowerCase())) {
      change = without(change, new Set(['manager']), [`manager "${change.dependsOn}" was rejected in pre-flight: the manager was left unchanged`]);
      delete change.dependsOn;
    }
    if (Object.keys(change.send).length === 0) {
      for (const row of change.rows) settleRow({ row, login: change.login, outcome: 'unchanged', ...(change.warnings ? { warnings: change.warnings } : {}) });
      continue;
    }
    changes.push(change);
  }
  return { ...plan, changes, settled };
}

/** The change without `fields` (sent and shown), with `warnings` added. */
function without(change: PlannedChange, fields: ReadonlySet<string>, warnings: string[]): PlannedChange {
  const send = Object.fromEntries(Object.entries(change.send).filter(([k]) => !fields.has(k))) as PlannedChange['send'];
  return {
    ...change,
    send,
    changes: change.changes.filter((c) => !fields.has(c.field)),
    warnings: [...(change.warnings ?? []), ...warnings],
  };
}

function sendsReference(change: PlannedChange): boolean {
  for (const { field } of CHECKED) if (change.send[field] !== undefined && change.send[field] !== null) return true;
  return false;
}

async function unknownReferences(change: PlannedChange, state: CoupaState, lists: ReferenceLists, column: (f: string) => string): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const { field, kind, noun } of CHECKED) {
    const value = change.send[field];
    if (value === undefined || value === null) continue;
    const names = Array.isArray(value) ? (value as string[]) : [String(value)];
    // An account resolves within the user's chart of accounts: the one sent with it, else the one it
    // has (the user is decoded only then: a 100,000-change plan would decode every user once more).
    const chart = field === 'default-account' ? chartOf(change.send, change.id !== undefined ? state.get(change.login) : undefined) : undefined;
    for (const name of names) {
      if (name.trim() === '' || (await lists.has(kind, name, chart))) continue;
      const where = chart !== undefined ? ` of chart of accounts ${shown(chart)}` : '';
      problems.push({ field, text: `${label(field)} ${shown(name)} (column "${column(field)}") is not ${noun}${where} in Coupa`, fix: 'add it in Coupa or correct the HR file' });
    }
  }
  return problems;
}

function chartOf(send: UserFields, current: CoupaUser | undefined): string | undefined {
  const chart = send['default-account-type'] ?? current?.fields['default-account-type'];
  return typeof chart === 'string' && chart !== '' ? chart : undefined;
}

/**
 * Which changes send an e-mail another login holds in Coupa, or another row of the file sends too.
 * The holders come from the state when it holds every user, else from one bulk `email[in]` look-up.
 */
async function emailCollisions(
  changes: PlannedChange[],
  state: CoupaState,
  directory: Pick<UserDirectory, 'findBy'>,
  column: (f: string) => string,
): Promise<Map<PlannedChange, Problem[]>> {
  const byEmail = new Map<string, PlannedChange[]>();
  for (const change of changes) {
    const email = change.send.email;
    if (typeof email === 'string' && email.trim() !== '') {
      const key = email.trim().toLowerCase();
      byEmail.set(key, [...(byEmail.get(key) ?? []), change]);
    }
  }
  const result = new Map<PlannedChange, Problem[]>();
  if (byEmail.size === 0) return result;
  const holders = new Map<string, CoupaUser[]>();
  const found = state.complete ? [...byEmail.keys()].flatMap((e) => state.findBy('email', e)) : await directory.findBy('email', [...byEmail.keys()]);
  for (const user of found) {
    const key = String(user.fields.email ?? '').trim().toLowerCase();
    if (byEmail.has(key) && !holders.get(key)?.some((u) => u.id === user.id)) holders.set(key, [...(holders.get(key) ?? []), user]);
  }
  const emailColumn = column('email');
  for (const [key, claimants] of byEmail) {
    const held = holders.get(key) ?? [];
    const logins = new Set(claimants.map((c) => c.login));
    const holderClaims = held.some((u) => logins.has(u.login));
    for (const change of claimants) {
      const problems: Problem[] = [];
      const other = held.find((u) => u.id !== change.id && u.login !== change.login);
      if (other) {
        problems.push({
          field: 'email',
          text: `e-mail (column "${emailColumn}") belongs to Coupa user "${other.login}" already`,
          fix: "Coupa allows one user per e-mail (ignoring case); correct the HR file, or change that user's e-mail in Coupa first",
        });
      } else if (!holderClaims) {
        const rivals = claimants.filter((c) => c.login !== change.login);
        if (rivals.length > 0) {
          const named = rivals.map((c) => `"${c.login}" (row${c.rows.length > 1 ? 's' : ''} ${c.rows.join(', ')})`).join(', ');
          problems.push({
            field: 'email',
            text: `e-mail (column "${emailColumn}") is also sent for login ${named} in this file`,
            fix: 'Coupa allows one user per e-mail; correct one of the rows',
          });
        }
      }
      if (problems.length > 0) result.set(change, problems);
    }
  }
  return result;
}
