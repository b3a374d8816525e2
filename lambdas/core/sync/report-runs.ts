/**
 * One pass of the run reporter: every run split but not yet reported is assessed; a finished (or
 * overdue) one gets its report written and ONE digest published, then leaves the pending list.
 */
import type { RunReport } from '../model';
import type { Clock, Notifier } from '../ports';
import { runDigest } from './notify';
import { assessRun, type RecordedOutcomes, type RunSplit } from './run-status';

/** Where runs are recorded (S3 in AWS). */
export interface RunStore {
  /** Ids of runs split but not reported yet. */
  pendingRuns(): Promise<string[]>;
  split(runId: string): Promise<RunSplit>;
  outcomes(runId: string): Promise<RecordedOutcomes[]>;
  /** Writes the report files; returns where they are, in the order the digest names them. */
  saveReport(report: RunReport): Promise<string[]>;
  /** Takes the run off the pending list. */
  close(runId: string): Promise<void>;
}

export interface ReportRunsDeps {
  store: RunStore;
  notifier: Notifier;
  clock: Clock;
  reportAfterHours: number;
}

export interface ReportRunsResult {
  reported: Array<{ runId: string; state: 'complete' | 'overdue' }>;
  waiting: string[];
  errors: Array<{ runId: string; error: string }>;
}

export async function reportPendingRuns(deps: ReportRunsDeps): Promise<ReportRunsResult> {
  const result: ReportRunsResult = { reported: [], waiting: [], errors: [] };
  for (const runId of await deps.store.pendingRuns()) {
    try {
      const status = assessRun(await deps.store.split(runId), await deps.store.outcomes(runId), deps.clock.now(), deps.reportAfterHours);
      if (status.state === 'waiting') {
        result.waiting.push(runId);
        continue;
      }
      // Closed last: a crash in between repeats the report on the next pass instead of losing it.
      const where = await deps.store.saveReport(status.report);
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
