import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { hrRecord, syncMessage } from '../support/factories';
import { lambdaContext, sqsEvent, sqsRecord } from './handler-fixtures';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let resetAwsContext: () => void;

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('BUCKET_NAME', 'drop-bucket');
  vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:eu-west-1:123456789012:failures');
  ({ handler } = await import('../../lambdas/dlq-notifier'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  resetAwsContext();
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('dlq-notifier handler', () => {
  it('records each dead row as failed in its run and sends one notification naming run, file, row and login', async () => {
    // Prepare
    const dead = syncMessage(hrRecord({ row: 17, login: 'stuck.user' }), 'hr-run-3', 'incoming/hr.csv');
    // Act
    const response = await handler(sqsEvent(sqsRecord('d1', dead, 'api-dlq.fifo', 5)), lambdaContext('dlq-notifier'));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const [put] = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(put.Key).toMatch(/^runs\/hr-run-3\/outcomes\/.+\.json$/);
    const record = JSON.parse(String(put.Body)) as OutcomeRecord;
    expect(record.outcomes).toEqual([
      { row: 17, login: 'stuck.user', outcome: 'failed', errors: ['gave up after 5 attempts: message moved to api-dlq.fifo'] },
    ]);
    const [publish] = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publish.Subject).toBe('Coupa user sync: row 17 (stuck.user) failed');
    expect(publish.Message).toContain('Run hr-run-3, file incoming/hr.csv, row 17, login stuck.user');
    expect(publish.MessageAttributes?.severity?.StringValue).toBe('failure');
  });

  it('keeps a dead message whose outcome could not be recorded, for the next attempt', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(new Error('SlowDown'));
    const dead = syncMessage(hrRecord({ row: 1, login: 'a' }), 'hr-run-4');
    // Act
    const response = await handler(sqsEvent(sqsRecord('d1', dead, 'csv-dlq')), lambdaContext('dlq-notifier'));
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'd1' }] });
  });
});
