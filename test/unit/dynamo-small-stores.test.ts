/** The run table's small stores against dynalite: attempts, dead-letter marks, breaker, CSV settled managers. */
import { BatchGetItemCommand, BatchWriteItemCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoAttemptLog } from '../../lambdas/adapters/aws/dynamo-attempt-log';
import { DEAD_LETTER_MARK_DAYS, DynamoDeadLetterMarks } from '../../lambdas/adapters/aws/dynamo-dead-letter-marks';
import { DynamoRunBreakerStore } from '../../lambdas/adapters/aws/dynamo-run-breaker';
import { DynamoSettledLogins } from '../../lambdas/adapters/aws/dynamo-settled-logins';
import { attemptKey, csvSettledKey, deadLetterKey } from '../../lambdas/adapters/aws/run-table';
import type { BreakerVerdict, Clock } from '../../lambdas/core/ports';
import { startDynalite, type Dynalite } from '../support/dynalite';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.close());
beforeEach(() => db.reset());

const NOW = new Date('2026-12-06T10:00:00.000Z');
const clock: Clock = { now: () => NOW, sleep: async () => undefined };
const run = { runId: 'run-1', file: 'incoming/hr.csv' };
const rawItem = async (key: ReturnType<typeof attemptKey>) => (await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: key, ConsistentRead: true }))).Item;

/** The client, with every request counted by its command name, and requests of `names` answered by `answer` instead while it returns something. */
function countingClient(answer?: (name: string, input: unknown) => unknown): DynamoDBClient & { calls: string[] } {
  const calls: string[] = [];
  const send = db.client.send.bind(db.client) as (command: unknown) => Promise<unknown>;
  return Object.assign(Object.create(db.client) as DynamoDBClient, {
    calls,
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      calls.push(command.constructor.name);
      const instead = await answer?.(command.constructor.name, command.input);
      return instead ?? send(command);
    },
  }) as DynamoDBClient & { calls: string[] };
}

describe('DynamoAttemptLog', () => {
  it("counts a login's failed attempts (whatever its letter case), keeps the last reason, and forgets them", async () => {
    // Prepare
    const log = new DynamoAttemptLog(db.client, db.tableName, clock, { retentionDays: 10 });

    // Act
    const counts = [await log.addFailure(run, 'Jane.Doe', '503 from Coupa'), await log.addFailure(run, 'jane.doe', '504 from Coupa')];
    const item = await rawItem(attemptKey('run-1', 'jane.doe'));
    await log.forget(run, 'JANE.DOE');
    const afterForget = await log.addFailure(run, 'jane.doe', 'timeout');

    // Assess
    expect(counts).toEqual([1, 2]);
    expect(item!.lastError.S).toBe('504 from Coupa');
    expect(Number(item!.expiresAt.N)).toBe(NOW.getTime() / 1000 + 10 * 86_400);
    expect(afterForget).toBe(1);
  });

  it('counts every failure of concurrent consumers (ADD, no lost update)', async () => {
    // Prepare
    const log = new DynamoAttemptLog(db.client, db.tableName, clock);

    // Act
    const counts = await Promise.all(Array.from({ length: 12 }, () => log.addFailure(run, 'jane.doe', '503')));

    // Assess
    expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('keeps at most 1,000 characters of a reason', async () => {
    // Act
    await new DynamoAttemptLog(db.client, db.tableName, clock).addFailure(run, 'jane.doe', 'x'.repeat(5_000));

    // Assess
    expect((await rawItem(attemptKey('run-1', 'jane.doe')))!.lastError.S).toHaveLength(1_000);
  });
});

describe('DynamoDeadLetterMarks', () => {
  it('marks a message once per queue and keeps the mark 15 days', async () => {
    // Prepare
    const marks = new DynamoDeadLetterMarks(db.client, db.tableName, clock);

    // Act
    const before = await marks.seen('api-dlq', 'm-1');
    const won = await Promise.all([marks.mark('api-dlq', 'm-1'), marks.mark('api-dlq', 'm-1')]);
    const otherQueue = await marks.mark('csv-dlq', 'm-1');
    const after = await marks.seen('api-dlq', 'm-1');

    // Assess
    expect(before).toBe(false);
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(otherQueue).toBe(true);
    expect(after).toBe(true);
    expect(Number((await rawItem(deadLetterKey('api-dlq', 'm-1')))!.expiresAt.N)).toBe(NOW.getTime() / 1000 + DEAD_LETTER_MARK_DAYS * 86_400);
  });
});

describe('DynamoRunBreakerStore', () => {
  const tripped: BreakerVerdict = { state: 'tripped', writes: 20, failures: 12, at: '2026-12-06T10:00:00.000Z', reason: '12 of 20 writes failed' };
  const passed: BreakerVerdict = { state: 'passed', writes: 20, failures: 0, at: '2026-12-06T10:00:01.000Z' };

  it('sums the tallies of concurrent consumers', async () => {
    // Prepare
    const breaker = new DynamoRunBreakerStore(db.client, db.tableName, clock);

    // Act
    const empty = await breaker.tally('run-1');
    await Promise.all(Array.from({ length: 10 }, (_, i) => breaker.add('run-1', { writes: 3, failures: i % 2 })));

    // Assess
    expect(empty).toEqual({ writes: 0, failures: 0 });
    expect(await breaker.tally('run-1')).toEqual({ writes: 30, failures: 5 });
    expect(await breaker.tally('run-2')).toEqual({ writes: 0, failures: 0 });
  });

  it('decides the verdict once: the first decision stands, and the loser reads it', async () => {
    // Prepare
    const one = new DynamoRunBreakerStore(db.client, db.tableName, clock);
    const two = new DynamoRunBreakerStore(db.client, db.tableName, clock);
    await one.add('run-1', { writes: 20, failures: 12 });

    // Act
    const before = await one.verdict('run-1');
    const decided = await Promise.all([one.decide('run-1', tripped), two.decide('run-1', passed)]);
    const winner = decided[0] ? tripped : passed;

    // Assess
    expect(before).toBeUndefined();
    expect(decided.filter(Boolean)).toHaveLength(1);
    expect(await one.verdict('run-1')).toEqual(winner);
    expect(await two.verdict('run-1')).toEqual(winner);
    expect(await one.tally('run-1')).toEqual({ writes: 20, failures: 12 }); // the verdict leaves the tallies alone
  });

  it('reads a decided verdict once per process (cached), and an open window every time', async () => {
    // Prepare
    const client = countingClient();
    const breaker = new DynamoRunBreakerStore(client, db.tableName, clock);
    await breaker.verdict('run-1');
    await breaker.verdict('run-1');
    const whileOpen = client.calls.splice(0);
    await new DynamoRunBreakerStore(db.client, db.tableName, clock).decide('run-1', tripped);

    // Act
    const first = await breaker.verdict('run-1');
    const second = await breaker.verdict('run-1');

    // Assess
    expect(first).toEqual(tripped);
    expect(second).toEqual(tripped);
    expect(whileOpen).toEqual(['GetItemCommand', 'GetItemCommand']);
    expect(client.calls).toEqual(['GetItemCommand']);
  });
});

describe('DynamoSettledLogins', () => {
  it("answers which of the asked managers a run settled, whatever the letter case, and only that run's", async () => {
    // Prepare
    const store = new DynamoSettledLogins(db.client, db.tableName, clock, { retentionDays: 5 });
    await store.add('run-1', 'aaaa1111', ['New.Boss', 'mid.boss']);
    await store.add('run-1', 'aaaa1111', ['new.boss']);
    await store.add('run-2', 'bbbb2222', ['other.boss']);

    // Act
    const settled = await store.settledOf('run-1', ['NEW.BOSS', 'mid.boss', 'other.boss', 'never.sent', 'new.boss']);

    // Assess
    expect([...settled].sort()).toEqual(['mid.boss', 'new.boss']);
    expect((await rawItem(csvSettledKey('run-1', 'new.boss')))!.tag.S).toBe('aaaa1111');
    expect(Number((await rawItem(csvSettledKey('run-1', 'new.boss')))!.expiresAt.N)).toBe(NOW.getTime() / 1000 + 5 * 86_400);
    expect(await store.settledOf('run-1', [])).toEqual(new Set());
  });

  it('writes and reads more than one call holds (25 per write, 100 per read)', async () => {
    // Prepare
    const client = countingClient();
    const store = new DynamoSettledLogins(client, db.tableName, clock);
    const managers = Array.from({ length: 130 }, (_, i) => `boss.${i}`);

    // Act
    await store.add('run-1', 'big', managers);
    const settled = await store.settledOf('run-1', [...managers, 'not.a.boss']);

    // Assess
    expect(settled.size).toBe(130);
    expect(client.calls.filter((c) => c === 'BatchWriteItemCommand')).toHaveLength(6);
    expect(client.calls.filter((c) => c === 'BatchGetItemCommand')).toHaveLength(2);
  });

  it('asks again for keys and writes DynamoDB left unprocessed (throttled)', async () => {
    // Prepare: the first answer of each kind leaves all but one key unprocessed, as a throttled table does.
    let throttledGet = false;
    let throttledWrite = false;
    const client = countingClient((name, input) => {
      if (name === 'BatchWriteItemCommand' && !throttledWrite) {
        throttledWrite = true;
        const requests = (input as ConstructorParameters<typeof BatchWriteItemCommand>[0]).RequestItems![db.tableName];
        return db.client
          .send(new BatchWriteItemCommand({ RequestItems: { [db.tableName]: requests.slice(0, 1) } }))
          .then(() => ({ UnprocessedItems: { [db.tableName]: requests.slice(1) } }));
      }
      if (name === 'BatchGetItemCommand' && !throttledGet) {
        throttledGet = true;
        const keys = (input as ConstructorParameters<typeof BatchGetItemCommand>[0]).RequestItems![db.tableName].Keys!;
        return { Responses: { [db.tableName]: [] }, UnprocessedKeys: { [db.tableName]: { Keys: keys, ConsistentRead: true } } };
      }
      return undefined;
    });
    const store = new DynamoSettledLogins(client, db.tableName, clock);

    // Act
    await store.add('run-1', 't', ['a', 'b', 'c']);
    const settled = await store.settledOf('run-1', ['a', 'b', 'c']);

    // Assess
    expect([...settled].sort()).toEqual(['a', 'b', 'c']);
    expect(client.calls).toEqual(['BatchWriteItemCommand', 'BatchWriteItemCommand', 'BatchGetItemCommand', 'BatchGetItemCommand']);
  });

  it('gives up with a clear error when keys stay unprocessed', async () => {
    // Prepare: every read is throttled.
    const client = countingClient((name, input) =>
      name === 'BatchGetItemCommand' ? { UnprocessedKeys: { [db.tableName]: (input as ConstructorParameters<typeof BatchGetItemCommand>[0]).RequestItems![db.tableName] } } : undefined,
    );

    // Act + Assess
    await expect(new DynamoSettledLogins(client, db.tableName, clock).settledOf('run-1', ['a'])).rejects.toThrow(/left 1 settled-manager reads of run run-1 unprocessed 8 times/);
    expect(client.calls).toHaveLength(8);
  });
});
