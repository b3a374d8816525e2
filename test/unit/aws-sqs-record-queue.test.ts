import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { deduplicationId, messageGroupId, SqsRecordQueue } from '../../lambdas/adapters/aws/sqs-record-queue';
import type { ChangeMessage } from '../../lambdas/core/model';
import { changeMessage, plannedChange } from '../support/factories';

const FIFO_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/api.fifo';
const STANDARD_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/csv';
const sqsMock = mockClient(SQSClient);
const noSleep = async () => undefined;

function messages(count: number, runId = 'hr-abc123'): ChangeMessage[] {
  return Array.from({ length: count }, (_, i) => changeMessage(plannedChange({ rows: [i + 1], login: `user${i + 1}` }), runId));
}

const bodyOf = (entry: SendMessageBatchRequestEntry) => JSON.parse(entry.MessageBody!) as ChangeMessage;

function sentEntries(): SendMessageBatchRequestEntry[][] {
  return sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries ?? []);
}

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('SqsRecordQueue', () => {
  it('sends in batches of at most 10, every message exactly once', async () => {
    // Prepare
    const queue = new SqsRecordQueue(new SQSClient({}), STANDARD_URL, { sleep: noSleep });
    // Act
    await queue.send(messages(23));
    // Assess
    const batches = sentEntries();
    expect(batches.map((b) => b.length).sort((a, b) => b - a)).toEqual([10, 10, 3]);
    const rows = batches.flat().map((e) => bodyOf(e).change.rows[0]);
    expect(rows.sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  });

  it('keeps at most `concurrency` batches in flight', async () => {
    // Prepare: each SendMessageBatch waits a little so overlapping calls can be counted.
    let inFlight = 0;
    let peak = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { Successful: [], Failed: [] };
    });
    const queue = new SqsRecordQueue(new SQSClient({}), STANDARD_URL, { concurrency: 3, sleep: noSleep });
    // Act
    await queue.send(messages(95));
    // Assess
    expect(sentEntries()).toHaveLength(10);
    expect(peak).toBe(3);
  });

  it('on a FIFO queue groups by the message group and deduplicates by sha256(runId:login), the login lower-cased', async () => {
    // Prepare: two logins of one chain (group "boss") and one on its own.
    const queue = new SqsRecordQueue(new SQSClient({}), FIFO_URL, { sleep: noSleep });
    const batch = [
      changeMessage(plannedChange({ login: 'Report.One', rows: [1] }), 'run-7', 'hr.csv', 'boss'),
      changeMessage(plannedChange({ login: 'user2', rows: [2] }), 'run-7'),
    ];
    // Act
    await queue.send(batch);
    // Assess
    const [entries] = sentEntries();
    expect(entries[0]).toMatchObject({
      MessageGroupId: 'boss',
      MessageDeduplicationId: createHash('sha256').update('run-7:report.one').digest('hex'),
    });
    expect(entries[1].MessageGroupId).toBe('user2');
    expect(entries[1].MessageDeduplicationId).toBe(deduplicationId('run-7', 'USER2'));
    expect(entries[1].MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(entries.map(bodyOf)).toEqual(batch);
  });

  it('sends level by level: no message of a level goes before every batch of the level below is in', async () => {
    // Prepare: a chain of new managers three deep, 12 messages on level 1 (two batches), each SendMessageBatch slow.
    const levelOf: number[][] = [];
    sqsMock.on(SendMessageBatchCommand).callsFake(async (input: { Entries: SendMessageBatchRequestEntry[] }) => {
      levelOf.push(input.Entries.map((e) => bodyOf(e).change.level));
      await new Promise((r) => setTimeout(r, 5));
      return { Successful: [], Failed: [] };
    });
    const change = (login: string, level: number) => changeMessage(plannedChange({ login, level }), 'run-8', 'hr.csv', 'top');
    const batch = [
      ...Array.from({ length: 12 }, (_, i) => change(`report${i}`, 1)),
      change('grand.report', 2),
      change('top', 0),
    ];
    const queue = new SqsRecordQueue(new SQSClient({}), FIFO_URL, { concurrency: 4, sleep: noSleep });
    // Act
    await queue.send(batch);
    // Assess: one call per level batch, in level order, never a level mixed into another's batch.
    expect(levelOf).toEqual([[0], Array(10).fill(1), Array(2).fill(1), [2]]);
  });

  it('on a FIFO queue keeps a login SQS accepts as the group id, punctuation and 128 characters included', async () => {
    // Prepare
    const logins = ['jane.doe@example.com', `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`, 'x'.repeat(128)];
    const queue = new SqsRecordQueue(new SQSClient({}), FIFO_URL, { sleep: noSleep });
    // Act
    await queue.send(logins.map((login, i) => changeMessage(plannedChange({ rows: [i + 1], login }), 'run-8', 'hr.csv', login)));
    // Assess
    expect(sentEntries()[0].map((e) => e.MessageGroupId)).toEqual(logins);
  });

  it('on a FIFO queue hashes a group SQS would refuse into a stable h-<sha256> group id', async () => {
    // Prepare: a space, non-ASCII, more than 128 characters; one group twice (a manager and a report of one chain).
    const refused = ['jane doe', 'jürgen.müller', 'x'.repeat(129), 'tab\there'];
    const rows = [...refused, 'jane doe'].map((group, i) =>
      changeMessage(plannedChange({ rows: [i + 1], login: i === 4 ? 'reports.to.jane' : group }), 'run-9', 'hr.csv', group),
    );
    const queue = new SqsRecordQueue(new SQSClient({}), FIFO_URL, { sleep: noSleep });
    // Act
    await queue.send(rows);
    // Assess
    const groups = sentEntries()[0].map((e) => e.MessageGroupId!);
    expect(groups.slice(0, 4)).toEqual(refused.map((l) => `h-${createHash('sha256').update(l, 'utf8').digest('hex')}`));
    for (const g of groups) expect(g).toMatch(/^h-[0-9a-f]{64}$/);
    expect(groups[4]).toBe(groups[0]); // one group, one FIFO group id: its messages stay in order
    expect(new Set(groups).size).toBe(4);
    expect(messageGroupId('jane doe')).toBe(groups[0]);
    // The body keeps the real group and login: only the group id is hashed.
    expect(bodyOf(sentEntries()[0][0])).toMatchObject({ group: 'jane doe', change: { login: 'jane doe' } });
  });

  it('on a FIFO queue puts logins differing only in case in one group (Coupa matches logins ignoring case)', async () => {
    // Prepare: one user's rows spelt three ways, and a login SQS refuses spelt two ways
    const logins = ['Jane.Doe', 'jane.doe', 'JANE.DOE', 'Jürgen Müller', 'jürgen müller'];
    const queue = new SqsRecordQueue(new SQSClient({}), FIFO_URL, { sleep: noSleep });
    // Act
    await queue.send(logins.map((login, i) => changeMessage(plannedChange({ rows: [i + 1], login }), 'run-10')));
    // Assess
    const groups = sentEntries()[0].map((e) => e.MessageGroupId!);
    expect(groups.slice(0, 3)).toEqual(['jane.doe', 'jane.doe', 'jane.doe']);
    expect(groups[3]).toBe(`h-${createHash('sha256').update('jürgen müller', 'utf8').digest('hex')}`);
    expect(groups[4]).toBe(groups[3]);
    // The body keeps the login as HR spelt it: only the group folds case.
    expect(JSON.parse(sentEntries()[0][0].MessageBody!).change.login).toBe('Jane.Doe');
  });

  it('on a standard queue sets neither group nor deduplication id', async () => {
    // Prepare
    await new SqsRecordQueue(new SQSClient({}), STANDARD_URL).send(messages(1));
    // Act
    const [[entry]] = sentEntries();
    // Assess
    expect(entry.MessageGroupId).toBeUndefined();
    expect(entry.MessageDeduplicationId).toBeUndefined();
    expect(JSON.parse(entry.MessageBody!)).toEqual(messages(1)[0]);
  });

  it('re-sends only the entries SQS reported as Failed', async () => {
    // Prepare: the first call fails entries 2 and 5 (server side), the re-send succeeds.
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [],
        Failed: [
          { Id: '2', Code: 'InternalError', SenderFault: false },
          { Id: '5', Code: 'ServiceUnavailable', SenderFault: false },
        ],
      })
      .resolves({ Successful: [], Failed: [] });
    const queue = new SqsRecordQueue(new SQSClient({}), FIFO_URL, { sleep: noSleep });
    // Act
    await queue.send(messages(8));
    // Assess
    const [first, retry] = sentEntries();
    expect(first).toHaveLength(8);
    expect(retry.map((e) => e.Id)).toEqual(['2', '5']);
    expect(retry.map((e) => e.MessageGroupId)).toEqual(['user3', 'user6']);
    expect(retry.map((e) => bodyOf(e).change.login)).toEqual(['user3', 'user6']);
  });

  it('gives up after maxAttempts and names the logins that never got in', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }] });
    const queue = new SqsRecordQueue(new SQSClient({}), FIFO_URL, { maxAttempts: 3, sleep: noSleep });
    // Act / Assess
    await expect(queue.send(messages(3, 'run-9'))).rejects.toThrow('SQS did not accept 1 message(s): run run-9 login user2: InternalError');
    expect(sentEntries()).toHaveLength(3);
  });

  it('does not re-send an entry rejected as the sender’s fault', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true }] });
    const queue = new SqsRecordQueue(new SQSClient({}), STANDARD_URL, { sleep: noSleep });
    // Act / Assess
    await expect(queue.send(messages(1))).rejects.toThrow('SQS did not accept 1 message(s): run hr-abc123 login user1: InvalidMessageContents');
    expect(sentEntries()).toHaveLength(1);
  });
});
