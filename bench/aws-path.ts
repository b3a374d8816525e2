/**
 * The AWS path end to end, in one process, against the Coupa emulator over real HTTP: the real
 * planner handler (lambdas/splitter.ts) on an S3 event, the real api-consumer fed the queued
 * messages in batches of 10 as Lambda would, then the real run reporter. AWS itself is faked with
 * aws-sdk-client-mock: an in-memory versioned S3 bucket (conditional writes with IfNoneMatch), an
 * in-memory FIFO queue that SendMessageBatch fills, SNS that accepts, Secrets Manager that holds
 * the emulator's OAuth client.
 *
 * Self-contained (no test helpers), so tests may share it later:
 *
 *   const aws = await startAwsPath({ emulator, config: { coupa: { … } } });
 *   const run = await aws.runFile('incoming/hr.csv', csvText);   // plan → apply → report
 *   aws.objects.get('state/coupa-users.ndjson');                 // the bucket, newest versions
 *   aws.close();
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
import { SendMessageBatchCommand, SendMessageCommand, SQSClient, type SendMessageBatchCommandInput, type SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { Context, S3Event, ScheduledEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { RunningEmulator } from '../emulator/server';

export const BUCKET = 'bench-drop-bucket';
export const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-api.fifo';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:coupa-sync';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-bench';

/** One S3 object version. */
interface Version {
  versionId: string;
  body: Buffer;
}

/** A versioned bucket: every put is a new version; get without a version reads the newest. */
export class MemoryBucket {
  private readonly versions = new Map<string, Version[]>();
  private nextVersion = 1;

  put(key: string, body: string | Buffer | Uint8Array): string {
    const versionId = `v${this.nextVersion++}`;
    const list = this.versions.get(key) ?? [];
    list.push({ versionId, body: Buffer.from(body) });
    this.versions.set(key, list);
    return versionId;
  }

  has(key: string): boolean {
    return (this.versions.get(key)?.length ?? 0) > 0;
  }

  get(key: string, versionId?: string): Buffer | undefined {
    const list = this.versions.get(key);
    if (!list?.length) return undefined;
    return versionId === undefined ? list[list.length - 1].body : list.find((v) => v.versionId === versionId)?.body;
  }

  delete(key: string): void {
    this.versions.delete(key);
  }

  keys(prefix = ''): string[] {
    return [...this.versions.keys()].filter((k) => k.startsWith(prefix) && this.has(k)).sort();
  }
}

/** A message on the in-memory FIFO queue (kept in send order). */
export interface QueuedMessage {
  messageId: string;
  body: string;
  groupId?: string;
  receiveCount: number;
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
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

const lambdaContext = (functionName: string, remainingMs = 900_000): Context => ({
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
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
  /** Messages per api-consumer invocation (Lambda's SQS batch size; FIFO allows at most 10). */
  batchSize?: number;
}

export interface AwsRunResult {
  runId: string;
  key: string;
  versionId: string;
  /** Messages the planner queued. */
  queued: number;
  /** api-consumer invocations, and messages handed back for retry. */
  batches: number;
  retried: number;
  /** The run's report (runs/<runId>/report.json), once the reporter wrote it. */
  report?: { totals: Record<string, number> } & Record<string, unknown>;
  seconds: { plan: number; apply: number; report: number };
}

export interface AwsPath {
  objects: MemoryBucket;
  queue: QueuedMessage[];
  notifications: PublishCommandInput[];
  /** Drops a file into the bucket and runs it through planner → consumers → reporter. */
  runFile(key: string, body: string | Buffer): Promise<AwsRunResult>;
  close(): void;
}

/** Sets the environment the stack gives the handlers, fakes AWS, loads the real handlers. */
export async function startAwsPath(options: AwsPathOptions): Promise<AwsPath> {
  const { emulator } = options;
  const batchSize = options.batchSize ?? 10;
  const config = { ...(options.config ?? {}), coupa: { ...((options.config?.coupa as object) ?? {}), url: emulator.url } };
  const env: Record<string, string> = {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    BUCKET_NAME: BUCKET,
    TOPIC_ARN,
    COUPA_SECRET_ARN: SECRET_ARN,
    API_QUEUE_URL: QUEUE_URL,
    COUPA_SYNC_CONFIG: JSON.stringify(config),
  };
  const previousEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);

  const objects = new MemoryBucket();
  const queue: QueuedMessage[] = [];
  const notifications: PublishCommandInput[] = [];
  let nextMessage = 1;

  const s3 = mockClient(S3Client);
  s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    if (input.Bucket !== BUCKET) throw failure('NoSuchBucket', 404, `no bucket ${input.Bucket}`);
    if (input.IfNoneMatch === '*' && objects.has(input.Key!)) throw failure('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
    const VersionId = objects.put(input.Key!, await bodyBytes(input.Body));
    return { VersionId, ETag: `"${VersionId}"` };
  });
  s3.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
    const body = objects.get(input.Key!, input.VersionId);
    if (body === undefined) throw failure('NoSuchKey', 404, `The specified key does not exist: ${input.Key}`);
    return { Body: sdkStreamMixin(Readable.from([body])), ContentLength: body.length };
  });
  s3.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => {
    // Pages of 1,000 keys, as S3 returns them.
    const keys = objects.keys(input.Prefix ?? '');
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + 1000);
    const more = start + 1000 < keys.length;
    return { Contents: page.map((Key) => ({ Key })), KeyCount: page.length, IsTruncated: more, ...(more ? { NextContinuationToken: String(start + 1000) } : {}) };
  });
  s3.on(DeleteObjectCommand).callsFake(async (input: DeleteObjectCommandInput) => {
    objects.delete(input.Key!);
    return {};
  });

  const sqs = mockClient(SQSClient);
  const enqueue = (body: string, groupId?: string) => {
    const messageId = `m-${nextMessage++}`;
    queue.push({ messageId, body, groupId, receiveCount: 0 });
    return messageId;
  };
  sqs.on(SendMessageBatchCommand).callsFake(async (input: SendMessageBatchCommandInput) => {
    if (input.QueueUrl !== QUEUE_URL) throw failure('QueueDoesNotExist', 400, `no queue ${input.QueueUrl}`);
    if ((input.Entries?.length ?? 0) > 10) throw failure('TooManyEntriesInBatchRequest', 400, 'at most 10 entries');
    return { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id!, MessageId: enqueue(e.MessageBody!, e.MessageGroupId), MD5OfMessageBody: 'x' })), Failed: [] };
  });
  sqs.on(SendMessageCommand).callsFake(async (input: SendMessageCommandInput) => ({ MessageId: enqueue(input.MessageBody!, input.MessageGroupId) }));

  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).callsFake(async (input: PublishCommandInput) => {
    notifications.push(input);
    return { MessageId: `n-${notifications.length}` };
  });
  const secrets = mockClient(SecretsManagerClient);
  secrets.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ clientId: emulator.credentials.clientId, clientSecret: emulator.credentials.clientSecret }),
  });

  const context = await import('../lambdas/adapters/aws/context');
  context.resetAwsContext();
  const splitter = (await import('../lambdas/splitter')).handler as unknown as (e: S3Event, c: Context) => Promise<void>;
  const consumer = (await import('../lambdas/api-consumer')).handler as unknown as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
  const reporter = (await import('../lambdas/run-reporter')).handler as unknown as (e: ScheduledEvent, c: Context) => Promise<{ reported: Array<{ runId: string }> }>;

  const s3Event = (key: string, versionId: string): S3Event => ({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'bench' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'bench', 'x-amz-id-2': 'bench' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'incoming',
          bucket: { name: BUCKET, ownerIdentity: { principalId: 'bench' }, arn: `arn:aws:s3:::${BUCKET}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/'), size: objects.get(key, versionId)?.length ?? 0, eTag: versionId, versionId, sequencer: '0' },
        },
      },
    ],
  });

  const sqsRecord = (m: QueuedMessage): SQSRecord => ({
    messageId: m.messageId,
    receiptHandle: `rh-${m.messageId}-${m.receiveCount}`,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(m.groupId ? { MessageGroupId: m.groupId } : {}),
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:${QUEUE_URL.split('/').pop()}`,
    awsRegion: 'eu-west-1',
  });

  /** The oldest `batchSize` messages: the queue keeps send order, so each group's messages stay in order. */
  const takeBatch = (): QueuedMessage[] => queue.splice(0, batchSize);

  async function drain(): Promise<{ batches: number; retried: number }> {
    let batches = 0;
    let retried = 0;
    while (queue.length > 0) {
      const batch = takeBatch();
      for (const m of batch) m.receiveCount += 1;
      const response = await consumer({ Records: batch.map(sqsRecord) }, lambdaContext('api-consumer'));
      batches += 1;
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const back = batch.filter((m) => failed.has(m.messageId));
      for (const m of back) if (m.receiveCount >= 5) throw new Error(`message ${m.messageId} failed ${m.receiveCount} times (a DLQ would take it)`);
      retried += back.length;
      // Handed back: visible again at the head of the queue, in their order (FIFO keeps the group's order).
      queue.unshift(...back);
      if (back.length > 0) await new Promise((r) => setTimeout(r, 200));
    }
    return { batches, retried };
  }

  async function runFile(key: string, body: string | Buffer): Promise<AwsRunResult> {
    const versionId = objects.put(key, body);
    const t0 = performance.now();
    await splitter(s3Event(key, versionId), lambdaContext('splitter'));
    const queued = queue.length;
    const t1 = performance.now();
    const { batches, retried } = await drain();
    const t2 = performance.now();
    const reported = await reporter(
      { version: '0', id: 'bench', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: new Date().toISOString(), region: 'eu-west-1', resources: [], detail: {} },
      lambdaContext('run-reporter'),
    );
    const t3 = performance.now();
    const runId = reported.reported.map((r) => r.runId).find((id) => objects.keys(`runs/${id}/`).length > 0) ?? runIdOf(key);
    const reportBody = objects.get(`runs/${runId}/report.json`);
    return {
      runId,
      key,
      versionId,
      queued,
      batches,
      retried,
      ...(reportBody ? { report: JSON.parse(reportBody.toString('utf8')) } : {}),
      seconds: { plan: (t1 - t0) / 1000, apply: (t2 - t1) / 1000, report: (t3 - t2) / 1000 },
    };
  }

  /** The run of a key whose run planned nothing to queue (reported by the planner itself). */
  function runIdOf(key: string): string {
    const stem = key.split('/').pop()!.replace(/\.[^.]*$/, '');
    const runs = objects.keys('runs/').filter((k) => k.endsWith('/report.json') && k.startsWith(`runs/${stem}`));
    return runs.length ? runs[runs.length - 1].split('/')[1] : '';
  }

  return {
    objects,
    queue,
    notifications,
    runFile,
    close() {
      for (const mock of [s3, sqs, sns, secrets]) mock.restore();
      context.resetAwsContext();
      for (const [k, v] of Object.entries(previousEnv)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}
