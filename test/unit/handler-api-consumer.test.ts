import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { CoupaAuthError } from '../../lambdas/core/coupa/directory';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { hrRecord, syncMessage } from '../support/factories';
import { lambdaContext, sqsEvent, sqsRecord } from './handler-fixtures';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const s3Mock = mockClient(S3Client);
const smMock = mockClient(SecretsManagerClient);
const snsMock = mockClient(SNSClient);

let healthy: RunningEmulator;
let failing: RunningEmulator;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let resetAwsContext: () => void;

/** Points the handler at one emulator: config in the environment, its OAuth client in the secret. */
function useCoupa(emulator: RunningEmulator): void {
  vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ coupa: { url: emulator.url, maxAttempts: 1, maxRetryMs: 1000 } }));
  smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ clientId: emulator.credentials.clientId, clientSecret: emulator.credentials.clientSecret }),
  });
  resetAwsContext();
}

function recordedOutcomes(): OutcomeRecord[] {
  return s3Mock
    .commandCalls(PutObjectCommand)
    .filter((c) => String(c.args[0].input.Key).includes('/outcomes/'))
    .map((c) => JSON.parse(String(c.args[0].input.Body)) as OutcomeRecord);
}

const newHire = () => syncMessage(hrRecord({ row: 1, login: 'new.hire', fields: { email: 'new.hire@example.com', firstname: 'New', lastname: 'Hire', active: true } }), 'hr-run-1');
const emailChange = () => syncMessage(hrRecord({ row: 2, login: 'mgr.jones', fields: { email: 'jones.new@example.com' } }), 'hr-run-1');

beforeAll(async () => {
  healthy = await startEmulator({ seed: 'demo' });
  failing = await startEmulator({ seed: 'demo', faults: { errorRate: 1, seed: 1 } });
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('COUPA_SECRET_ARN', SECRET_ARN);
  vi.stubEnv('BUCKET_NAME', 'drop-bucket');
  vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:eu-west-1:123456789012:failures');
  ({ handler } = await import('../../lambdas/api-consumer'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([healthy?.close(), failing?.close()]);
});

beforeEach(() => {
  s3Mock.reset();
  smMock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('api-consumer handler (real HTTP to the Coupa emulator)', () => {
  it('applies the batch, records the outcomes and reports no item failures', async () => {
    // Prepare
    useCoupa(healthy);
    // Act
    const response = await handler(sqsEvent(sqsRecord('msg-1', newHire()), sqsRecord('msg-2', emailChange())), lambdaContext());
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const users = healthy.users();
    expect(users.find((u) => u.login === 'new.hire')).toMatchObject({ email: 'new.hire@example.com' });
    expect(users.find((u) => u.login === 'mgr.jones')).toMatchObject({ email: 'jones.new@example.com' });
    const outcomes = recordedOutcomes().flatMap((r) => r.outcomes.map((o) => [r.runId, o.login, o.outcome]));
    expect(outcomes.sort()).toEqual([
      ['hr-run-1', 'mgr.jones', 'updated'],
      ['hr-run-1', 'new.hire', 'created'],
    ]);
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('returns every message as a batch item failure when Coupa keeps failing (retryable)', async () => {
    // Prepare: every /api/ request answers 503 and the client gives up after one attempt.
    useCoupa(failing);
    // Act
    const response = await handler(sqsEvent(sqsRecord('msg-1', newHire()), sqsRecord('msg-2', emailChange())), lambdaContext());
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['msg-1', 'msg-2']);
    expect(failing.users().some((u) => u.login === 'new.hire')).toBe(false);
    expect(recordedOutcomes()).toEqual([]);
  });

  it('drops an unreadable body with a notification instead of retrying it forever', async () => {
    // Prepare
    useCoupa(healthy);
    // Act
    const response = await handler(sqsEvent(sqsRecord('msg-bad', '{not json'), sqsRecord('msg-ok', newHire())), lambdaContext());
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.some((p) => p.Message?.includes('api.fifo/msg-bad'))).toBe(true);
    expect(published.every((p) => !p.Message?.includes('{not json'))).toBe(true);
  });

  it('fails the whole batch with a clear error when the secret is still the placeholder', async () => {
    // Prepare
    useCoupa(healthy);
    smMock.on(GetSecretValueCommand).resolves({ SecretString: '{"clientId":"","clientSecret":"generated"}' });
    // Act / Assess
    await expect(handler(sqsEvent(sqsRecord('msg-1', newHire())), lambdaContext())).rejects.toThrow(/is not filled in/);
  });

  it('after bad credentials fails the batch, then re-reads the secret once the operator fixes it', async () => {
    // Prepare: the secret holds a wrong client secret.
    useCoupa(healthy);
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ clientId: healthy.credentials.clientId, clientSecret: 'wrong' }) })
      .resolves({ SecretString: JSON.stringify({ clientId: healthy.credentials.clientId, clientSecret: healthy.credentials.clientSecret }) });
    const event = sqsEvent(sqsRecord('msg-1', syncMessage(hrRecord({ row: 5, login: 'auth.retry' }), 'hr-run-2')));
    // Act
    const first = await handler(event, lambdaContext()).catch((err: Error) => err);
    const second = await handler(event, lambdaContext());
    // Assess
    expect(first).toBeInstanceOf(CoupaAuthError);
    expect(second).toEqual({ batchItemFailures: [] });
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(healthy.users().some((u) => u.login === 'auth.retry')).toBe(true);
  });
});
