/**
 * The AWS path end to end, in one process, against the Coupa emulator over real HTTP, as deployed
 * since the run bookkeeping moved to Step Functions and DynamoDB (docs/orchestration.md): a file
 * dropped into the bucket → the real splitter starts the run's execution → the run state machine
 * exactly as `cdk synth` defines it (test/support/local-run-machine.ts) with every Task state calling
 * the real run-plan and run-task handlers → the real api-consumer draining the FIFO queue in batches of ten
 * meanwhile → Report. The run table is dynalite (test/support/dynalite.ts) behind a meter that
 * counts requests and capacity units (bench/dynamo-meter.ts); S3, SQS, SNS and Secrets Manager are
 * aws-sdk-client-mock fakes that count the requests the handlers make.
 *
 *   const aws = await startAwsPath({ emulator, config: { roster: { mode: 'full' } } });
 *   const run = await aws.runFile('incoming/hr.csv', csvText);   // the execution, to its end
 *   run.usage;                                                   // S3, DynamoDB, SQS, transitions
 *   await aws.close();
 *
 * Not a vitest test (bench/ runs with tsx): the environment the stack gives the handlers is set on
 * process.env here, and put back by close().
 */
import { Readable } from 'node:stream';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type DeleteObjectCommandInput,
  type GetObjectCommandInput,
  type ListObjectsV2CommandInput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RunningEmulator } from '../emulator/server';
import type { RunReport } from '../lambdas/core/model';
import { FIRST_APPLY_WAIT_S } from '../lambdas/core/runs/progress';
import { runIdFor } from '../lambdas/core/sync/route';
import { startDynalite, type Dynalite } from '../test/support/dynalite';
import { FakeFifoQueue } from '../test/support/fake-sqs';
import { LocalRunMachine, type LocalExecution } from '../test/support/local-run-machine';
import { runMachineDefinition, testFunctionArn } from '../test/support/run-machine-definition';
import { startDynamoMeter, type DynamoMeter, type DynamoUsage } from './dynamo-meter';

export const BUCKET = 'bench-drop-bucket';
export const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/coupa-sync-api.fifo';
const CSV_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/coupa-sync-csv';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:coupa-sync';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:coupa-bench';
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:runs';

/** us-east-1 list prices (December 2026), in dollars per request or unit; Lambda is not counted. */
export const PRICES = {
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  /** LIST is billed as a PUT-class request. */
  s3List: 0.005 / 1000,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  sqsFifoRequest: 0.5 / 1e6,
  stateTransition: 0.025 / 1000,
} as const;

/** What one run cost in AWS requests. */
export interface AwsUsage {
  s3: { get: number; put: number; list: number; delete: number };
  dynamo: DynamoUsage;
  /**
   * SQS requests: those the handlers made (SendMessageBatch, SendMessage, ChangeMessageVisibilityBatch…),
   * and those Lambda's event source mapping makes for each batch it delivers: one ReceiveMessage and one
   * DeleteMessageBatch (its empty long polls between runs are not counted).
   */
  sqs: { byHandlers: Record<string, number>; byPoller: number; total: number };
  /** States the execution entered (every type) and retried attempts: Step Functions Standard's billed transitions. */
  transitions: number;
  sns: number;
  /** Dollars at PRICES. */
  cost: { s3: number; dynamo: number; sqs: number; stepFunctions: number; total: number };
}

/** One S3 object version (deleted: a delete marker). */
interface Version {
  versionId: string;
  body?: Buffer;
}

/** A versioned bucket: every put is a new version; a get without a version reads the newest. */
export class MemoryBucket {
  private readonly versions = new Map<string, Version[]>();
  private nextVersion = 1;

  put(key: string, body: string | Buffer | Uint8Array): string {
    const versionId = `v${String(this.nextVersion++).padStart(8, '0')}`;
    const list = this.versions.get(key) ?? [];
    list.push({ versionId, body: Buffer.from(body) });
    this.versions.set(key, list);
    return versionId;
  }

  has(key: string): boolean {
    return this.versions.get(key)?.at(-1)?.body !== undefined;
  }

  read(key: string, versionId?: string): Version | undefined {
    const list = this.versions.get(key);
    const version = versionId === undefined ? list?.at(-1) : list?.find((v) => v.versionId === versionId);
    return version?.body === undefined ? undefined : version;
  }

  get(key: string): Buffer | undefined {
    return this.read(key)?.body;
  }

  delete(key: string): void {
    if (this.has(key)) this.versions.get(key)!.push({ versionId: `v${String(this.nextVersion++).padStart(8, '0')}` });
  }

  keys(prefix = ''): string[] {
    return [...this.versions.keys()].filter((k) => k.startsWith(prefix) && this.has(k)).sort();
  }
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Uint8Array) return Buffer.from(body as string | Uint8Array);
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
  throw new Error(`MemoryBucket: unsupported body type ${typeof body}`);
}

function failure(name: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { name, Code: name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

const lambdaContext = (functionName: string, remainingMs: number): Context => ({
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
  memoryLimitInMB: '1024',
  awsRequestId: `bench-${functionName}`,
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'bench',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => remainingMs,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

export interface AwsPathOptions {
  emulator: RunningEmulator;
  /** COUPA_SYNC_CONFIG (coupa.url is set to the emulator's). */
  config?: Record<string, unknown>;
  /**
   * How long every Wait state waits, in ms. Default: the first WaitForApply the run-task Lambda asks
   * for (15 s), in real time, as Coupa's rate budget is too: the waiting loops then turn about as often
   * as deployed (a little more: deployed, later waits grow by half each time), and the transitions and
   * run-table reads they cost are not those of a loop spinning every few ms.
   */
  waitMs?: number;
}

export interface AwsRunResult {
  runId: string;
  execution: LocalExecution;
  /** api-consumer invocations (Lambda's SQS batches of at most ten). */
  batches: number;
  /** The run's report (runs/<runId>/report.json). */
  report?: RunReport;
  usage: AwsUsage;
  seconds: number;
}

export interface AwsPath {
  objects: MemoryBucket;
  /** Drops a file into the bucket and runs it to the end of its execution. */
  runFile(key: string, body: string | Buffer): Promise<AwsRunResult>;
  close(): Promise<void>;
}

/** Sets the environment the stack gives the handlers, fakes AWS, loads the real handlers. */
export async function startAwsPath(options: AwsPathOptions): Promise<AwsPath> {
  const { emulator } = options;
  const db: Dynalite = await startDynalite();
  const meter: DynamoMeter = await startDynamoMeter(db.endpoint);
  const config = { delivery: 'api', ...(options.config ?? {}), coupa: { ...((options.config?.coupa as object) ?? {}), url: emulator.url } };
  const env: Record<string, string> = {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    BUCKET_NAME: BUCKET,
    TOPIC_ARN,
    COUPA_SECRET_ARN: SECRET_ARN,
    API_QUEUE_URL: QUEUE_URL,
    CSV_QUEUE_URL,
    STATE_MACHINE_ARN,
    RUN_TABLE: db.tableName,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_DYNAMODB: meter.endpoint,
    COUPA_SYNC_CONFIG: JSON.stringify(config),
  };
  const previousEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);

  const objects = new MemoryBucket();
  const s3Calls = { get: 0, put: 0, list: 0, delete: 0 };
  const s3 = mockClient(S3Client);
  s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    s3Calls.put += 1;
    if (input.Bucket !== BUCKET) throw failure('NoSuchBucket', 404, `no bucket ${input.Bucket}`);
    const body = await bodyBytes(input.Body);
    if (input.IfNoneMatch === '*' && objects.has(input.Key!)) throw failure('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
    const VersionId = objects.put(input.Key!, body);
    return { VersionId, ETag: `"${VersionId}"` };
  });
  s3.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
    s3Calls.get += 1;
    const version = objects.read(input.Key!, input.VersionId);
    if (version === undefined) throw failure('NoSuchKey', 404, `The specified key does not exist: ${input.Key}`);
    return { Body: sdkStreamMixin(Readable.from([version.body!])), ContentLength: version.body!.length, VersionId: version.versionId, ETag: `"${version.versionId}"` };
  });
  s3.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => {
    s3Calls.list += 1;
    // Pages of 1,000 keys, as S3 returns them.
    const keys = objects.keys(input.Prefix ?? '');
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + 1000);
    const more = start + 1000 < keys.length;
    return { Contents: page.map((Key) => ({ Key })), KeyCount: page.length, IsTruncated: more, ...(more ? { NextContinuationToken: String(start + 1000) } : {}) };
  });
  s3.on(DeleteObjectCommand).callsFake(async (input: DeleteObjectCommandInput) => {
    s3Calls.delete += 1;
    objects.delete(input.Key!);
    return { DeleteMarker: true };
  });

  const sqs = mockClient(SQSClient);
  const queue = new FakeFifoQueue(QUEUE_URL).attach(sqs);
  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).resolves({ MessageId: 'n' });
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ clientId: emulator.credentials.clientId, clientSecret: emulator.credentials.clientSecret }),
  });
  const sfn = mockClient(SFNClient);

  const context = await import('../lambdas/adapters/aws/context');
  context.resetAwsContext();
  const splitter = (await import('../lambdas/splitter')).handler as unknown as (e: S3Event, c: Context) => Promise<void>;
  const consumer = (await import('../lambdas/api-consumer')).handler as unknown as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
  const runPlan = (await import('../lambdas/run-plan')).handler as unknown as (e: unknown, c: Context) => Promise<unknown>;
  const runTask = (await import('../lambdas/run-task')).handler as unknown as (e: unknown, c: Context) => Promise<unknown>;
  const runEnded = (await import('../lambdas/run-ended')).handler as unknown as (e: unknown, c: Context) => Promise<unknown>;
  const machine = new LocalRunMachine(runMachineDefinition().definition, {
    functions: {
      [testFunctionArn('run-plan')]: (payload) => runPlan(payload, lambdaContext('run-plan', 900_000)),
      [testFunctionArn('run-task')]: (payload) => runTask(payload, lambdaContext('run-task', 900_000)),
    },
    runEnded: (event) => runEnded(event, lambdaContext('run-ended', 60_000)),
    waitMs: options.waitMs ?? FIRST_APPLY_WAIT_S * 1000,
  }).attach(sfn);

  const s3Event = (key: string, versionId: string): S3Event => ({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        // Arrived a minute ago: the line's settle window for files of one drop is over.
        eventTime: new Date(Date.now() - 60_000).toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'bench' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'bench', 'x-amz-id-2': 'bench' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'incoming',
          bucket: { name: BUCKET, ownerIdentity: { principalId: 'bench' }, arn: `arn:aws:s3:::${BUCKET}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: objects.get(key)?.length ?? 0, eTag: versionId, versionId, sequencer: '0' },
        },
      },
    ],
  });

  async function runFile(key: string, body: string | Buffer): Promise<AwsRunResult> {
    const versionId = objects.put(key, body);
    const runId = runIdFor(BUCKET, key, versionId);
    for (const k of Object.keys(s3Calls) as Array<keyof typeof s3Calls>) s3Calls[k] = 0;
    meter.reset();
    sqs.resetHistory();
    sns.resetHistory();
    const started = performance.now();
    await splitter(s3Event(key, versionId), lambdaContext('splitter', 60_000));
    const execution = machine.executions.get(runId);
    if (!execution) throw new Error(`no execution started for ${key} (run ${runId})`);
    // Until the execution has ended, the api-consumer drains the queue in batches of ten, as Lambda's poller would.
    let batches = 0;
    while (execution.status === 'RUNNING' || queue.size > 0) {
      if (queue.size > 0) batches += await queue.drain(consumer, () => lambdaContext('api-consumer', 300_000), 10, 100_000);
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seconds = (performance.now() - started) / 1000;
    if (execution.status !== 'SUCCEEDED') throw new Error(`run ${runId} ended ${execution.status}: ${JSON.stringify(execution.error)}`);
    const reportBody = objects.get(`runs/${runId}/report.json`);
    const byHandlers: Record<string, number> = {};
    for (const call of sqs.calls()) {
      const name = (call.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
      byHandlers[name] = (byHandlers[name] ?? 0) + 1;
    }
    const handlerSqs = Object.values(byHandlers).reduce((a, b) => a + b, 0);
    const dynamo = meter.usage();
    const usage: Omit<AwsUsage, 'cost'> = {
      s3: { ...s3Calls },
      dynamo,
      sqs: { byHandlers, byPoller: 2 * batches, total: handlerSqs + 2 * batches },
      transitions: execution.transitions,
      sns: sns.calls().length,
    };
    return {
      runId,
      execution,
      batches,
      ...(reportBody ? { report: JSON.parse(reportBody.toString('utf8')) as RunReport } : {}),
      usage: { ...usage, cost: costOf(usage) },
      seconds,
    };
  }

  return {
    objects,
    runFile,
    async close() {
      await machine.shutdown();
      for (const mock of [s3, sqs, sns, secrets, sfn]) mock.restore();
      context.resetAwsContext();
      await meter.close();
      await db.close();
      for (const [k, v] of Object.entries(previousEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/** The run's AWS bill at PRICES (S3 DELETE is free). */
export function costOf(usage: Omit<AwsUsage, 'cost'>): AwsUsage['cost'] {
  const s3 = usage.s3.put * PRICES.s3Put + usage.s3.get * PRICES.s3Get + usage.s3.list * PRICES.s3List;
  const dynamo = usage.dynamo.writeUnits * PRICES.dynamoWriteUnit + usage.dynamo.readUnits * PRICES.dynamoReadUnit;
  const sqs = usage.sqs.total * PRICES.sqsFifoRequest;
  const stepFunctions = usage.transitions * PRICES.stateTransition;
  return { s3, dynamo, sqs, stepFunctions, total: s3 + dynamo + sqs + stepFunctions };
}

/** The run's AWS requests and cost, one line each. */
export function formatAwsUsage(usage: AwsUsage): string[] {
  const count = (byName: Record<string, number>) =>
    Object.entries(byName)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, n]) => `${n} ${name}`)
      .join(', ');
  const dynamoRequests = Object.values(usage.dynamo.requests).reduce((a, b) => a + b, 0);
  const dollars = (n: number) => `$${n.toFixed(5)}`;
  return [
    `S3: ${usage.s3.get} GET, ${usage.s3.put} PUT, ${usage.s3.list} LIST, ${usage.s3.delete} DELETE`,
    `DynamoDB: ${dynamoRequests} requests (${count(usage.dynamo.requests)}): ${usage.dynamo.writeUnits} write units, ${usage.dynamo.readUnits} read units`,
    `SQS: ${usage.sqs.total} requests (handlers: ${count(usage.sqs.byHandlers) || 'none'}; Lambda's poller: ${usage.sqs.byPoller}, one receive and one delete per batch)`,
    `Step Functions: ${usage.transitions} state transitions; SNS: ${usage.sns} publish`,
    `cost per run (us-east-1 list prices, Lambda not counted): S3 ${dollars(usage.cost.s3)}, DynamoDB ${dollars(usage.cost.dynamo)}, SQS FIFO ${dollars(usage.cost.sqs)}, Step Functions ${dollars(usage.cost.stepFunctions)}: total ${dollars(usage.cost.total)}`,
  ];
}
