import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { Context, S3Event } from 'aws-lambda';
import { lambdaContext, stubHandlerEnv } from './handler-fixtures';
import { deduplicationId } from '../../lambdas/adapters/aws/sqs-record-queue';
import type { SyncMessage } from '../../lambdas/core/model';

const API_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/api.fifo';
const CSV_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/csv';
const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);

let handler: (event: S3Event, context: Context) => Promise<void>;
let resetAwsContext: () => void;

/** An S3 ObjectCreated event as S3 sends it: the key URL-encoded, spaces as `+`. */
function s3Event(encodedKey: string, versionId = 'v1'): S3Event {
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventTime: '2026-11-23T04:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'hr' },
        requestParameters: { sourceIPAddress: '10.0.0.1' },
        responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'c',
          bucket: { name: 'drop-bucket', ownerIdentity: { principalId: 'o' }, arn: 'arn:aws:s3:::drop-bucket' },
          object: { key: encodedKey, size: 100, eTag: 'etag', versionId, sequencer: '01' },
        },
      },
    ],
  };
}

function hrCsv(validRows: number, extra: string[] = []): string {
  const rows = Array.from({ length: validRows }, (_, i) => `user.${i + 1},user${i + 1}@example.com,User,${i + 1}`);
  return ['login,email,firstname,lastname', ...rows, ...extra].join('\n');
}

/** S3 GetObject answers with a real stream, in several chunks, as the SDK would. */
function serveObject(key: string, body: string): void {
  const half = Math.floor(body.length / 2);
  s3Mock.on(GetObjectCommand, { Bucket: 'drop-bucket', Key: key }).resolves({
    Body: sdkStreamMixin(Readable.from([Buffer.from(body.slice(0, half)), Buffer.from(body.slice(half))])),
  });
}

function splitSummary(): Record<string, any> {
  const put = s3Mock.commandCalls(PutObjectCommand).find((c) => String(c.args[0].input.Key).endsWith('/split.json'));
  if (!put) throw new Error('no split.json written');
  return { key: put.args[0].input.Key, ...JSON.parse(String(put.args[0].input.Body)) };
}

/** Keys written, in order. */
function putKeys(): string[] {
  return s3Mock.commandCalls(PutObjectCommand).map((c) => String(c.args[0].input.Key));
}

beforeAll(async () => {
  stubHandlerEnv({ COUPA_SYNC_CONFIG: JSON.stringify({ delivery: 'api' }), API_QUEUE_URL: API_QUEUE, CSV_QUEUE_URL: CSV_QUEUE });
  ({ handler } = await import('../../lambdas/splitter'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  resetAwsContext();
  s3Mock.reset();
  sqsMock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('splitter handler', () => {
  it('streams the dropped file and queues every valid row on the FIFO api queue, grouped by login', async () => {
    // Prepare: 12 valid rows and one without a login, dropped with a space in its name.
    serveObject('incoming/api/Workday export.csv', hrCsv(12, [',nobody@example.com,No,Body']));
    // Act
    await handler(s3Event('incoming/api/Workday+export.csv'), lambdaContext());
    // Assess
    const calls = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.every((c) => c.QueueUrl === API_QUEUE)).toBe(true);
    const entries = calls.flatMap((c) => c.Entries ?? []);
    expect(calls.map((c) => c.Entries?.length).sort()).toEqual([10, 2]);
    const bodies = entries.map((e) => JSON.parse(e.MessageBody!) as SyncMessage);
    expect(entries.map((e) => e.MessageGroupId)).toEqual(bodies.map((b) => b.record.login));
    expect(bodies.map((b) => b.record.login).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `user.${i + 1}`).sort());
    const runId = bodies[0].runId;
    expect(runId).toMatch(/^Workday_export-[0-9a-f]{12}$/);
    expect(bodies.every((b) => b.file === 'incoming/api/Workday export.csv' && b.runId === runId)).toBe(true);
    expect(entries.map((e) => e.MessageDeduplicationId)).toEqual(bodies.map((b) => deduplicationId(runId, b.record.row)));

    expect(splitSummary()).toMatchObject({ key: `runs/${runId}/split.json`, channel: 'api', rows: 13, queued: 12 });
    expect(splitSummary().rejected).toHaveLength(1);
    expect(putKeys()).toContain(`runs/pending/${runId}`);
    expect(putKeys().indexOf(`runs/pending/${runId}`)).toBeGreaterThan(putKeys().indexOf(`runs/${runId}/split.json`));
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0].MessageAttributes?.runId?.StringValue).toBe(runId);
  });

  it('sends files under incoming/csv/ to the standard csv queue', async () => {
    // Prepare
    serveObject('incoming/csv/hr.csv', hrCsv(3));
    await handler(s3Event('incoming/csv/hr.csv'), lambdaContext());
    // Act
    const calls = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0].QueueUrl).toBe(CSV_QUEUE);
    expect(calls[0].Entries?.map((e) => e.MessageGroupId)).toEqual([undefined, undefined, undefined]);
    expect(splitSummary()).toMatchObject({ channel: 'csv', queued: 3 });
  });

  it('reports a file it cannot read instead of retrying it, and queues nothing', async () => {
    // Prepare: no login column at all.
    serveObject('incoming/bad.csv', 'mail\nx@example.com\n');
    // Act
    await handler(s3Event('incoming/bad.csv'), lambdaContext());
    // Assess
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(splitSummary().error).toMatch(/incoming\/bad.csv/);
    expect(putKeys().filter((k) => k.startsWith('runs/pending/'))).toEqual([]);
    const [publish] = snsMock.commandCalls(PublishCommand);
    expect(publish.args[0].input.Subject).toBe('Coupa user sync: incoming/bad.csv was not processed');
  });

  it('queues and reports the rows read before a break in the file, and says how far it got', async () => {
    // Prepare: 150 good rows, then a quote that never closes.
    serveObject('incoming/broken.csv', hrCsv(150, ['"broken,x@example.com,B,R']));
    // Act
    await handler(s3Event('incoming/broken.csv'), lambdaContext());
    // Assess
    const summary = splitSummary();
    const queued = sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(summary.rows).toBeGreaterThan(0);
    expect(queued).toHaveLength(summary.queued);
    expect(summary.error).toMatch(/^incoming\/broken.csv: /);
    expect(putKeys().filter((k) => k.startsWith('runs/pending/'))).toHaveLength(1);
    const [publish] = snsMock.commandCalls(PublishCommand);
    expect(publish.args[0].input.Subject).toBe('Coupa user sync: incoming/broken.csv was read only in part');
    expect(publish.args[0].input.Message).toContain(`The first ${summary.rows} data row(s) were read (${summary.queued} queued`);
  });

  it('fails the invocation when SQS cannot take the rows, so Lambda retries the event', async () => {
    // Prepare
    serveObject('incoming/hr.csv', hrCsv(2));
    sqsMock.on(SendMessageBatchCommand).rejects(new Error('ServiceUnavailable'));
    // Act / Assess
    await expect(handler(s3Event('incoming/hr.csv'), lambdaContext())).rejects.toThrow('ServiceUnavailable');
  });
});
