/**
 * The dlq-notifier through its real handler, on queue fakes that answer ReceiveMessage as SQS does
 * (a returned message stays in the queue, hidden until its visibility timeout runs out) and a
 * versioned in-memory bucket: dead messages are recorded once, counted once and never consumed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageBatchCommand, DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { DEAD_LETTER_ATTRIBUTE } from '../../lambdas/adapters/aws/sqs-dead-letters';
import { toBatchEntry } from '../../lambdas/adapters/aws/sqs-record-queue';
import type { ChangeMessage } from '../../lambdas/core/model';
import type { DeadLetterResult } from '../../lambdas/core/sync/dead-letters';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { FakeFifoQueue } from '../support/fake-sqs';
import { changeMessage, plannedChange } from '../support/factories';
import { applyingRunRecord, fakeS3Bucket, lambdaContext, stubHandlerEnv, stubRunTableEnv, type FakeBucket } from './handler-fixtures';

const API_DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/api-dlq.fifo';
const CSV_DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/csv-dlq';
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent;

let handler: (event: ScheduledEvent, context: Context) => Promise<DeadLetterResult[]>;
let resetAwsContext: () => void;
let objects: FakeBucket;
let db: Dynalite;
let apiDlq: FakeFifoQueue;
let csvDlq: FakeFifoQueue;

function put(queue: FakeFifoQueue, messages: ChangeMessage[], attributes?: Record<string, string>): void {
  queue.sendBatch({
    QueueUrl: queue.queueUrl,
    Entries: messages.map((m, i) => ({
      ...toBatchEntry(m, String(i), queue.fifo),
      ...(attributes ? { MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])) } : {}),
    })),
  });
}

function recorded(): Array<[string, string, number, string, string[]]> {
  return objects
    .keysUnder('runs/')
    .filter((k) => k.includes('/outcomes/'))
    .flatMap((k) => {
      const r = objects.json<OutcomeRecord>(k);
      return r.outcomes.map((o): [string, string, number, string, string[]] => [r.runId, o.login, o.row, o.outcome, o.errors ?? []]);
    });
}

beforeAll(async () => {
  db = await startDynalite();
  stubHandlerEnv({ DLQ_URLS: JSON.stringify([API_DLQ, CSV_DLQ]) });
  ({ handler } = await import('../../lambdas/dlq-notifier'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await db?.close();
});

beforeEach(async () => {
  await db.reset();
  stubRunTableEnv(db);
  resetAwsContext();
  for (const mock of [s3Mock, snsMock, sqsMock]) mock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  objects = fakeS3Bucket(s3Mock, { listable: ['runs/'] });
  apiDlq = new FakeFifoQueue(API_DLQ, Number.MAX_SAFE_INTEGER).attach(sqsMock);
  csvDlq = new FakeFifoQueue(CSV_DLQ, Number.MAX_SAFE_INTEGER).attach(sqsMock);
});

describe('dlq-notifier handler', () => {
  it('records each dead change once (rows failed, naming where to look), leaves every message in its DLQ, and publishes nothing', async () => {
    // Prepare: a csv change folding HR rows 17 and 19; an api change SQS's backstop moved; one the api-consumer dead-lettered and recorded itself.
    const records = new DynamoRunRecords(db.client, db.tableName);
    for (const runId of ['run-a', 'run-b']) await records.create(applyingRunRecord(runId, { queued: 2 }));
    put(csvDlq, [changeMessage(plannedChange({ rows: [17, 19], login: 'stuck.user', send: { lastname: 'Stuck' }, was: { lastname: 'Old' } }), 'run-a', 'incoming/csv/hr.csv')]);
    put(apiDlq, [changeMessage(plannedChange({ rows: [3], login: 'backstop.user' }), 'run-b')]);
    put(apiDlq, [changeMessage(plannedChange({ rows: [4], login: 'counted.user' }), 'run-b')], { [DEAD_LETTER_ATTRIBUTE]: 'not applied after 10 failed attempts: HTTP 503' });
    // Act: two looks, the second after every visibility timeout ran out.
    const first = await handler(scheduled, lambdaContext('dlq-notifier'));
    apiDlq.reveal();
    csvDlq.reveal();
    const second = await handler(scheduled, lambdaContext('dlq-notifier'));
    // Assess: recorded once; the api-consumer's own dead letter counted but not recorded again.
    expect(first.map((r) => [r.newlyDead, r.recorded, r.problems])).toEqual([[2, 1, []], [1, 1, []]]);
    expect(second.map((r) => [r.newlyDead, r.recorded])).toEqual([[0, 0], [0, 0]]);
    const apiWhy = 'not applied: its message is in the dead-letter queue api-dlq.fifo (see the api-consumer logs); redrive it once the cause is fixed';
    const csvWhy = 'not applied: its message is in the dead-letter queue csv-dlq (see the csv-batcher logs); redrive it once the cause is fixed';
    expect(recorded()).toEqual([
      ['run-a', 'stuck.user', 17, 'failed', [csvWhy]],
      ['run-a', 'stuck.user', 19, 'failed', [csvWhy]],
      ['run-b', 'backstop.user', 3, 'failed', [apiWhy]],
    ]);
    // Assess: nothing consumed, nothing published (the DeadLetters alarm and the run digest tell people).
    expect([apiDlq.size, csvDlq.size]).toEqual([2, 1]);
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    // Assess: each run counts the change recorded here as settled and failed (the api-consumer settled its own).
    expect(await records.get('run-a')).toMatchObject({ settled: 1, failed: 1 });
    expect(await records.get('run-b')).toMatchObject({ settled: 1, failed: 1 });
  });

  it('records a dead message whose outcome could not be written on the next look', async () => {
    // Prepare: S3 refuses the first outcome write.
    put(csvDlq, [changeMessage(plannedChange({ rows: [1], login: 'a' }), 'run-c')]);
    let refusals = 1;
    objects.putFault = (key) => (key.includes('/outcomes/') && refusals-- > 0 ? Object.assign(new Error('SlowDown'), { name: 'SlowDown' }) : undefined);
    // Act
    const first = await handler(scheduled, lambdaContext('dlq-notifier'));
    csvDlq.reveal();
    const second = await handler(scheduled, lambdaContext('dlq-notifier'));
    // Assess
    expect(first[0]).toMatchObject({ newlyDead: 0, recorded: 0, problems: [expect.stringContaining('SlowDown')] });
    expect(second[0]).toMatchObject({ newlyDead: 1, recorded: 1, problems: [] });
    expect(recorded().map(([run, login, , outcome]) => [run, login, outcome])).toEqual([['run-c', 'a', 'failed']]);
  });

  it('reports an unreadable dead message once, by id only', async () => {
    // Prepare
    csvDlq.sendBatch({ QueueUrl: CSV_DLQ, Entries: [{ Id: '0', MessageBody: '{"secret":"jane@example.com"' }] });
    // Act
    await handler(scheduled, lambdaContext('dlq-notifier'));
    csvDlq.reveal();
    await handler(scheduled, lambdaContext('dlq-notifier'));
    // Assess
    const published = snsMock.commandCalls(PublishCommand).map((c) => String(c.args[0].input.Message));
    expect(published).toHaveLength(1);
    expect(published[0]).toContain('csv-dlq/msg-0001');
    expect(published[0]).not.toContain('jane');
  });
});
