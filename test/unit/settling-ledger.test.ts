import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { SettlingLedger } from '../../lambdas/adapters/aws/settling-ledger';
import type { RowOutcome, RunRef } from '../../lambdas/core/model';
import type { RunRecord, RunStarter } from '../../lambdas/core/ports';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { applyingRunRecord } from './handler-fixtures';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
beforeEach(() => db.reset());
afterAll(() => db?.close());

const run: RunRef = { runId: 'run-1', file: 'hr.csv' };
const outcome = (row: number, login: string, what: RowOutcome['outcome']): RowOutcome => ({ row, login, outcome: what });

function harness() {
  const written: RowOutcome[][] = [];
  const started: Array<Pick<RunRecord, 'run' | 'bucket'>> = [];
  const records = new DynamoRunRecords(db.client, db.tableName);
  const starter: RunStarter = { reportAgain: async (record) => (started.push(record), true) };
  const ledger = new SettlingLedger({ record: async (_run, outcomes) => void written.push(outcomes) }, { records, starter, now: () => new Date('2026-12-06T23:00:00Z') });
  return { written, started, records, ledger };
}

describe('SettlingLedger (run records on dynalite)', () => {
  it('writes the outcomes, then counts each login once as settled, its failures in failed', async () => {
    // Prepare
    const { written, records, ledger, started } = harness();
    await records.create(applyingRunRecord(run.runId, { queued: 3 }));
    // Act: a change of two HR rows, a failed one; then the same batch again (redelivered)
    const batch = [outcome(2, 'ann', 'created'), outcome(5, 'ann', 'created'), outcome(3, 'bob', 'failed')];
    await ledger.record(run, batch);
    await ledger.record(run, batch);
    // Assess
    expect(written).toEqual([batch, batch]);
    expect(await records.get(run.runId)).toMatchObject({ settled: 2, failed: 1, phase: 'applying' });
    expect(started).toEqual([]);
  });

  it('starts a report-again execution when the run was reported already, and notes when', async () => {
    // Prepare
    const { records, ledger, started } = harness();
    await records.create(applyingRunRecord(run.runId, { queued: 1, phase: 'reported', bucket: 'drop-bucket' }));
    // Act: a change redriven from the dead-letter queue settles
    await ledger.record(run, [outcome(4, 'late', 'updated')]);
    // Assess
    expect(started.map((r) => [r.run.runId, r.bucket])).toEqual([['run-1', 'drop-bucket']]);
    expect(await records.get(run.runId)).toMatchObject({ settled: 1, reportAgainAt: '2026-12-06T23:00:00.000Z' });
  });

  it('writes the outcomes of a run with no record and settles nothing (no batch comes back for ever)', async () => {
    // Prepare
    const { written, records, ledger } = harness();
    // Act
    await ledger.record(run, [outcome(1, 'ann', 'created')]);
    // Assess
    expect(written).toHaveLength(1);
    expect(await records.get(run.runId)).toBeUndefined();
  });

  it('settles nothing when the outcomes could not be written (the caller hands the batch back)', async () => {
    // Prepare
    const records = new DynamoRunRecords(db.client, db.tableName);
    await records.create(applyingRunRecord(run.runId, { queued: 1 }));
    const ledger = new SettlingLedger(
      { record: async () => Promise.reject(new Error('SlowDown')) },
      { records, starter: { reportAgain: async () => true } },
    );
    // Act / Assess
    await expect(ledger.record(run, [outcome(1, 'ann', 'created')])).rejects.toThrow('SlowDown');
    expect(await records.get(run.runId)).toMatchObject({ settled: 0 });
  });
});
