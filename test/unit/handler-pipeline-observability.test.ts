/**
 * An HR file through the real splitter, api-consumer and run-reporter handlers (Coupa emulated over
 * real HTTP, S3 in memory, SQS/SNS/Secrets mocked): the run funnel shows in the metrics, and the
 * row's e-mail, names and phone reach no log line, no EMF blob and no alert — only its login does.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { Context, S3Event, ScheduledEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import type { ReportRunsResult } from '../../lambdas/core/sync/report-runs';
import { fakeS3Bucket, lambdaContext, s3Event, stubHandlerEnv, stubRunTableEnv, type FakeBucket } from './handler-fixtures';
import { startDynalite, type Dynalite } from '../support/dynalite';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const API_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/api.fifo';
const s3Mock = mockClient(S3Client);
const smMock = mockClient(SecretsManagerClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);

const EMAIL = 'xanthippe.quernheimer@private-mail.example';
const FIRST = 'Xanthippe';
const LAST = 'Quernheimer';
const PHONE = '+49 170 5550199';
const LOGIN = 'xq.newhire';

let coupa: RunningEmulator;
let splitter: (event: S3Event, context: Context) => Promise<void>;
let apiConsumer: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let runReporter: (event: ScheduledEvent, context: Context) => Promise<ReportRunsResult>;
let resetAwsContext: () => void;
let objects: FakeBucket;
let queued: SendMessageBatchRequestEntry[];
let stdout: string[];


function sqsRecords(entries: SendMessageBatchRequestEntry[]): SQSRecord[] {
  return entries.map((e, i) => ({
    messageId: `m-${i}`,
    receiptHandle: 'rh',
    body: e.MessageBody!,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1', SenderId: 'A', ApproximateFirstReceiveTimestamp: '1', MessageGroupId: e.MessageGroupId },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:api.fifo',
    awsRegion: 'eu-west-1',
  }));
}

const emfBlobs = () =>
  stdout
    .flatMap((s) => s.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, any>);
const total = (name: string) =>
  emfBlobs().reduce((n, b) => n + (Array.isArray(b[name]) ? b[name].reduce((a: number, v: number) => a + v, 0) : (b[name] ?? 0)), 0);

let db: Dynalite;

beforeAll(async () => {
  // The consumers settle runs in the run table (dynalite).
  db = await startDynalite();
  coupa = await startEmulator({ seed: 'demo' });
  stubHandlerEnv({
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_SERVICE_NAME: 'coupa-user-sync',
    COUPA_SECRET_ARN: SECRET_ARN,
    API_QUEUE_URL: API_QUEUE,
    CSV_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/csv',
    COUPA_SYNC_CONFIG: JSON.stringify({ delivery: 'api', coupa: { url: coupa.url, maxAttempts: 1, maxRetryMs: 1000 } }),
  });
  ({ handler: splitter } = await import('../../lambdas/splitter'));
  ({ handler: apiConsumer } = await import('../../lambdas/api-consumer'));
  ({ handler: runReporter } = await import('../../lambdas/run-reporter'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await coupa?.close();
  await db?.close();
});

beforeEach(async () => {
  await db.reset(); // a fresh table: marks and records of the last test are gone
  stubRunTableEnv(db);
  resetAwsContext();
  for (const m of [s3Mock, smMock, snsMock, sqsMock]) m.reset();
  objects = fakeS3Bucket(s3Mock);
  smMock.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ clientId: coupa.credentials.clientId, clientSecret: coupa.credentials.clientSecret }),
  });
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  queued = [];
  sqsMock.on(SendMessageBatchCommand).callsFake(async (input: { Entries: SendMessageBatchRequestEntry[] }) => {
    queued.push(...input.Entries);
    return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: 'x' })), Failed: [] };
  });
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      stdout.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
});

describe('an HR file through splitter, api-consumer and run-reporter', () => {
  it('counts the funnel and lets no e-mail, name or phone out but the login', async () => {
    // Prepare: one new hire with distinctive personal data, and one row with a bad e-mail (rejected).
    const csv = ['login,email,firstname,lastname,phone-mobile', `${LOGIN},${EMAIL},${FIRST},${LAST},${PHONE}`, `xq.bad,not-an-email-${LAST},${FIRST},${LAST},`].join('\n');
    objects.set('incoming/hr.csv', Buffer.from(csv));
    // Act
    await splitter(s3Event('incoming/hr.csv', objects.currentVersion('incoming/hr.csv')), lambdaContext('splitter'));
    expect(queued.length).toBeGreaterThan(0);
    const consumed = await apiConsumer({ Records: sqsRecords(queued) }, lambdaContext('api-consumer'));
    const reported = await runReporter({ source: 'aws.events' } as ScheduledEvent, lambdaContext('run-reporter'));
    // Assess: the pipeline did its job.
    expect(consumed.batchItemFailures).toEqual([]);
    expect(coupa.users().find((u) => u.login === LOGIN)).toMatchObject({ email: EMAIL });
    expect(reported.reported).toHaveLength(1);
    // The funnel and Coupa in the metrics.
    expect(total('FilesReceived')).toBe(1);
    expect(total('RowsRead')).toBe(2);
    expect(total('RowsRejected')).toBe(1);
    expect(total('ChangesQueued')).toBe(1);
    expect(total('UsersCreated')).toBe(1);
    expect(total('RunsReported')).toBe(1);
    expect(total('CoupaRequests')).toBeGreaterThan(0);
    expect(emfBlobs().find((b) => 'CoupaLatency' in b)).toMatchObject({ service: 'coupa-user-sync', channel: 'api' });
    // No personal data beyond the login anywhere people or CloudWatch see.
    const published = snsMock.commandCalls(PublishCommand).map((c) => JSON.stringify(c.args[0].input));
    // One message for the run: its digest.
    expect(published).toHaveLength(1);
    const emitted = [...stdout, ...published].join('\n');
    expect(stdout.some((l) => l.includes('"level":"DEBUG"'))).toBe(true);
    for (const personal of [EMAIL, FIRST, LAST, PHONE, 'private-mail', 'Quernheimer']) expect(emitted).not.toContain(personal);
    // The row not applied is named by its login (and the field, never its value).
    expect(published[0]).toContain('row 2, login xq.bad: rejected');
    expect(published[0]).toContain('field \\"email\\"');
  });
});
