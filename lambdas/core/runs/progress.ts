/**
 * WaitForApply: every queued change settles (applied, failed, skipped, or — CSV — delivered to
 * Coupa's loader and its verdict read back); the consumers count them on the run record. The run
 * keeps its turn until then. Past reports.reportAfterHours it alerts once ("overdue") and keeps
 * waiting — the queue's retries and dead-letter queue settle every change in the end — except that a
 * CSV run whose every change was delivered is reported then, with the rows whose verdict Coupa has not
 * given yet as `submitted` (the file is in Coupa's hands; a later verdict reports the run again).
 */
import type { ApplyProgress, RunState } from './contract';
import type { RunStepDeps } from './deps';

export const FIRST_APPLY_WAIT_S = 15;
export const MAX_APPLY_WAIT_S = 600;

export function nextApplyWait(previous: ApplyProgress | undefined): number {
  if (!previous) return FIRST_APPLY_WAIT_S;
  return Math.min(MAX_APPLY_WAIT_S, Math.max(FIRST_APPLY_WAIT_S, Math.ceil(previous.waitSeconds * 1.5)));
}

export async function checkApply(state: RunState, deps: Pick<RunStepDeps, 'records' | 'notifier' | 'clock' | 'config'>): Promise<ApplyProgress> {
  const { runId } = state.run;
  const record = await deps.records.get(runId);
  if (!record) throw new Error(`run ${runId} has no record`);
  const { queued, settled, failed, submitted } = record;
  const progress = { queued, settled, failed };
  // Final outcomes: the settled ones but those (CSV) whose loader verdict is not read yet.
  if (settled - submitted >= queued) return { done: true, ...progress, waitSeconds: 0 };
  const hours = deps.config.reports.reportAfterHours;
  const since = Date.parse(record.plan?.startedAt ?? record.admittedAt);
  const overdue = deps.clock.now().getTime() - since > hours * 3_600_000;
  if (overdue && settled >= queued) return { done: true, ...progress, waitSeconds: 0 };
  if (overdue && (await deps.records.markOnce(runId, 'overdueAlertedAt', deps.clock.now().toISOString()))) {
    await deps.notifier.publish({
      kind: 'overdue',
      severity: 'failure',
      subject: `Coupa user sync: ${state.run.file} is still applying after ${hours} h`,
      message:
        `Run ${runId}: ${settled} of ${queued} queued change(s) have an outcome after ${hours} h (reports.reportAfterHours). ` +
        'The run keeps its turn until every change has one: look at the api/csv queues, their dead-letter queues and the consumer ' +
        'logs. Later runs of the bucket wait behind it.',
      run: state.run,
    });
  }
  return { done: false, ...progress, waitSeconds: nextApplyWait(state.apply) };
}
