/** Lambda events and context, and an in-memory S3 bucket, for the handler and adapter tests. */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type DeleteObjectCommandInput,
  type GetObjectCommandInput,
  type ListObjectsV2CommandInput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/core/serde';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AwsStub } from 'aws-sdk-client-mock';
import { vi } from 'vitest';
import type { SyncMessage } from '../../lambdas/core/model';

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

/** An SQS record as Lambda delivers it; `body` is a SyncMessage or any raw string. */
export function sqsRecord(messageId: string, body: SyncMessage | string, queue = 'api.fifo', receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1763870400000',
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: '1763870400000',
      ...(typeof body === 'string' ? {} : { MessageGroupId: body.record.login }),
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

/**
 * A bucket in memory behind an aws-sdk-client-mock S3 mock: Put/Get/List/Delete behave like S3
 * for plain keys, and Get returns a real stream.
 */
export function fakeS3Bucket(s3Mock: AwsStub<any, any, any>): Map<string, Buffer> {
  const objects = new Map<string, Buffer>();
  s3Mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    const body = input.Body;
    objects.set(input.Key!, Buffer.isBuffer(body) ? body : Buffer.from(String(body)));
    return {};
  });
  s3Mock.on(GetObjectCommand).callsFake(async (input: GetObjectCommandInput) => {
    const body = objects.get(input.Key!);
    if (body === undefined) throw Object.assign(new Error(`NoSuchKey ${input.Key}`), { name: 'NoSuchKey' });
    return { Body: sdkStreamMixin(Readable.from([body])) };
  });
  s3Mock.on(ListObjectsV2Command).callsFake(async (input: ListObjectsV2CommandInput) => ({
    Contents: [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort().map((Key) => ({ Key })),
    IsTruncated: false,
  }));
  s3Mock.on(DeleteObjectCommand).callsFake(async (input: DeleteObjectCommandInput) => {
    objects.delete(input.Key!);
    return {};
  });
  return objects;
}

export const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:failures';

/** The environment every handler reads (the stack sets it), plus what one handler needs more. */
export function stubHandlerEnv(extra: Record<string, string> = {}): void {
  const env = { POWERTOOLS_LOG_LEVEL: 'SILENT', BUCKET_NAME: 'drop-bucket', TOPIC_ARN, ...extra };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}
