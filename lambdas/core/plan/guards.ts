/**
 * Guards: checks on a plan before anything is written. A guard that trips holds the run (nothing
 * is written, or with roster.onHold "apply-rest" everything but the deactivations) until someone
 * approves it.
 *
 * - deactivation: more than roster.maxDeactivations users, or more than roster.maxDeactivationShare
 *   of the active users the sync may deactivate when that is also more than
 *   roster.minDeactivationsGuarded users (so a small instance's one leaver is never held) —
 *   absentees and rows marked inactive alike, in either roster mode;
 * - completeness: a full roster listing fewer logins than the last accepted full roster by more than
 *   roster.maxRosterShrink (an export cut short deactivates the people it lost).
 */
import type { SyncConfig } from '../config';
import type { GuardVerdict, PlannedChange } from '../model';

export interface GuardInput {
  mode: 'delta' | 'full';
  changes: readonly PlannedChange[];
  /** Active users the sync may deactivate; undefined when only the file's users were read. */
  eligibleActive?: number;
  /** Logins the file lists. */
  rosterLogins: number;
  /** Logins of the last full roster that was applied or approved. */
  lastAcceptedLogins?: number;
}

export type GuardResult = { verdicts: GuardVerdict[] } | { needsEligibleCount: true };

const pct = (share: number) => `${Math.round(share * 1000) / 10} %`;

export function deactivationCount(changes: readonly PlannedChange[]): number {
  return changes.filter((c) => c.kind === 'deactivate').length;
}

/**
 * The verdicts, or `needsEligibleCount` when the share test matters (more than the minimum, not
 * more than the maximum) but the number of active users is not known yet: read them all, then ask again.
 */
export function checkGuards(input: GuardInput, roster: SyncConfig['roster']): GuardResult {
  const deactivations = deactivationCount(input.changes);
  const verdicts: GuardVerdict[] = [];

  if (deactivations > roster.maxDeactivations) {
    verdicts.push({
      guard: 'deactivation',
      held: true,
      detail: `the run would deactivate ${deactivations} users, more than roster.maxDeactivations (${roster.maxDeactivations})`,
    });
  } else if (deactivations > roster.minDeactivationsGuarded) {
    if (input.eligibleActive === undefined) return { needsEligibleCount: true };
    const share = input.eligibleActive === 0 ? 1 : deactivations / input.eligibleActive;
    const held = share > roster.maxDeactivationShare;
    verdicts.push({
      guard: 'deactivation',
      held,
      detail:
        `the run would deactivate ${deactivations} of ${input.eligibleActive} active users it may deactivate (${pct(share)}), ` +
        `${held ? 'more' : 'not more'} than roster.maxDeactivationShare (${pct(roster.maxDeactivationShare)})`,
    });
  } else {
    verdicts.push({
      guard: 'deactivation',
      held: false,
      detail: `the run would deactivate ${deactivations} user(s), not more than roster.minDeactivationsGuarded (${roster.minDeactivationsGuarded})`,
    });
  }

  if (input.mode === 'full') verdicts.push(completeness(input, roster));
  return { verdicts };
}

function completeness(input: GuardInput, roster: SyncConfig['roster']): GuardVerdict {
  const last = input.lastAcceptedLogins;
  if (last === undefined) {
    return { guard: 'completeness', held: false, detail: `first full roster (${input.rosterLogins} logins): nothing to compare with yet` };
  }
  const floor = last * (1 - roster.maxRosterShrink);
  const held = input.rosterLogins < floor;
  const shrink = last === 0 ? 0 : (last - input.rosterLogins) / last;
  return {
    guard: 'completeness',
    held,
    detail:
      `the file lists ${input.rosterLogins} logins, the last accepted full roster ${last}` +
      (shrink > 0 ? ` (${pct(shrink)} fewer)` : '') +
      (held ? `: more than roster.maxRosterShrink (${pct(roster.maxRosterShrink)}) fewer, is the export complete?` : ''),
  };
}
