/**
 * An outcome ledger that also settles: once an outcome record of queued changes is written, the
 * run's record counts those logins as settled (RunRecordStore.settle: once per login, failed ones
 * in `failed`; CSV `submitted` apart), which is what the run's WaitForApply state polls. A run
 * already reported when one of its changes settles (a change redriven from a dead-letter queue,
 * a late loader verdict) is reported again: a report-again execution (RunStarter).
 *
 * Only the consumers of queued changes use it (api-consumer, the retry budget's dead-lettering,
 * csv-batcher, csv-results-poller, dlq-notifier); the planner's own records (rejected or
 * unchanged rows of the plan) are never queued and settle nothing.
 *
 * Written first, settled second: a failure between the two throws, the caller's batch comes back,
 * and the redelivery records and settles again (settle counts each login once, so twice is harmless).
 */
import type { Outcome, RowOutcome, RunRef } from '../../core/model';
import type { OutcomeLedger, RunRecordStore, RunStarter } from '../../core/ports';

export interface SettlingDeps {
  records: RunRecordStore;
  starter: RunStarter;
  now?: () => Date;
}

/** One outcome per login (a change of several HR rows has one outcome; settle counts logins). */
export function settledLogins(outcomes: readonly RowOutcome[]): Array<{ login: string; outcome: Outcome }> {
  const byLogin = new Map<string, { login: string; outcome: Outcome }>();
  for (const { login, outcome } of outcomes) {
    const key = login.toLowerCase();
    // A failed row of a login wins over its other rows: the change did not apply.
    if (byLogin.get(key)?.outcome !== 'failed') byLogin.set(key, { login, outcome });
  }
  return [...byLogin.values()];
}

export class SettlingLedger implements OutcomeLedger {
  constructor(
    private readonly target: OutcomeLedger,
    private readonly deps: SettlingDeps,
  ) {}

  async record(run: RunRef, outcomes: RowOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.target.record(run, outcomes);
    // A run with no record (never admitted here, or expired by the table's TTL) has no counts to keep:
    // its outcomes are written, and settling would fail for ever (the batch would come back for ever).
    if (!(await this.deps.records.get(run.runId))) return;
    await this.deps.records.settle(run.runId, settledLogins(outcomes));
    // Read after settling: a run reported before this settle missed these outcomes; one reported after includes them.
    const record = await this.deps.records.get(run.runId);
    if (record?.phase !== 'reported') return;
    await this.deps.starter.reportAgain(record);
    await this.deps.records.update(run.runId, { reportAgainAt: (this.deps.now?.() ?? new Date()).toISOString() });
  }
}
