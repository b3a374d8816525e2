/**
 * The api-consumer's retry budget through the real handler, the Coupa emulator over HTTP, a FIFO
 * queue fake whose redrive policy moves a message to its DLQ at API_REDRIVE_BACKSTOP receives (as
 * SQS does) and a versioned in-memory bucket: only genuine failed attempts dead-letter a change.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { API_REDRIVE_BACKSTOP } from '../../lambdas/adapters/aws/api-consumer-limits';
import { DynamoAttemptLog } from '../../lambdas/adapters/aws/dynamo-attempt-log';
import { DynamoRunLine } from '../../lambdas/adapters/aws/dynamo-run-line';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { DEAD_LETTER_ATTRIBUTE } from '../../lambdas/adapters/aws/sqs-dead-letters';
import { toBatchEntry } from '../../lambdas/adapters/aws/sqs-record-queue';
import type { UserDirectory } from '../../lambdas/adapters/coupa';
import { CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import type { ChangeMessage, PlannedChange } from '../../lambdas/core/model';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { FakeFifoQueue } from '../support/fake-sqs';
import { changeMessage, plannedChange } from '../support/factories';
import { fakeS3Bucket, lambdaContext, stubHandlerEnv, stubRunTableEnv, type FakeBucket } from './handler-fixtures';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const API_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/api.fifo';
const API_DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/api-dlq.fifo';
const s3Mock = mockClient(S3Client);
const smMock = mockClient(SecretsManagerClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
const sfnMock = mockClient(SFNClient);
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:coupa-user-sync-runs';

let coupa: RunningEmulator;
let db: Dynalite;
let objects: FakeBucket;
let dlq: FakeFifoQueue;
let queue: FakeFifoQueue;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let resetAwsContext: () => void;
let userDirectory: (share?: 'turn' | 'consumer' | 'strayConsumer') => Promise<UserDirectory>;

/** The handler on `coupa`, one change at a time (so "out of time" after the first is exact), at Coupa's full rate, api.maxReceiveCount 10 (the default). */
function configure(): void {
  vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ coupa: { url: coupa.url, maxAttempts: 1, maxRetryMs: 1000, maxInFlight: 1, ratePerSecond: 25, burst: 20, instanceRatePerSecond: 25 } }));
  smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ clientId: coupa.credentials.clientId, clientSecret: coupa.credentials.clientSecret }),
  });
  resetAwsContext();
}

const hire = (row: number, login: string, runId: string, more: Partial<PlannedChange> = {}) =>
  changeMessage(plannedChange({ rows: [row], login, kind: 'create', send: { active: true, email: `${login}@example.com`, firstname: 'A', lastname: 'B' }, ...more }), runId);

/** Queued as the planner queues it (same group and deduplication ids). */
function enqueue(...messages: ChangeMessage[]): void {
  for (let i = 0; i < messages.length; i += 10) {
    queue.sendBatch({ QueueUrl: API_QUEUE, Entries: messages.slice(i, i + 10).map((m, n) => toBatchEntry(m, String(n), true)) });
  }
}

/** The run holds the apply lane's turn: its consumers take the consumer share of the rate budget. */
async function holdApplyTurn(runId: string): Promise<void> {
  const at = new Date().toISOString();
  expect(await new DynamoRunLine(db.client, db.tableName, 'drop-bucket').take('apply', { runId, arrivedAt: at, takenAt: at })).toBe(true);
}

function outcomesOf(runId: string): Array<[string, string, string[]?]> {
  return objects
    .keysUnder(`runs/${runId}/outcomes/`)
    .flatMap((k) => objects.json<OutcomeRecord>(k).outcomes.map((o): [string, string, string[]?] => (o.errors ? [o.login, o.outcome, o.errors] : [o.login, o.outcome])));
}

beforeAll(async () => {
  coupa = await startEmulator({ seed: 'demo' });
  db = await startDynalite();
  stubHandlerEnv({ COUPA_SECRET_ARN: SECRET_ARN, API_DLQ_URL: API_DLQ, STATE_MACHINE_ARN });
  ({ handler } = await import('../../lambdas/api-consumer'));
  ({ resetAwsContext, userDirectory } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([coupa?.close(), db?.close()]);
});

beforeEach(async () => {
  vi.restoreAllMocks();
  for (const mock of [s3Mock, smMock, snsMock, sqsMock, sfnMock]) mock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
  await db.reset();
  stubRunTableEnv(db);
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  objects = fakeS3Bucket(s3Mock, { listable: ['runs/'] });
  dlq = new FakeFifoQueue(API_DLQ, Number.MAX_SAFE_INTEGER);
  queue = new FakeFifoQueue(API_QUEUE, API_REDRIVE_BACKSTOP, dlq).attach(sqsMock);
  configure();
});

describe('api-consumer retry budget (real handler, emulator over HTTP, FIFO fake with a redrive policy)', () => {
  it('dead-letters nothing when Coupa is slow for a long time and every batch runs out of time', async () => {
    // Prepare: 12 hires, each its own group. Coupa is so slow that two invocations of three run out of
    // time before their first change, and the third has time for one change only.
    const logins = Array.from({ length: 12 }, (_, i) => `slow.${String(i + 1).padStart(2, '0')}`);
    await holdApplyTurn('run-slow');
    enqueue(...logins.map((login, i) => hire(i + 1, login, 'run-slow')));
    const users = () => coupa.users().length;
    let invocation = 0;
    const context = () => {
      const before = users();
      const hasTime = ++invocation % 3 === 0;
      return { ...lambdaContext(), getRemainingTimeInMillis: () => (hasTime && users() === before ? 120_000 : 20_000) };
    };
    // Act
    const batches = await queue.drain(handler, context);
    // Assess: handed back up to 30 times each (SQS's count would have dead-lettered at 10), yet every row applied once.
    expect(batches).toBe(36);
    expect(queue.mostReceives).toBe(30);
    expect(queue.dead).toEqual([]);
    expect(dlq.size).toBe(0);
    expect(logins.filter((login) => coupa.users().filter((u) => u.login === login).length === 1)).toEqual(logins);
    expect(outcomesOf('run-slow').sort()).toEqual(logins.map((login) => [login, 'created']));
    // Assess: the healthy path wrote no attempt records.
    expect(objects.keysUnder('runs/run-slow/attempts/')).toEqual([]);
  });

  it('dead-letters a row Coupa fails 10 times: recorded failed with the error, copied to the DLQ as queued, and its group goes on', async () => {
    // Prepare: Coupa answers every create of bad.row with a transient error; a hire in the same group and one in another group are fine.
    const directory = await userDirectory('consumer'); // the client of the turn-holding run's consumers
    const create = directory.create.bind(directory);
    vi.spyOn(directory, 'create').mockImplementation(async (login, fields) => {
      if (login === 'bad.row') throw new CoupaRetryableError('Coupa answered HTTP 503 after 1 attempt(s)');
      return create(login, fields);
    });
    const bad = hire(1, 'bad.row', 'run-bad');
    const next = hire(2, 'next.in.group', 'run-bad', { level: 1 });
    await holdApplyTurn('run-bad');
    enqueue(bad, { ...next, group: 'bad.row' }, hire(3, 'other.group', 'run-bad'));
    const sentBody = queue.messages[0].body;
    // Act
    await queue.drain(handler, () => lambdaContext());
    // Assess: exactly 10 deliveries of bad.row, each failure but the last handed back with the backoff 1, 2, 4, 8, 16, 30… min;
    // next.in.group came with it each time and was handed back untried (it waits for its level): 11 receives, not dead.
    expect(queue.size).toBe(0);
    expect(queue.dead).toEqual([]);
    expect(queue.mostReceives).toBe(11);
    expect(queue.visibilityChanges.filter(([id]) => id === 'msg-0001').map(([, s]) => s)).toEqual([60, 120, 240, 480, 960, 1800, 1800, 1800, 1800]);
    const reason = 'not applied after 10 failed attempts: Coupa answered HTTP 503 after 1 attempt(s)';
    expect(dlq.messages.map((m) => [m.body, m.groupId, m.attributes?.[DEAD_LETTER_ATTRIBUTE]?.StringValue])).toEqual([[sentBody, 'bad.row', reason]]);
    expect(outcomesOf('run-bad')).toEqual([
      ['other.group', 'created'],
      ['bad.row', 'failed', [reason]],
      ['next.in.group', 'created'],
    ]);
    // Assess: the count was kept only for the failing row, and starts again for a redrive.
    expect(await new DynamoAttemptLog(db.client, db.tableName).addFailure({ runId: 'run-bad', file: 'hr.csv' }, 'bad.row', 'a redrive fails once')).toBe(1);
  });

  it('confirms a change redriven from the DLQ against Coupa: applies what still applies, skips what Coupa changed since the plan, settles them and has the reported run reported again', async () => {
    // Prepare: the run was reported (its two changes failed); two dead changes in the DLQ (as the consumer put them); meanwhile someone changed steady.state in Coupa.
    const records = new DynamoRunRecords(db.client, db.tableName);
    const run = { runId: 'run-redrive', file: 'hr.csv' };
    await records.create({ run, channel: 'api', dryRun: false, arrivedAt: '2026-12-01T06:00:00.000Z', bucket: 'drop-bucket', phase: 'reported', admittedAt: '2026-12-01T06:00:01.000Z', queued: 2, settled: 0, failed: 0, submitted: 0 });
    await records.settle(run.runId, [{ login: 'back.again', outcome: 'failed' }, { login: 'steady.state', outcome: 'failed' }]);
    const dead = [
      hire(1, 'back.again', 'run-redrive'),
      changeMessage(plannedChange({ rows: [2], login: 'steady.state', id: '284', send: { lastname: 'Planned' }, was: { lastname: 'Steady' } }), 'run-redrive'),
    ];
    dlq.sendBatch({
      QueueUrl: API_DLQ,
      Entries: dead.map((m, i) => ({ ...toBatchEntry(m, String(i), true), MessageAttributes: { [DEAD_LETTER_ATTRIBUTE]: { DataType: 'String', StringValue: 'dead' } } })),
    });
    await (await userDirectory()).update('284', 'steady.state', { lastname: 'ChangedSince' });
    // Act: the operator's redrive (start-message-move-task), then the consumer drains the queue.
    expect(dlq.moveTo(queue)).toBe(2);
    await queue.drain(handler, () => lambdaContext());
    // Assess
    expect(outcomesOf('run-redrive')).toEqual([
      ['steady.state', 'skipped', ['redriven from the dead-letter queue: Coupa changed lastname since the plan: not forced (run the file again for a fresh plan)']],
      ['back.again', 'created'],
    ]);
    expect(coupa.users().find((u) => u.login === 'steady.state')).toMatchObject({ lastname: 'ChangedSince' });
    expect(coupa.users().filter((u) => u.login === 'back.again')).toHaveLength(1);
    // Assess: counted once each (settled before as failed), and a report-again execution of the run started.
    expect(await records.get(run.runId)).toMatchObject({ settled: 2, phase: 'reported' });
    const starts = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(starts[0].stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(starts[0].name).toMatch(/^run-redrive-again-\d{8}T\d{6}$/);
    expect(JSON.parse(starts[0].input!)).toMatchObject({ run, mode: 'report-again', bucket: 'drop-bucket', channel: 'api' });
  });
});
