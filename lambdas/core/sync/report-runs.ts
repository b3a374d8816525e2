/**
 * One pass of the run reporter: every run split but not yet reported is assessed; a finished (or
 * overdue) one gets its report written and ONE digest published, then leaves the pending list.
 */
import type { RunReport } from '../model';
import type { Clock, Notifier, RunStore, StoredPlan } from '../ports';
import { runDigest } from './notify';
import { assessRun, type RecordedOutcomes, type RunSplit } from './run-status';

/** Where runs are recorded (S3 in AWS). */
export interface PendingRunStore {
  /** Ids of runs split but not reported yet. */
  pendingRuns(): Promise<string[]>;
  split(runId: string): Promise<RunSplit>;
  outcomes(runId: string): Promise<RecordedOutcomes[]>;
  /** Takes the run off the pending list. */
  close(runId: string): Promise<void>;
  /** Ids of runs a guard held, waiting for approval. */
  heldRuns(): Promise<string[]>;
  /** Takes the run off the held list (approved, or expired). */
  closeHeld(runId: string): Promise<void>;
}

export interface ReportRunsDeps {
  store: PendingRunStore;
  /** The plans and reports (a held run's plan says whether it is still held). */
  runs: Pick<RunStore, 'loadPlan' | 'savePlan' | 'loadReport' | 'saveReport'>;
  notifier: Notifier;
  clock: Clock;
  /** A held run not approved within this many hours expires (approval.expireAfterHours). */
  expireAfterHours: number;
  reportAfterHours: number;
  /**
   * Milliseconds this pass may still use (the Lambda's remaining time minus a reserve); absent: no
   * limit. Runs not reached in time are left pending for the next pass, listed in `deferred`.
   */
  timeLeftMs?: () => number;
}

export interface ReportRunsResult {
  reported: Array<{ runId: string; state: 'complete' | 'overdue' }>;
  expired: string[];
  waiting: string[];
  /** Pending runs this pass had no time for (the next pass starts elsewhere in the list). */
  deferred: string[];
  errors: Array<{ runId: string; error: string }>;
}

/** The reserve a run's assessment may need (S3 reads of its outcomes, the report, the digest). */
export const REPORT_RUN_RESERVE_MS = 60_000;

/** The reporter's schedule: one pass every 5 minutes. */
const PASS_MS = 5 * 60_000;

/**
 * The pending runs, starting at a different run on each pass (by the pass's time slot). A huge run
 * whose outcomes take most of a pass to read cannot starve the runs listed after it: within
 * n passes every one of n pending runs is assessed first once.
 */
export function inPassOrder(runIds: readonly string[], now: Date): string[] {
  if (runIds.length === 0) return [];
  const start = Math.floor(now.getTime() / PASS_MS) % runIds.length;
  return [...runIds.slice(start), ...runIds.slice(0, start)];
}

export async function reportPendingRuns(deps: ReportRunsDeps): Promise<ReportRunsResult> {
  const result: ReportRunsResult = { reported: [], expired: [], waiting: [], deferred: [], errors: [] };
  await expireHeldRuns(deps, result);
  const outOfTime = () => deps.timeLeftMs !== undefined && deps.timeLeftMs() < REPORT_RUN_RESERVE_MS;
  for (const runId of inPassOrder(await deps.store.pendingRuns(), deps.clock.now())) {
    if (outOfTime()) {
      result.deferred.push(runId);
      continue;
    }
    try {
      const split = await deps.store.split(runId);
      const records = await deps.store.outcomes(runId);
      let status = assessRun(split, records, deps.clock.now(), deps.reportAfterHours);
      if (status.state === 'overdue' && (split.absentees ?? 0) > 0) {
        // Name the absentees that never settled: the plan knows who was queued.
        const plan = await deps.runs.loadPlan(runId);
        if (plan) status = assessRun({ ...split, absenteeLogins: queuedAbsentees(plan) }, records, deps.clock.now(), deps.reportAfterHours);
      }
      if (status.state === 'waiting') {
        result.waiting.push(runId);
        continue;
      }
      // Closed last: a crash in between repeats the report on the next pass instead of losing it.
      const where = await deps.runs.saveReport(status.report);
      await deps.notifier.publish(runDigest(status.report, where));
      await deps.store.close(runId);
      result.reported.push({ runId, state: status.state });
    } catch (err) {
      // One broken run must not hold back the others.
      result.errors.push({ runId, error: (err as Error).message });
    }
  }
  return result;
}

/** The absentees a plan queued: all of them, but those a held run keeps staged. */
function queuedAbsentees(plan: StoredPlan): string[] {
  const staged = new Set(plan.staged.filter((c) => c.absent).map((c) => c.login.toLowerCase()));
  return plan.changes.filter((c) => c.absent && !staged.has(c.login.toLowerCase())).map((c) => c.login);
}

/**
 * Held runs: one approved (its plan no longer held) leaves the list; one still held after
 * approval.expireAfterHours expires — its report says so, one alert goes out, nothing is written.
 */
async function expireHeldRuns(deps: ReportRunsDeps, result: ReportRunsResult): Promise<void> {
  for (const runId of await deps.store.heldRuns()) {
    try {
      const plan = await deps.runs.loadPlan(runId);
      if (!plan || plan.status !== 'held') {
        await deps.store.closeHeld(runId);
        continue;
      }
      const ageHours = (deps.clock.now().getTime() - Date.parse(plan.createdAt)) / 3_600_000;
      if (ageHours < deps.expireAfterHours) continue;
      const reason = `expired: not approved within ${deps.expireAfterHours} h (approval.expireAfterHours); nothing of its staged changes was written. Upload the file again for a fresh plan.`;
      await deps.runs.savePlan({ ...plan, status: 'expired', reason });
      const held = await deps.runs.loadReport(runId);
      if (held) await deps.runs.saveReport({ ...held, status: 'expired', reason });
      await deps.notifier.publish({ kind: 'expired', severity: 'failure', subject: `Coupa user sync: held run ${runId} expired`, message: `${plan.run.file}: ${reason}`, run: plan.run });
      await deps.store.closeHeld(runId);
      result.expired.push(runId);
    } catch (err) {
      result.errors.push({ runId, error: (err as Error).message });
    }
  }
}
