/** Lambda events and context, and an in-memory S3 bucket, for the handler and adapter tests. */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3ServiceException,
  type DeleteObjectCommandInput,
  type GetObjectCommandInput,
  type ListObjectsV2CommandInput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { Context, S3Event, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AwsStub } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { ChangeMessage } from '../../lambdas/core/model';
import type { RunRecord } from '../../lambdas/core/ports';

export function lambdaContext(functionName = 'test-fn'): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An SQS record as Lambda delivers it; `body` is a ChangeMessage or any raw string. */
export function sqsRecord(messageId: string, body: ChangeMessage | string, queue = 'api.fifo', receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1763870400000',
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: '1763870400000',
      ...(typeof body === 'string' ? {} : { MessageGroupId: body.group }),
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:${queue}`,
    awsRegion: 'eu-west-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** S3 event keys are URL-encoded, spaces as `+`. */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/** An S3 ObjectCreated event as S3 sends it for one upload (the key URL-encoded). */
export function s3Event(key: string, versionId: string | undefined, bucket = 'drop-bucket'): S3Event {
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
          bucket: { name: bucket, ownerIdentity: { principalId: 'o' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeS3Key(key), size: 100, eTag: `etag-${versionId ?? 'none'}`, ...(versionId ? { versionId } : {}), sequencer: '01' },
        },
      },
    ],
  };
}

/** A stored version of an object: its bytes, or a delete marker. */
export interface FakeVersion {
  versionId: string;
  body?: Buffer;
  contentType?: string;
  deleteMarker?: boolean;
}

export const s3Error = (name: string, status: number, message: string) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });

/**
 * A versioned S3 bucket in memory. As a Map it holds the current version of each key (what a
 * GetObject without VersionId reads); every write through the SDK or `set` adds a version.
 */
export class FakeBucket extends Map<string, Buffer> {
  private readonly history = new Map<string, FakeVersion[]>();
  private nextVersion = 1;
  /** Keys written (every new version, delete markers not included), in order. */
  readonly writes: string[] = [];
  /** Keys written with a stream body (an uploaded file) rather than a string or buffer, in order. */
  readonly streamedWrites: string[] = [];
  /** A test's fault: an error for a PutObject S3 should refuse (e.g. a 503 SlowDown), or undefined. */
  putFault?: (key: string, body: Buffer) => Error | undefined;
  /**
   * Prefixes the caller may list. S3 answers a GetObject of a missing key with 404 NoSuchKey only to
   * a caller allowed s3:ListBucket there, else with 403 AccessDenied (undefined: every prefix).
   */
  listable?: string[];

  override set(key: string, body: Buffer): this {
    this.putVersion(key, body);
    return this;
  }

  override delete(key: string): boolean {
    const existed = super.delete(key);
    if (existed) this.versionsOf(key).push({ versionId: this.newVersionId(), deleteMarker: true });
    return existed;
  }

  /** Writes a new current version; returns its VersionId. */
  putVersion(key: string, body: Buffer, contentType?: string): string {
    const versionId = this.newVersionId();
    this.versionsOf(key).push({ versionId, body, ...(contentType ? { contentType } : {}) });
    this.writes.push(key);
    super.set(key, body);
    return versionId;
  }

  /** Every version of a key, oldest first (delete markers included). */
  versionsOf(key: string): FakeVersion[] {
    let versions = this.history.get(key);
    if (!versions) this.history.set(key, (versions = []));
    return versions;
  }

  /** The current version's id. */
  currentVersion(key: string): string | undefined {
    const latest = this.history.get(key)?.at(-1);
    return latest && !latest.deleteMarker ? latest.versionId : undefined;
  }

  text(key: string): string {
    const body = this.get(key);
    if (body === undefined) throw new Error(`no object ${key} in the fake bucket`);
    return body.toString('utf8');
  }

  json<T = any>(key: string): T {
    return JSON.parse(this.text(key)) as T;
  }

  /** Current keys under a prefix, sorted as S3 lists them. */
  keysUnder(prefix: string): string[] {
    return [...this.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  read(key: string, versionId?: string): FakeVersion {
    const versions = this.history.get(key) ?? [];
    if (versionId !== undefined) {
      const version = versions.find((v) => v.versionId === versionId);
      if (!version) throw s3Error('NoSuchVersion', 404, 'The specified version does not exist.');
      if (version.deleteMarker) throw s3Error('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.');
      return version;
    }
    const latest = versions.at(-1);
    if (!latest || latest.deleteMarker) {
      if (this.listable && !this.listable.some((p) => key.startsWith(p))) throw s3Error('AccessDenied', 403, 'Access Denied');
      throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: { httpStatusCode: 404 } });
    }
    return latest;
  }

  private newVersionId(): string {
    return `v${String(this.nextVersion++).padStart(6, '0')}`;
  }
}

/**
 * The FakeBucket behind an aws-sdk-client-mock S3 mock, answering as S3 does: PutObject returns a
 * VersionId and refuses `IfNoneMatch: '*'` on an existing key (412 PreconditionFailed); GetObject
 * reads the current version or exactly the `VersionId` asked, as a real stream, and a missing key is
 * NoSuchKey (404); List and Delete (a delete marker) see current versions only.
 */
export function fakeS3Bucket(s3Mock: AwsStub<any, any, any>, options: { listable?: string[] } = {}): FakeBucket {
  const objects = new FakeBucket();
  objects.listable = options.listable;
  s3Mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    const key = input.Key!;
    // The body is read first: from the condition's check to the write nothing may await, or two
    // concurrent conditional writes would both pass (S3 lets exactly one win).
    const streamed = input.Body instanceof Readable;
    const body = await bodyBytes(input.Body);
    if (input.IfNoneMatch === '*' && objects.has(key)) {
      throw s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
    }
    // S3 refuses a body shorter or longer than the ContentLength the request announced.
    if (input.ContentLength !== undefined && input.ContentLength !== body.length) {
      throw s3Error('IncompleteBody', 400, `ContentLength ${input.ContentLength} but the body has ${body.length} bytes`);
    }
    const fault = objects.putFault?.(key, body);
    if (fault) throw fault;
    if (streamed) objects.streamedWrites.push(key);
    const versionId = objects.putVersion(key, body, input.ContentType);
    return { VersionId: versionId, ETag: `"${versionId}"` };
  });
  s3Mock.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
    const version = objects.read(input.Key!, input.VersionId);
    return {
      Body: sdkStreamMixin(Readable.from([version.body!])),
      VersionId: version.versionId,
      ETag: `"${version.versionId}"`,
      ...(version.contentType ? { ContentType: version.contentType } : {}),
    };
  });
  s3Mock.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => ({
    Contents: objects.keysUnder(input.Prefix ?? '').map((Key) => ({ Key })),
    IsTruncated: false,
  }));
  s3Mock.on(DeleteObjectCommand).callsFake(async (input: DeleteObjectCommandInput) => {
    objects.delete(input.Key!);
    return { DeleteMarker: true };
  });
  return objects;
}

/** A PutObject body as S3 receives it: a string, bytes, or a stream read to its end. */
async function bodyBytes(body: PutObjectCommandInput['Body']): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Readable) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks);
  }
  return Buffer.from(String(body));
}

export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:failures';

/**
 * The environment every handler reads (the stack sets it), plus what one handler needs more. Metrics
 * are off (their EMF lines would fill the test output); a test that reads them passes
 * `POWERTOOLS_METRICS_DISABLED: 'false'`.
 */
export function stubHandlerEnv(extra: Record<string, string> = {}): void {
  const env = { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', BUCKET_NAME: 'drop-bucket', TOPIC_ARN, ...extra };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

/**
 * Points the handlers' run-table client (wiring/dynamo.ts builds a plain DynamoDBClient) at a
 * dynalite server: the SDK takes its endpoint from AWS_ENDPOINT_URL_DYNAMODB. Call again after
 * `db.reset()` (a new table name), then reset the wiring.
 */
export function stubRunTableEnv(db: { endpoint: string; tableName: string }): void {
  const env = { AWS_ENDPOINT_URL_DYNAMODB: db.endpoint, RUN_TABLE: db.tableName, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

/** A run's record as the state machine's admission leaves it, applying (counts at zero unless given). */
export function applyingRunRecord(runId: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    run: { runId, file: 'hr.csv' },
    channel: 'api',
    dryRun: false,
    arrivedAt: '2026-12-01T06:00:00.000Z',
    bucket: 'drop-bucket',
    phase: 'applying',
    admittedAt: '2026-12-01T06:00:01.000Z',
    queued: 0,
    settled: 0,
    failed: 0,
    submitted: 0,
    ...overrides,
  };
}
