/**
 * How a run ends when it does not end with its report: refused (the file cannot be read), stale (a
 * newer file was applied first), rejected or expired (held, not approved), failed (a step kept
 * failing: the failure path), or stopped from outside (the execution failed, timed out or was aborted:
 * the EventBridge rule's run-ended). Each says so once — the run record's `failureAlertedAt` is set by
 * exactly one caller — and writes the run's report where there is a plan to report.
 */
import type { Notification, RunRecord } from '../ports';
import type { CaughtError, RunState } from './contract';
import type { RunStepDeps } from './deps';
import { buildRunReport, publishReport, withCoupaMonitoring } from './report';
import { releaseTurn } from './turns';

type EndingDeps = Pick<RunStepDeps, 'records' | 'line' | 'outcomes' | 'state' | 'notifier' | 'clock' | 'config' | 'breakerVerdict' | 'log' | 'monitor'>;

/** Text for an alert: one line, at most `max` characters. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The words of a caught error: a failed step's errorMessage (never its stack), or the cause as given. */
export function causeOf(error: CaughtError | undefined): string {
  if (!error) return 'unknown error';
  let text = error.Cause ?? '';
  try {
    const parsed = JSON.parse(text) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') text = parsed.errorMessage;
  } catch {
    // not JSON: the cause as given (SendTaskFailure's, a timeout's)
  }
  return oneLine(text || error.Error, 1000);
}

async function reportIfPlanned(record: RunRecord | undefined, deps: EndingDeps, status: 'stopped' | 'expired' | 'rejected', reason: string): Promise<string[]> {
  if (!record?.plan) {
    // Nothing planned to report; Coupa's integration run (if one was created) still fails with why.
    if (record && !record.dryRun) await (await deps.monitor?.(record.channel))?.broken(record.run.runId, reason);
    return [];
  }
  return publishReport(await withCoupaMonitoring(await buildRunReport(record, deps, { status, reason }), record, deps), deps);
}

/** RunFailed (the failure path): the report so far, one alert, then ReleaseAfterFailure gives the turn back. */
export async function fail(state: RunState, deps: EndingDeps): Promise<void> {
  const { runId } = state.run;
  const cause = causeOf(state.error);
  const record = await deps.records.get(runId);
  const queued = record && record.queued > 0 ? ` ${record.queued} change(s) were queued before it: they are still applied, and their outcomes are in the queues' logs.` : '';
  const reason = `the run failed (${state.error?.Error ?? 'error'}): ${cause}.${queued} Fix the cause, then upload the file again.`;
  const where = await reportIfPlanned(record, deps, 'stopped', reason);
  await deps.records.update(runId, { phase: 'failed' });
  if (await deps.records.markOnce(runId, 'failureAlertedAt', deps.clock.now().toISOString())) {
    await deps.notifier.publish(failedAlert(state, reason, where));
  }
}

function failedAlert(state: Pick<RunState, 'run'>, reason: string, where: string[]): Notification {
  return {
    kind: 'stopped',
    severity: 'failure',
    subject: `Coupa user sync stopped: ${state.run.file}`,
    message: [`Run ${state.run.runId}: ${reason}`, ...where.map((w) => `Report: ${w}`)].join('\n'),
    run: state.run,
  };
}

/** Expire (WaitForApproval timed out): nothing of the staged changes was written. */
export async function expire(state: RunState, deps: EndingDeps): Promise<void> {
  const hours = deps.config.approval.expireAfterHours;
  const reason = `expired: not approved within ${hours} h (approval.expireAfterHours); nothing of its staged changes was written. Upload the file again for a fresh plan.`;
  const record = await deps.records.get(state.run.runId);
  await reportIfPlanned(record, deps, 'expired', reason);
  await deps.records.update(state.run.runId, { phase: 'expired' });
  await deps.notifier.publish({ kind: 'expired', severity: 'failure', subject: `Coupa user sync: held run ${state.run.runId} expired`, message: `${state.run.file}: ${reason}`, run: state.run });
}

/** Reject (`coupa-sync reject`): the report says who refused it and why (the digest is the one message). */
export async function reject(state: RunState, deps: EndingDeps): Promise<void> {
  const why = causeOf(state.error);
  const reason = `rejected by an operator: ${why}; nothing of its staged changes was written`;
  const record = await deps.records.get(state.run.runId);
  await reportIfPlanned(record, deps, 'rejected', reason);
  await deps.records.update(state.run.runId, { phase: 'rejected' });
}

/** RefuseFile: the HR file cannot be read (or has no channel here): one alert, nothing planned or written. */
export async function refuseFile(state: RunState, deps: EndingDeps): Promise<void> {
  const cause = causeOf(state.error);
  await deps.records.update(state.run.runId, { phase: 'refused' });
  await releaseTurn(state, deps);
  if (await deps.records.markOnce(state.run.runId, 'failureAlertedAt', deps.clock.now().toISOString())) {
    await deps.notifier.publish({ kind: 'file-rejected', severity: 'failure', subject: `Coupa user sync: ${state.run.file} was not processed`, message: cause, run: state.run });
  }
}

/** Stale: a newer file of the bucket was applied before this one arrived in line: not applied over it. */
export async function stale(state: RunState, deps: EndingDeps): Promise<void> {
  await deps.records.update(state.run.runId, { phase: 'stale' });
  await deps.notifier.publish({
    kind: 'stale',
    severity: 'failure',
    subject: `Coupa user sync: ${state.run.file} was not applied (a newer file was)`,
    message:
      `${state.run.file} (run ${state.run.runId}) arrived at ${state.arrivedAt}, before a file that was applied already: applying it now ` +
      'would write older data over newer. Nothing of it was written. If it should be applied, upload it again.',
    run: state.run,
  });
}

/** What the EventBridge rule reports of an execution that stopped outside its failure path. */
export interface EndedExecution {
  runId: string;
  file?: string;
  status: string;
  cause?: string;
}

/** run-ended: the turn of an execution that FAILED, TIMED_OUT or was ABORTED is given back, and people are told once. */
export async function runEnded(ended: EndedExecution, deps: Pick<EndingDeps, 'records' | 'line' | 'notifier' | 'clock' | 'log'>): Promise<{ released: boolean; alerted: boolean }> {
  let released = false;
  for (const lane of ['apply', 'preview'] as const) released = (await deps.line.release(lane, ended.runId)) || released;
  const record = await deps.records.get(ended.runId);
  if (!record) return { released, alerted: false };
  if (!['reported', 'expired', 'rejected', 'refused', 'stale'].includes(record.phase)) await deps.records.update(ended.runId, { phase: 'failed' });
  const alerted = await deps.records.markOnce(ended.runId, 'failureAlertedAt', deps.clock.now().toISOString());
  if (alerted) {
    const reason = `its execution ${ended.status.toLowerCase().replace('_', ' ')}${ended.cause ? ` (${oneLine(ended.cause, 500)})` : ''}; its turn was given back.`;
    await deps.notifier.publish(failedAlert({ run: record.run }, `${reason} Changes already queued are still applied. Look its execution up by the run id (the runbook says where); redrive it, or upload the file again.`, []));
  }
  deps.log('run execution ended outside its failure path', { ...ended, released, alerted });
  return { released, alerted };
}
