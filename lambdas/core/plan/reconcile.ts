/**
 * The planner: the HR roster + Coupa's users → one change per user that needs one, in the order
 * they must apply, and an outcome for every row that needs none. Pure: the reads happened before
 * (read-coupa-state.ts), the writes happen after (apply/).
 *
 *   1. each login of the file: conflicts rejected, manager resolved, matched to its Coupa user,
 *      decided (plan-user.ts);
 *   2. managers (managers.ts): a manager that exists nowhere is left out with a warning, a report
 *      waits for the manager created or reactivated in the same run, cycles are broken;
 *   3. a full roster: every active Coupa user the file does not list is deactivated, except API
 *      users, protected logins and `roster.exempt`.
 */
import type { SyncConfig } from '../config';
import { isProtectedLogin, type PlannedChange, type RowOutcome } from '../model';
import type { Roster, RosterEntry } from '../roster/roster';
import type { CoupaState } from './coupa-state';
import { fieldChanges } from './diff';
import { globMatcher } from './glob';
import { orderByManagers, resolveManagerRef, type Decided, type ManagerIndex } from './managers';
import { decideUser } from './plan-user';

export interface PlanOptions {
  file: string;
  mode: 'delta' | 'full';
  config: Pick<SyncConfig, 'coupa' | 'roster'>;
}

export interface Plan {
  /** Changes in apply order: level by level, file order within a level, absentees last. */
  changes: PlannedChange[];
  /** Rows settled by planning: unchanged, or rejected (conflicts, protected logins, a create without e-mail…). */
  settled: number;
  /**
   * Active Coupa users the sync may deactivate (all but API users, protected and exempt logins):
   * the deactivation guard's denominator. Known only when the state holds every user.
   */
  eligibleActive?: number;
}

export type Settle = (outcome: RowOutcome) => void;

function rejectRows(entry: RosterEntry, errors: string[], settle: Settle): void {
  for (const row of entry.rows) settle({ row, login: entry.login, outcome: 'rejected', errors });
}

function conflictError(file: string, entry: RosterEntry): string {
  return (
    `${file}, rows ${entry.allRows.join(', ')}: login "${entry.login}" is on ${entry.allRows.length} rows that disagree on ` +
    `${entry.conflicts.join(', ')}: two people cannot share a login; fix the file (nothing of this login was applied)`
  );
}

/** Each row of a login whose rows set fields differently (hr.duplicates "reject"), naming the other rows. */
function differingError(file: string, entry: RosterEntry, row: number): string {
  const others = entry.allRows.filter((r) => r !== row);
  return (
    `${file}, row ${row}: login "${entry.login}" is also on row${others.length > 1 ? 's' : ''} ${others.join(', ')}, and the rows differ on ` +
    `${entry.differing.join(', ')}: fix the file, or set hr.duplicates to "first" or "last" to apply one of them (nothing of this login was applied)`
  );
}

export function planRun(roster: Roster, state: CoupaState, options: PlanOptions, settle: Settle): Plan {
  return new Planner(roster, state, options, settle).finish();
}

/**
 * Whether the roster's entries can be decided as their own look-ups answer (Planner.decideUpTo):
 * not when a manager is named by another key (resolved against the whole file and Coupa) or
 * unknown logins are matched on a fallback key (looked up after every login).
 */
export function canPlanAhead(roster: Roster, options: PlanOptions): boolean {
  return roster.managerRefs === 0 && options.config.coupa.matchFallback === 'none';
}

/**
 * planRun in two steps: each login of the file decided in file order — all at once, or (a delta
 * file's look-ups, canPlanAhead) as the look-ups of its login answer, while the rest are still
 * rate-bound in flight — then managers ordered and a full roster's absentees added. Either way the
 * same plan and the same settled rows in the same order.
 */
export class Planner {
  private readonly managers: ManagerIndex | undefined;
  private readonly decided: Decided[] = [];
  private readonly matchedCoupaLogins = new Set<string>();
  private readonly entries: Iterator<RosterEntry>;
  private decidedCount = 0;
  private settled = 0;
  private readonly settleRow: Settle;

  constructor(
    private readonly roster: Roster,
    private readonly state: CoupaState,
    private readonly options: PlanOptions,
    settle: Settle,
  ) {
    this.managers = roster.managerRefs > 0 ? { roster, state } : undefined;
    this.entries = roster[Symbol.iterator]();
    this.settleRow = (o) => {
      this.settled += 1;
      settle(o);
    };
  }

  /** Decides the roster's entries up to `count` (in file order; those decided already are not again). */
  decideUpTo(count: number): void {
    while (this.decidedCount < count) {
      const next = this.entries.next();
      if (next.done) return;
      this.decidedCount += 1;
      this.decide(next.value);
    }
  }

  /** Decides the entries left, then orders the changes by managers and adds a full roster's absentees. */
  finish(): Plan {
    this.decideUpTo(Number.POSITIVE_INFINITY);
    const { options, state, settleRow } = this;
    const ordered = orderByManagers(this.decided, state);
    const changes: PlannedChange[] = [];
    for (const { entry, change, warnings, level, dependsOn } of ordered) {
      if (Object.keys(change.send).length === 0) {
        // Only a manager change, and it was left out: nothing left to send.
        for (const row of entry.rows) settleRow({ row, login: entry.login, outcome: 'unchanged', warnings });
        continue;
      }
      const planned: PlannedChange = { ...change, rows: entry.rows, level };
      if (dependsOn) planned.dependsOn = dependsOn;
      if (warnings.length) planned.warnings = warnings;
      changes.push(planned);
    }

    const absentees = findAbsentees(this.roster, state, this.matchedCoupaLogins, options);
    changes.push(...absentees.changes);
    // Stable: file order within a level, and the absentees after the level-0 changes of the file.
    changes.sort((a, b) => a.level - b.level);
    return { changes, settled: this.settled, ...(absentees.eligibleActive !== undefined ? { eligibleActive: absentees.eligibleActive } : {}) };
  }

  private decide(entry: RosterEntry): void {
    const { options, state, settleRow, managers } = this;
    const { coupa } = options.config;
    if (entry.conflicts.length > 0) {
      rejectRows({ ...entry, rows: entry.allRows }, [conflictError(options.file, entry)], settleRow);
      return;
    }
    if (entry.differing.length > 0) {
      for (const row of entry.allRows) settleRow({ row, login: entry.login, outcome: 'rejected', errors: [differingError(options.file, entry, row)] });
      return;
    }
    for (const { row, reason } of entry.skipped) {
      settleRow({ row, login: entry.login, outcome: 'skipped', skippedBy: 'hr.duplicates', errors: [`${options.file}, row ${row}: ${reason}`] });
    }
    const warnings: string[] = entry.foldNote ? [entry.foldNote] : [];
    const record = managers ? resolveManagerRef(entry.record, managers, warnings) : entry.record;
    const existing = state.get(record.login) ?? fallbackMatch(record, state, coupa.matchFallback);
    if (!existing) {
      const otherCase = state.sameLoginOtherCase(record.login);
      if (otherCase) {
        this.matchedCoupaLogins.add(otherCase.login);
        rejectRows(entry, [`Coupa has this login spelled "${otherCase.login}": logins must match exactly; correct the login in the HR file or in Coupa`], settleRow);
        return;
      }
    } else if (existing.login !== record.login) {
      // Matched on another key: that Coupa login is no absentee. (A login matched as spelled is
      // listed by the roster already; keeping it here too would cost a string a user.)
      this.matchedCoupaLogins.add(existing.login);
    }
    const decision = decideUser(record, existing, { mode: options.mode, protectedLogins: coupa.protectedLogins, ownedCollections: coupa.ownedCollections });
    if (decision.kind === 'reject') rejectRows(entry, decision.errors, settleRow);
    else if (decision.kind === 'unchanged') {
      for (const row of entry.rows) settleRow({ row, login: entry.login, outcome: 'unchanged', ...(warnings.length ? { warnings } : {}) });
    } else this.decided.push({ entry, change: decision.change, warnings });
  }
}

/** config.coupa.matchFallback: a login unknown to Coupa found by employee number or e-mail (one match only). */
function fallbackMatch(record: RosterEntry['record'], state: CoupaState, mode: SyncConfig['coupa']['matchFallback']) {
  if (mode === 'none') return undefined;
  const value = record.fields[mode];
  if (typeof value !== 'string' || value === '') return undefined;
  const matches = state.findBy(mode, value);
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * A full roster's absentees, and (whenever the state holds every user) how many active users the
 * sync may deactivate at all.
 */
function findAbsentees(
  roster: Roster,
  state: CoupaState,
  matched: Set<string>,
  options: PlanOptions,
): { changes: PlannedChange[]; eligibleActive?: number } {
  if (!state.complete) return { changes: [] };
  const { coupa, roster: rosterConfig } = options.config;
  const exempt = globMatcher(rosterConfig.exempt);
  const changes: PlannedChange[] = [];
  let eligibleActive = 0;
  for (const user of state.users()) {
    if (user.fields.active === false) continue;
    if (user.apiUser || isProtectedLogin(user.login, coupa.protectedLogins) || exempt(user.login)) continue;
    eligibleActive += 1;
    if (options.mode !== 'full' || roster.lists(user.login) || matched.has(user.login)) continue;
    const send = { active: false };
    changes.push({
      login: user.login,
      kind: 'deactivate',
      id: user.id,
      send,
      changes: fieldChanges(send, user.fields),
      rows: [],
      absent: true,
      level: 0,
    });
  }
  return { changes, eligibleActive };
}
