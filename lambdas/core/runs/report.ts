/**
 * Report: every outcome recorded for the run (the plan's, the consumers', the loader's, the
 * dead-letter queues'), the last of each row winning, streamed into a spool (a LineSpool in the
 * step's temporary folder: a 500,000-row run is never 500,000 objects in memory), rendered as JSON, CSV and HTML
 * and sent as one digest. The same step writes a held run's report (what it would do, waiting for
 * approval), and the report of a run that ended otherwise (failed, expired, rejected).
 */
import type { RowOutcome, RunReport, RunStatus } from '../model';
import type { RunRecord } from '../ports';
import { RowOutcomes } from '../run/row-outcomes';
import { runDigest } from '../sync/notify';
import type { RunState } from './contract';
import type { RunStepDeps } from './deps';

type ReportDeps = Pick<RunStepDeps, 'records' | 'outcomes' | 'state' | 'notifier' | 'clock' | 'config' | 'breakerVerdict' | 'monitor'>;

/** How the run ended, when not as its plan said: the report's status and the reason given first. */
export interface Ending {
  status: RunStatus;
  reason: string;
}

/** Builds and keeps the run's report from its recorded outcomes; returns it (its rows may be read from the spool). */
export async function buildRunReport(record: RunRecord, deps: ReportDeps, ending?: Ending): Promise<RunReport> {
  const plan = record.plan;
  if (!plan) throw new Error(`run ${record.run.runId} has no plan to report`);
  const outcomes = new RowOutcomes(deps.state.outcomeSpool?.(record.run.runId));
  const seen = new Uint8Array(plan.rows + 1);
  let last = plan.startedAt;
  for await (const recorded of deps.outcomes.read(record.run.runId)) {
    if (recorded.recordedAt > last) last = recorded.recordedAt;
    for (const o of recorded.outcomes) {
      outcomes.add(o);
      if (!o.absent && o.row > 0 && o.row <= plan.rows) seen[o.row] = 1;
    }
  }
  // Every row ends in the report: one that never got an outcome (it should not happen) says so.
  const lost = 'no outcome was recorded for this row (check the dead-letter queues and the consumer logs)';
  for (let row = 1; row <= plan.rows; row++) if (!seen[row]) outcomes.add({ row, login: '', outcome: 'failed', errors: [lost] } satisfies RowOutcome);

  const details = { ...plan.details };
  if (record.approvedAt && !ending) {
    details.status = 'complete';
    details.reason = `approved at ${record.approvedAt}${record.approvedBy ? ` by ${record.approvedBy}` : ''} (${plan.details.reason ?? 'held'})`;
  }
  const verdict = await deps.breakerVerdict?.(record.run.runId);
  if (verdict?.state === 'tripped' && !ending) {
    details.status = 'stopped';
    details.reason = [details.reason, verdict.reason ?? `the circuit breaker stopped run ${record.run.runId}`].filter(Boolean).join('; ');
  }
  if (ending) {
    details.status = ending.status;
    details.reason = [ending.reason, plan.details.reason].filter(Boolean).join('; ');
  }
  const finishedAt = ending || details.status === 'held' ? deps.clock.now() : new Date(last);
  return outcomes.report(record.run, new Date(plan.startedAt), finishedAt, details);
}

/**
 * The run as Coupa's integration monitoring shows it: a held run's summary so far, an ended run's
 * integration run closed (errors raised for its failed rows, earlier ones resolved). A plan-only run has none.
 */
export async function withCoupaMonitoring(report: RunReport, record: RunRecord, deps: Pick<RunStepDeps, 'monitor' | 'state'>): Promise<RunReport> {
  if (record.dryRun) return report;
  const monitor = await deps.monitor?.(record.channel);
  if (!monitor) return report;
  const summary =
    report.status === 'held'
      ? await monitor.summary(record.run.runId)
      : await monitor.ended(report, (await deps.state.loadPlan(record.run.runId))?.changes ?? []);
  return summary ? { ...report, coupaMonitoring: summary } : report;
}

/** Writes the report files and publishes the one digest; returns where the report is. */
export async function publishReport(report: RunReport, deps: Pick<RunStepDeps, 'state' | 'notifier'>): Promise<string[]> {
  const where = await deps.state.saveReport(report);
  await deps.notifier.publish(runDigest(report, where));
  return where;
}

/** Report (the run's last step before it gives its turn back) and ReportHeld. */
export async function report(state: RunState, kind: 'final' | 'held', deps: ReportDeps): Promise<{ status: RunStatus }> {
  const record = await deps.records.get(state.run.runId);
  if (!record) throw new Error(`run ${state.run.runId} has no record`);
  const built = await withCoupaMonitoring(await buildRunReport(record, deps, kind === 'held' ? { status: 'held', reason: '' } : undefined), record, deps);
  await publishReport(built, deps);
  if (kind === 'final') {
    await deps.records.update(state.run.runId, { phase: 'reported', reportedAt: deps.clock.now().toISOString() });
    const plan = record.plan!;
    if (plan.details.mode === 'full' && built.status === 'complete' && !record.dryRun) {
      await deps.state.acceptRoster({ runId: state.run.runId, logins: plan.rosterLogins, at: deps.clock.now().toISOString() });
    }
  }
  return { status: built.status };
}
