/**
 * The deployed stack, in-process, for the AWS-path tests: the synthesized run state machine
 * (LocalRunMachine), the run table in dynalite, the versioned bucket, the FIFO api queue, the topic
 * and the Coupa secret behind aws-sdk-client-mock fakes, and the real handlers — splitter, run-plan,
 * run-task, run-ended, api-consumer — against a Coupa emulator over HTTP.
 *
 *   const stack = await startRunStack();                  // beforeAll
 *   await stack.fresh({ roster: { mode: 'full' } });       // each test: new Coupa, bucket, queue, table
 *   const { runId } = await stack.drop('incoming/x.csv', csv);
 *   await stack.settle();                                  // executions end; the queue drained meanwhile
 */
import { vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/server';
import { runIdFor } from '../../lambdas/core/sync/route';
import type { RunRecord } from '../../lambdas/core/ports';
import { functionOf, type RunFunction, type TaskRequest } from '../../lambdas/core/runs/contract';
import { DynamoRunLine } from '../../lambdas/adapters/aws/dynamo-run-line';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { startDynalite, type Dynalite } from './dynalite';
import { FakeFifoQueue } from './fake-sqs';
import { LocalRunMachine } from './local-run-machine';
import { runMachineDefinition, testFunctionArn } from './run-machine-definition';
import { fakeS3Bucket, lambdaContext, s3Event, stubHandlerEnv, type FakeBucket } from '../unit/handler-fixtures';

export const BUCKET = 'drop-bucket';
export const API_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-api.fifo';
const CSV_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-csv';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:runs';

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

export interface RunStack {
  coupa: RunningEmulator;
  objects: FakeBucket;
  queue: FakeFifoQueue;
  machine: LocalRunMachine;
  db: Dynalite;
  s3Mock: ReturnType<typeof mockClient>;
  snsMock: ReturnType<typeof mockClient>;
  sqsMock: ReturnType<typeof mockClient>;
  sfnMock: ReturnType<typeof mockClient>;
  /** A new Coupa, bucket, queue, table and state machine; the handlers configured with `config`. */
  fresh(config?: Record<string, unknown>, emulator?: EmulatorOptions): Promise<void>;
  /** HR drops a file: a new version, its S3 event to the splitter (twice with `duplicateEvent`). */
  drop(key: string, body: string, options?: { arrivedSecondsAgo?: number; duplicateEvent?: boolean }): Promise<{ runId: string; versionId: string }>;
  /** The splitter handles `event` as S3 would deliver it. */
  splitter: Handler<S3Event, void>;
  consumer: Handler<SQSEvent, SQSBatchResponse>;
  /** Does one task as the state machine would: by the function that does it (contract.ts functionOf). */
  runTask: (payload: unknown) => Promise<unknown>;
  /** Drains the queue once with the api-consumer, if anything is on it. */
  settleQueue(): Promise<void>;
  /** From now on, the run-task calls `when` picks fail with `error()` (a crash in a step); `calls` counts them. */
  failTask(when: (request: TaskRequest) => boolean, error: () => Error): { calls: number };
  /** Until every execution has ended, the api-consumer drains the queue in batches of ten. */
  settle(options?: { consumer?: Handler<SQSEvent, SQSBatchResponse>; beforeDrain?: () => boolean }): Promise<void>;
  record(runId: string): Promise<RunRecord | undefined>;
  holder(lane?: 'apply' | 'preview'): Promise<string | undefined>;
  /** SNS publishes so far: subject and message. */
  published(): Array<{ subject: string; message: string; kind?: string }>;
  close(): Promise<void>;
}

/** Files arrive this long ago by default: the line's settle window (LINE_SETTLE_MS) is over at once. */
export const ARRIVED_SECONDS_AGO = 60;

/** `metrics`: keep the handlers' metrics (their EMF lines go to stdout): only the tests that read them want them. */
export async function startRunStack(options: { metrics?: boolean } = {}): Promise<RunStack> {
  const s3Mock = mockClient(S3Client);
  const sqsMock = mockClient(SQSClient);
  const snsMock = mockClient(SNSClient);
  const smMock = mockClient(SecretsManagerClient);
  const sfnMock = mockClient(SFNClient);
  const db = await startDynalite();
  stubHandlerEnv({
    API_QUEUE_URL: API_QUEUE,
    CSV_QUEUE_URL: CSV_QUEUE,
    COUPA_SECRET_ARN: SECRET_ARN,
    BUCKET_NAME: BUCKET,
    STATE_MACHINE_ARN,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    POWERTOOLS_METRICS_DISABLED: options.metrics ? 'false' : 'true',
  });
  const { handler: splitter } = await import('../../lambdas/splitter');
  const { handler: runPlanHandler } = await import('../../lambdas/run-plan');
  const { handler: runTaskHandler } = await import('../../lambdas/run-task');
  const { handler: runEndedHandler } = await import('../../lambdas/run-ended');
  const { handler: consumer } = await import('../../lambdas/api-consumer');
  const { resetAwsContext } = await import('../../lambdas/adapters/aws/context');
  const definition = runMachineDefinition().definition;
  const faults: Array<{ when: (request: TaskRequest) => boolean; error: () => Error; counter: { calls: number } }> = [];
  /** A run function's handler, with the faults a test injected (failTask) in front of it. */
  const runFunction = (name: RunFunction, handler: unknown) => async (payload: unknown) => {
    for (const fault of faults) {
      if (!fault.when(payload as TaskRequest)) continue;
      fault.counter.calls += 1;
      throw fault.error();
    }
    return (handler as Handler<unknown, unknown>)(payload, { ...lambdaContext(name), getRemainingTimeInMillis: () => 900_000 });
  };
  const functions = { 'run-plan': runFunction('run-plan', runPlanHandler), 'run-task': runFunction('run-task', runTaskHandler) };
  const runTask = (payload: unknown) => functions[functionOf((payload as TaskRequest).task)](payload);
  const runEnded = (event: unknown) => (runEndedHandler as unknown as Handler<unknown, unknown>)(event, lambdaContext('run-ended'));
  const consumerContext = () => ({ ...lambdaContext('api-consumer'), getRemainingTimeInMillis: () => 300_000 });

  const stack = {
    s3Mock,
    snsMock,
    sqsMock,
    sfnMock,
    db,
    splitter: splitter as unknown as Handler<S3Event, void>,
    consumer: consumer as unknown as Handler<SQSEvent, SQSBatchResponse>,
    runTask,
  } as RunStack;

  stack.fresh = async (config = {}, emulator = {}) => {
    await stack.machine?.shutdown();
    await stack.coupa?.close();
    stack.coupa = await startEmulator({ seed: 'demo', ...emulator });
    vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ delivery: 'api', ...config, coupa: { ...((config.coupa as object) ?? {}), url: stack.coupa.url } }));
    await db.reset();
    vi.stubEnv('RUN_TABLE', db.tableName);
    for (const mock of [s3Mock, sqsMock, snsMock, smMock, sfnMock]) mock.reset();
    smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({ clientId: stack.coupa.credentials.clientId, clientSecret: stack.coupa.credentials.clientSecret }),
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    stack.objects = fakeS3Bucket(s3Mock, { listable: ['runs/', 'state/'] });
    stack.queue = new FakeFifoQueue(API_QUEUE).attach(sqsMock);
    stack.machine = new LocalRunMachine(definition, {
      functions: { [testFunctionArn('run-plan')]: functions['run-plan'], [testFunctionArn('run-task')]: functions['run-task'] },
      runEnded,
      waitMs: 2,
    }).attach(sfnMock);
    faults.length = 0;
    resetAwsContext();
  };

  stack.drop = async (key, body, options = {}) => {
    const versionId = stack.objects.putVersion(key, Buffer.from(body), 'text/csv');
    const event = s3Event(key, versionId, BUCKET);
    event.Records[0].eventTime = new Date(Date.now() - (options.arrivedSecondsAgo ?? ARRIVED_SECONDS_AGO) * 1000).toISOString();
    await stack.splitter(event, lambdaContext('splitter'));
    if (options.duplicateEvent) await stack.splitter(event, lambdaContext('splitter'));
    return { runId: runIdFor(BUCKET, key, versionId), versionId };
  };

  stack.settleQueue = async () => {
    if (stack.queue.size > 0) await stack.queue.drain(stack.consumer, consumerContext, 10, 10_000);
  };
  stack.failTask = (when, error) => {
    const counter = { calls: 0 };
    faults.push({ when, error, counter });
    return counter;
  };
  stack.settle = async (options = {}) => {
    const drainWith = options.consumer ?? stack.consumer;
    for (;;) {
      const running = [...stack.machine.executions.values()].filter((e) => e.status === 'RUNNING');
      if (running.length === 0 && stack.queue.size === 0) return;
      if (stack.queue.size > 0 && (options.beforeDrain?.() ?? true)) await stack.queue.drain(drainWith, consumerContext, 10, 10_000);
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  stack.record = (runId) => new DynamoRunRecords(db.client, db.tableName).get(runId);
  stack.holder = async (lane = 'apply') => (await new DynamoRunLine(db.client, db.tableName, BUCKET).holder(lane))?.runId;
  stack.published = () =>
    snsMock.commandCalls(PublishCommand).map((c) => {
      const input = c.args[0].input as { Subject?: string; Message?: string; MessageAttributes?: Record<string, { StringValue?: string }> };
      return { subject: input.Subject ?? '', message: input.Message ?? '', kind: input.MessageAttributes?.kind?.StringValue };
    });
  stack.close = async () => {
    await stack.machine?.shutdown();
    await stack.coupa?.close();
    await db.close();
    vi.unstubAllEnvs();
  };
  return stack;
}
