/** DynamoRunLine against dynalite: the lines of runs of one bucket, and the one turn per lane. */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoRunLine } from '../../lambdas/adapters/aws/dynamo-run-line';
import { turnKey } from '../../lambdas/adapters/aws/run-table';
import type { LineEntry, TurnHolder } from '../../lambdas/core/ports';
import { startDynalite, type Dynalite } from '../support/dynalite';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.close());
beforeEach(() => db.reset());

const lineOf = (bucket = 'drop-bucket') => new DynamoRunLine(db.client, db.tableName, bucket);
const entry = (runId: string, arrivedAt: string): LineEntry => ({ runId, file: `incoming/${runId}.csv`, arrivedAt });
const holder = (runId: string, arrivedAt = '2026-12-06T10:00:00.000Z'): TurnHolder => ({ runId, arrivedAt, takenAt: '2026-12-06T10:05:00.000Z' });

describe('DynamoRunLine', () => {
  it('lists a lane oldest first (arrival, then run id), entering again changes nothing, lanes and buckets apart', async () => {
    // Prepare
    const line = lineOf();
    await line.enter('apply', entry('run-b', '2026-12-06T10:00:00.000Z'));
    await line.enter('apply', entry('run-c', '2026-12-06T09:00:00.000Z'));
    await line.enter('apply', entry('run-a', '2026-12-06T10:00:00.000Z'));
    await line.markAlerted('apply', entry('run-c', '2026-12-06T09:00:00.000Z'), '2026-12-06T11:00:00.000Z');
    await line.enter('apply', entry('run-c', '2026-12-06T09:00:00.000Z'));
    await line.enter('preview', entry('plan-1', '2026-12-06T08:00:00.000Z'));
    await lineOf('other-bucket').enter('apply', entry('run-z', '2026-12-06T07:00:00.000Z'));

    // Act
    const apply = await line.waiting('apply');
    const preview = await line.waiting('preview');

    // Assess
    expect(apply).toEqual([
      { ...entry('run-c', '2026-12-06T09:00:00.000Z'), alertedAt: '2026-12-06T11:00:00.000Z' },
      entry('run-a', '2026-12-06T10:00:00.000Z'),
      entry('run-b', '2026-12-06T10:00:00.000Z'),
    ]);
    expect(preview).toEqual([entry('plan-1', '2026-12-06T08:00:00.000Z')]);
  });

  it('reads a line longer than one page of a query (1 MB) whole', async () => {
    // Prepare: 300 entries of ~4 KB file names each, ~1.2 MB.
    const line = lineOf();
    const long = 'x'.repeat(4_000);
    for (let i = 0; i < 300; i++) await line.enter('apply', { runId: `run-${String(i).padStart(3, '0')}`, file: long, arrivedAt: '2026-12-06T10:00:00.000Z' });

    // Act
    const waiting = await line.waiting('apply');

    // Assess
    expect(waiting).toHaveLength(300);
    expect(waiting.at(-1)!.runId).toBe('run-299');
  });

  it('marks an entry alerted once, and not an entry that is not in the line', async () => {
    // Prepare
    const line = lineOf();
    await line.enter('apply', entry('run-a', '2026-12-06T10:00:00.000Z'));

    // Act
    const first = await line.markAlerted('apply', entry('run-a', '2026-12-06T10:00:00.000Z'), '2026-12-06T11:00:00.000Z');
    const again = await line.markAlerted('apply', entry('run-a', '2026-12-06T10:00:00.000Z'), '2026-12-06T12:00:00.000Z');
    const absent = await line.markAlerted('apply', entry('run-gone', '2026-12-06T10:00:00.000Z'), '2026-12-06T12:00:00.000Z');

    // Assess
    expect([first, again, absent]).toEqual([true, false, false]);
    expect((await line.waiting('apply'))[0].alertedAt).toBe('2026-12-06T11:00:00.000Z');
  });

  it('gives the turn to one run at a time, records its arrival as the latest start, and lets the holder take it again', async () => {
    // Prepare
    const line = lineOf();

    // Act
    const first = await line.take('apply', holder('run-a', '2026-12-06T09:00:00.000Z'));
    const second = await line.take('apply', holder('run-b', '2026-12-06T10:00:00.000Z'));
    const retried = await line.take('apply', holder('run-a', '2026-12-06T09:00:00.000Z'));
    const otherLane = await line.take('preview', holder('plan-1', '2026-12-06T08:00:00.000Z'));

    // Assess
    expect([first, second, retried, otherLane]).toEqual([true, false, true, true]);
    expect(await line.holder('apply')).toEqual(holder('run-a', '2026-12-06T09:00:00.000Z'));
    expect(await line.latestStart('apply')).toBe('2026-12-06T09:00:00.000Z');
    expect(await line.latestStart('preview')).toBe('2026-12-06T08:00:00.000Z');
  });

  it('has no holder and no latest start before any run took the turn', async () => {
    // Act + Assess
    expect(await lineOf().holder('apply')).toBeUndefined();
    expect(await lineOf().latestStart('apply')).toBeUndefined();
  });

  it("releases only its holder's turn: a run that does not hold it leaves the line but keeps the holder's turn", async () => {
    // Prepare: run-a holds the turn; run-b waits behind it.
    const line = lineOf();
    await line.enter('apply', entry('run-a', '2026-12-06T09:00:00.000Z'));
    await line.enter('apply', entry('run-b', '2026-12-06T10:00:00.000Z'));
    await line.take('apply', holder('run-a', '2026-12-06T09:00:00.000Z'));

    // Act
    const byOther = await line.release('apply', 'run-b');
    const byHolder = await line.release('apply', 'run-a');
    const twice = await line.release('apply', 'run-a');

    // Assess
    expect([byOther, byHolder, twice]).toEqual([false, true, false]);
    expect(await line.holder('apply')).toBeUndefined();
    expect(await line.waiting('apply')).toEqual([]);
  });

  it('takes an entry out of the line when a run leaves without the turn', async () => {
    // Prepare
    const line = lineOf();
    await line.enter('apply', entry('run-a', '2026-12-06T09:00:00.000Z'));
    await line.enter('apply', entry('run-b', '2026-12-06T10:00:00.000Z'));

    // Act
    await line.leave('apply', entry('run-a', '2026-12-06T09:00:00.000Z'));

    // Assess
    expect((await line.waiting('apply')).map((e) => e.runId)).toEqual(['run-b']);
  });

  it('never lets two runs hold the turn at once under interleaved take and release (10 runs × 10 turns, concurrent)', async () => {
    // Prepare: 10 runs, each looping take → (check it holds the turn) → release, with small random
    // pauses; every other try, a run first releases the turn it does not hold (a late, duplicated
    // release). dynalite serves ~100 requests/s here, so the runs are fewer than the 20 × 20 the
    // brief sketched: the collisions, not the count, are the point (asserted below).
    const line = lineOf();
    const runs = Array.from({ length: 10 }, (_, i) => `run-${String(i).padStart(2, '0')}`);
    let holders = 0;
    let mostAtOnce = 0;
    let turnsTaken = 0;
    let strayReleasesThatWon = 0;
    const overlaps: string[] = [];
    const pause = (ms: number) => new Promise((r) => setTimeout(r, Math.random() * ms));
    const cancelledBefore = db.transactions.cancelled;

    const loop = async (runId: string) => {
      for (let turn = 0; turn < 10; ) {
        if (Math.random() < 0.5 && (await line.release('apply', runId))) strayReleasesThatWon++; // it never holds the turn here
        if (!(await line.take('apply', holder(runId)))) {
          await pause(20);
          continue;
        }
        holders++;
        mostAtOnce = Math.max(mostAtOnce, holders);
        const seen = await line.holder('apply');
        if (seen?.runId !== runId) overlaps.push(`${runId} took the turn but ${seen?.runId ?? 'nobody'} holds it`);
        await pause(5);
        holders--;
        turnsTaken++;
        turn++;
        if (!(await line.release('apply', runId))) overlaps.push(`${runId} lost the turn it held`);
      }
    };

    // Act
    await Promise.all(runs.map(loop));

    // Assess
    expect(overlaps).toEqual([]);
    expect(mostAtOnce).toBe(1);
    expect(strayReleasesThatWon).toBe(0);
    expect(turnsTaken).toBe(100);
    expect(db.transactions.cancelled - cancelledBefore).toBeGreaterThan(50); // the takes really did collide
    const left = await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: turnKey('drop-bucket', 'apply'), ConsistentRead: true }));
    expect(left.Item).toBeUndefined();
  }, 120_000);
});
