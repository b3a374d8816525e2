/**
 * Managers first. A user's manager must exist in Coupa when the user is written ("Manager is
 * invalid" otherwise), so:
 * - a manager named by employee number or e-mail is resolved to a login, in the file first, then in
 *   Coupa;
 * - a manager created or reactivated by the same run is applied first: the report's change gets
 *   the next level (and `dependsOn`), whatever the order of the rows in the file;
 * - a manager that exists nowhere, or a cycle of new managers, does not fail the user: the manager
 *   change is left out and the row says why.
 * Messages name logins only: an employee number or e-mail is personal data.
 */
import type { HrRecord } from '../model';
import { loginKey, type Roster, type RosterEntry } from '../roster/roster';
import type { CoupaState, MatchKey } from './coupa-state';
import type { UserChange } from './plan-user';

export interface ManagerIndex {
  roster: Roster;
  state: CoupaState;
}

const KEY_NOUN: Record<MatchKey, string> = { 'employee-number': 'employee number', email: 'e-mail' };

/** The roster's logins by employee number / e-mail (lower-cased), built once per roster and key. */
const rosterIndexes = new WeakMap<Roster, Map<MatchKey, Map<string, string[]>>>();

function rosterLoginsBy(roster: Roster, key: MatchKey, value: string): string[] {
  let byKey = rosterIndexes.get(roster);
  if (!byKey) rosterIndexes.set(roster, (byKey = new Map()));
  let index = byKey.get(key);
  if (!index) {
    index = new Map();
    for (const entry of roster) {
      const v = entry.record.fields[key];
      if (typeof v !== 'string' || v === '') continue;
      const logins = index.get(v.toLowerCase());
      if (logins) logins.push(entry.login); // push: a shared value (one e-mail for many) stays linear
      else index.set(v.toLowerCase(), [entry.login]);
    }
    byKey.set(key, index);
  }
  return index.get(value.toLowerCase()) ?? [];
}

/** `managerRef` → `fields.manager` (a login), or a warning and no manager change. */
export function resolveManagerRef(record: HrRecord, index: ManagerIndex, warnings: string[]): HrRecord {
  const ref = record.managerRef;
  if (!ref) return record;
  const { managerRef: _, ...rest } = record;
  const inFile = rosterLoginsBy(index.roster, ref.matchOn, ref.value);
  const logins = inFile.length > 0 ? inFile : index.state.findBy(ref.matchOn, ref.value).map((u) => u.login);
  const noun = KEY_NOUN[ref.matchOn];
  if (logins.length === 1) return { ...rest, fields: { ...rest.fields, manager: logins[0] } };
  warnings.push(
    logins.length === 0
      ? `the manager's ${noun} matches nobody in the file or in Coupa: the manager was left unchanged`
      : `the manager's ${noun} matches ${logins.length} users (${logins.slice(0, 5).join(', ')}): the manager was left unchanged`,
  );
  return rest;
}

export interface Decided {
  entry: RosterEntry;
  change: UserChange;
  warnings: string[];
}

export interface Ordered extends Decided {
  level: number;
  dependsOn?: string;
}

function dropManager(item: Decided, why: string): void {
  const { manager: _, ...send } = item.change.send;
  item.change = { ...item.change, send, changes: item.change.changes.filter((c) => c.field !== 'manager') };
  item.warnings.push(why);
}

/** Levels by manager dependency; changes to managers that exist nowhere lose their manager change. */
export function orderByManagers(decided: Decided[], state: CoupaState): Ordered[] {
  // Users this run creates or reactivates: a report naming one of them must wait for it.
  const arriving = new Map<string, Decided>();
  for (const d of decided) if (d.change.kind === 'create' || d.change.kind === 'reactivate') arriving.set(loginKey(d.change.login), d);

  const waitsFor = new Map<Decided, Decided>();
  for (const d of decided) {
    const manager = d.change.send.manager;
    if (typeof manager !== 'string' || manager === '') continue;
    if (loginKey(manager) === loginKey(d.change.login)) {
      dropManager(d, 'a user cannot be their own manager: the manager was left unchanged');
      continue;
    }
    const first = arriving.get(loginKey(manager));
    if (first) waitsFor.set(d, first);
    else if (!state.get(manager) && !state.sameLoginOtherCase(manager)) {
      dropManager(d, `manager "${manager}" is not in Coupa and not created by this file: the manager was left unchanged`);
    }
  }

  const levels = new Map<Decided, number>();
  const breakCycle = (cycle: Decided[]) => {
    const names = [...cycle.map((c) => c.change.login), cycle[0].change.login].join(' → ');
    for (const member of cycle) {
      waitsFor.delete(member);
      dropManager(member, `the new managers form a cycle (${names}): the manager was left unchanged`);
      levels.set(member, 0);
    }
  };
  // Walks each chain of new managers once, iteratively (a file may chain thousands of them).
  const levelOf = (start: Decided): void => {
    const path: Decided[] = [];
    const onPath = new Set<Decided>();
    let node: Decided | undefined = start;
    while (node && !levels.has(node)) {
      if (onPath.has(node)) {
        breakCycle(path.slice(path.indexOf(node)));
        break;
      }
      path.push(node);
      onPath.add(node);
      node = waitsFor.get(node);
    }
    // Unwind: each node is one level above the manager it waits for.
    for (let i = path.length - 1; i >= 0; i--) {
      if (levels.has(path[i])) continue;
      const manager = waitsFor.get(path[i]);
      levels.set(path[i], manager ? (levels.get(manager) ?? 0) + 1 : 0);
    }
  };

  for (const d of decided) {
    // Most users wait for nobody (every user of a first load): level 0 without walking a chain.
    if (!waitsFor.has(d)) levels.set(d, levels.get(d) ?? 0);
    else levelOf(d);
  }
  return decided.map((d) => {
    const manager = waitsFor.get(d);
    const ordered: Ordered = { entry: d.entry, change: d.change, warnings: d.warnings, level: levels.get(d) ?? 0 };
    if (manager) ordered.dependsOn = manager.change.login;
    return ordered;
  });
}
