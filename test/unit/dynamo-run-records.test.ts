/** DynamoRunRecords against dynalite: the run record, its counters, and settle's once-per-login counting. */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { runKey, settledKey } from '../../lambdas/adapters/aws/run-table';
import type { Outcome } from '../../lambdas/core/model';
import type { Clock, RunRecord } from '../../lambdas/core/ports';
import { startDynalite, type Dynalite } from '../support/dynalite';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.close());
beforeEach(() => db.reset());

const NOW = new Date('2026-12-06T10:00:00.000Z');
const clock: Clock = { now: () => NOW, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
const recordsOf = (retentionDays?: number) => new DynamoRunRecords(db.client, db.tableName, clock, { retentionDays });

function aRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    run: { runId: 'run-1', file: 'incoming/hr.csv' },
    version: 'v1',
    channel: 'api',
    dryRun: false,
    arrivedAt: '2026-12-06T09:59:00.000Z',
    bucket: 'drop-bucket',
    phase: 'admitted',
    admittedAt: '2026-12-06T10:00:00.000Z',
    queued: 0,
    settled: 0,
    failed: 0,
    submitted: 0,
    ...overrides,
  };
}

const rawItem = async (key: ReturnType<typeof runKey>) => (await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }))).Item;
const counts = async (runId = 'run-1') => {
  const r = (await recordsOf().get(runId))!;
  return { settled: r.settled, submitted: r.submitted, failed: r.failed };
};
const outcomes = (outcome: Outcome, ...logins: string[]) => logins.map((login) => ({ login, outcome }));

describe('DynamoRunRecords: the record', () => {
  it('creates a record once, reads it back as written, and sets its expiry retentionDays ahead', async () => {
    // Prepare
    const store = recordsOf(30);

    // Act
    const first = await store.create(aRecord());
    const second = await store.create(aRecord({ phase: 'planning' }));
    const read = await store.get('run-1');

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(read).toEqual({ ...aRecord(), enqueued: {} });
    expect(Number((await rawItem(runKey('run-1')))!.expiresAt.N)).toBe(NOW.getTime() / 1000 + 30 * 86_400);
    expect(await store.get('run-unknown')).toBeUndefined();
  });

  it('keeps a record for ever when retentionDays is 0 (no expiry attribute)', async () => {
    // Act
    await recordsOf(0).create(aRecord());

    // Assess
    expect((await rawItem(runKey('run-1')))!.expiresAt).toBeUndefined();
  });

  it('updates only the attributes given (nested plan and approval included), and refuses a run with no record', async () => {
    // Prepare
    const store = recordsOf();
    await store.create(aRecord());
    const plan = {
      startedAt: '2026-12-06T10:01:00.000Z',
      rows: 12,
      absentees: 1,
      details: { status: 'held' as const, mode: 'full' as const, guards: [], reason: 'too many deactivations' },
      planSha256: 'ab'.repeat(32),
      toApply: 3,
      staged: 9,
      rosterLogins: 12,
    };

    // Act
    await store.update('run-1', { phase: 'held', plan, approval: { token: 'tok', heldAt: 'h', expiresAt: 'e' }, approvedBy: undefined });

    // Assess
    expect(await store.get('run-1')).toEqual({ ...aRecord(), enqueued: {}, phase: 'held', plan, approval: { token: 'tok', heldAt: 'h', expiresAt: 'e' } });
    await expect(store.update('run-404', { phase: 'held' })).rejects.toThrow(/run run-404 has no record .*never admitted/);
  });

  it('sets a once-only mark for the first caller only', async () => {
    // Prepare
    const store = recordsOf();
    await store.create(aRecord());

    // Act
    const marks = await Promise.all([store.markOnce('run-1', 'overdueAlertedAt', 'a'), store.markOnce('run-1', 'overdueAlertedAt', 'b'), store.markOnce('run-1', 'overdueAlertedAt', 'c')]);
    const other = await store.markOnce('run-1', 'failureAlertedAt', 'd');
    const noRecord = await store.markOnce('run-404', 'failureAlertedAt', 'd');

    // Assess
    expect(marks.filter(Boolean)).toHaveLength(1);
    expect((await store.get('run-1'))!.overdueAlertedAt).toBe(['a', 'b', 'c'][marks.indexOf(true)]);
    expect([other, noRecord]).toEqual([true, false]);
  });
});

describe('DynamoRunRecords.addQueued', () => {
  it("counts each list's progress from where it was recorded, and nothing when the progress moved", async () => {
    // Prepare
    const store = recordsOf();
    await store.create(aRecord());

    // Act
    const first = await store.addQueued('run-1', 'plan', 0, 100);
    const stale = await store.addQueued('run-1', 'plan', 0, 100);
    const next = await store.addQueued('run-1', 'plan', 100, 250);
    const approved = await store.addQueued('run-1', 'approved', 0, 7);

    // Assess
    expect([first, stale, next, approved]).toEqual([true, false, true, true]);
    const record = (await store.get('run-1'))!;
    expect(record.queued).toBe(257);
    expect(record.enqueued).toEqual({ plan: 250, approved: 7 });
  });

  it('counts once when two attempts of the same enqueue race (concurrent, 10 pairs)', async () => {
    // Prepare
    const store = recordsOf();
    await store.create(aRecord());

    // Act: each step of 10 is tried by two attempts at the same moment.
    const results: boolean[] = [];
    for (let step = 0; step < 10; step++) results.push(...(await Promise.all([store.addQueued('run-1', 'plan', step * 10, step * 10 + 10), store.addQueued('run-1', 'plan', step * 10, step * 10 + 10)])));

    // Assess
    expect(results.filter(Boolean)).toHaveLength(10);
    expect((await store.get('run-1'))!.queued).toBe(100);
  });

  it('counts nothing for a run with no record', async () => {
    // Act + Assess
    expect(await recordsOf().addQueued('run-404', 'plan', 0, 10)).toBe(false);
    expect(await recordsOf().get('run-404')).toBeUndefined();
  });
});

describe('DynamoRunRecords.settle', () => {
  it('counts each login once as settled, failed outcomes in failed, whatever the letter case and the repeats', async () => {
    // Prepare
    const store = recordsOf();
    await store.create(aRecord());

    // Act
    await store.settle('run-1', [...outcomes('updated', 'a', 'b'), ...outcomes('failed', 'c')]);
    await store.settle('run-1', [...outcomes('updated', 'A', 'd'), ...outcomes('failed', 'C', 'e')]);

    // Assess
    expect(await counts()).toEqual({ settled: 5, submitted: 0, failed: 2 });
    expect((await rawItem(settledKey('run-1', 'c')))!.state.S).toBe('final');
  });

  it('settles a batch of 120 new logins in transactions of 25 and a redelivered batch counts nothing', async () => {
    // Prepare
    const store = recordsOf();
    await store.create(aRecord());
    const logins = Array.from({ length: 120 }, (_, i) => `user.${i}`);
    const before = db.transactions.served;

    // Act
    await store.settle('run-1', outcomes('created', ...logins));
    const firstPass = db.transactions.served - before;
    await store.settle('run-1', outcomes('created', ...logins.slice(0, 30)));

    // Assess
    expect(firstPass).toBe(5);
    expect(await counts()).toEqual({ settled: 120, submitted: 0, failed: 0 });
  });

  it('counts `submitted` then a later final outcome as one settled and one submitted; a failed final adds to failed', async () => {
    // Prepare
    const store = recordsOf();
    await store.create(aRecord({ channel: 'csv' }));

    // Act
    await store.settle('run-1', outcomes('submitted', 'a', 'b', 'c'));
    await store.settle('run-1', [...outcomes('applied', 'a'), ...outcomes('failed', 'b')]);
    await store.settle('run-1', [...outcomes('failed', 'b'), ...outcomes('submitted', 'c'), ...outcomes('applied', 'a')]);
    await store.settle('run-1', [...outcomes('submitted', 'd'), ...outcomes('applied', 'd')]);

    // Assess
    expect(await counts()).toEqual({ settled: 4, submitted: 4, failed: 1 });
    expect((await rawItem(settledKey('run-1', 'b')))!.state.S).toBe('final');
    expect((await rawItem(settledKey('run-1', 'c')))!.state.S).toBe('submitted');
  });

  it('counts a submitted outcome that arrives after the final one not at all', async () => {
    // Prepare
    const store = recordsOf();
    await store.create(aRecord({ channel: 'csv' }));

    // Act
    await store.settle('run-1', outcomes('failed', 'a'));
    await store.settle('run-1', outcomes('submitted', 'a'));

    // Assess
    expect(await counts()).toEqual({ settled: 1, submitted: 0, failed: 1 });
  });

  it('counts each login once under concurrent settles of the same logins (5 consumers, overlapping batches)', async () => {
    // Prepare: 30 logins; 5 consumers settle overlapping slices of them at the same moment, some
    // failed, some submitted first (CSV); a login's outcome is the same in every slice.
    const store = recordsOf();
    await store.create(aRecord());
    const logins = Array.from({ length: 30 }, (_, i) => `user.${i}`);
    const outcomeOf = (i: number): Outcome => (i % 10 === 0 ? 'failed' : 'updated');
    const slices = Array.from({ length: 5 }, (_, k) => logins.map((login, i) => ({ login, outcome: outcomeOf(i) })).filter((_, i) => (i + k) % 3 !== 0));
    const submittedFirst = logins.filter((_, i) => i % 4 === 0).map((login) => ({ login, outcome: 'submitted' as const }));
    const cancelledBefore = db.transactions.cancelled;

    // Act
    await Promise.all([...slices.map((slice) => store.settle('run-1', slice)), store.settle('run-1', submittedFirst), store.settle('run-1', submittedFirst)]);

    // Assess: every login counted once; failed = the failed logins; submitted ≤ the submitted-first logins
    // (a login whose final outcome came first is not counted as submitted after it).
    const after = await counts();
    expect(after.settled).toBe(30);
    expect(after.failed).toBe(3);
    expect(after.submitted).toBeLessThanOrEqual(8);
    expect(db.transactions.cancelled - cancelledBefore).toBeGreaterThan(0); // the settles really did collide
  });

  it('fails loudly instead of dropping outcomes of a run with no record', async () => {
    // Act + Assess
    await expect(recordsOf().settle('run-404', outcomes('updated', 'a'))).rejects.toThrow(/run run-404 has no record .*cannot be counted/);
    expect(await rawItem(settledKey('run-404', 'a'))).toBeUndefined();
  });
});
