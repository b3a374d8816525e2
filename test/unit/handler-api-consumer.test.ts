import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import type { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { CoupaAuthError } from '../../lambdas/core/coupa-errors';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { CREDENTIALS_REFUSED_LOG } from '../../lambdas/adapters/aws/api-consumer-limits';
import type { UserDirectory } from '../../lambdas/adapters/coupa';
import { hrRecord, syncMessage } from '../support/factories';
import { lambdaContext, sqsEvent, sqsRecord, stubHandlerEnv } from './handler-fixtures';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const s3Mock = mockClient(S3Client);
const smMock = mockClient(SecretsManagerClient);
const snsMock = mockClient(SNSClient);

let healthy: RunningEmulator;
let failing: RunningEmulator;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let resetAwsContext: () => void;
let userDirectory: () => Promise<UserDirectory>;
let logger: Logger;

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
  stubHandlerEnv({ COUPA_SECRET_ARN: SECRET_ARN });
  ({ handler } = await import('../../lambdas/api-consumer'));
  ({ resetAwsContext, userDirectory, logger } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([healthy?.close(), failing?.close()]);
});

beforeEach(() => {
  vi.restoreAllMocks();
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

  it('hands every message back, throwing nothing, when the secret is still the placeholder', async () => {
    // Prepare
    useCoupa(healthy);
    smMock.on(GetSecretValueCommand).resolves({ SecretString: '{"clientId":"","clientSecret":"generated"}' });
    const logged = vi.spyOn(logger, 'error');
    // Act
    const response = await handler(sqsEvent(sqsRecord('msg-1', newHire()), sqsRecord('msg-2', emailChange())), lambdaContext());
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['msg-1', 'msg-2']);
    expect(logged).toHaveBeenCalledWith(CREDENTIALS_REFUSED_LOG, expect.objectContaining({ error: expect.stringMatching(/is not filled in/) }));
    expect(JSON.stringify(logged.mock.calls)).not.toContain('generated');
    expect(recordedOutcomes()).toEqual([]);
  });

  it('on bad credentials hands every message back (nothing thrown), logs no secret, then re-reads the fixed secret', async () => {
    // Prepare: the secret holds a wrong client secret, then the operator fixes it.
    useCoupa(healthy);
    smMock
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ clientId: healthy.credentials.clientId, clientSecret: 'wrong-secret-value' }) })
      .resolves({ SecretString: JSON.stringify({ clientId: healthy.credentials.clientId, clientSecret: healthy.credentials.clientSecret }) });
    const logged = vi.spyOn(logger, 'error');
    const event = sqsEvent(
      sqsRecord('msg-1', syncMessage(hrRecord({ row: 5, login: 'auth.retry' }), 'hr-run-2')),
      sqsRecord('msg-2', syncMessage(hrRecord({ row: 6, login: 'auth.other' }), 'hr-run-2')),
    );
    // Act
    const first = await handler(event, lambdaContext());
    const second = await handler(event, lambdaContext());
    // Assess
    expect(first.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['msg-1', 'msg-2']);
    expect(logged).toHaveBeenCalledWith(CREDENTIALS_REFUSED_LOG, expect.objectContaining({ handedBack: 2 }));
    expect(JSON.stringify(logged.mock.calls)).not.toContain('wrong-secret-value');
    expect(second).toEqual({ batchItemFailures: [] });
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(healthy.users().some((u) => u.login === 'auth.retry')).toBe(true);
  });

  it('uses a rotated secret 15 minutes later without a cold start, and keeps the client while the secret is unchanged', async () => {
    // Prepare
    useCoupa(healthy);
    const first = await userDirectory();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      // Act
      vi.setSystemTime(Date.now() + 15 * 60_000);
      const unchanged = await userDirectory();
      smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
        SecretString: JSON.stringify({ clientId: healthy.credentials.clientId, clientSecret: 'rotated-secret' }),
      });
      vi.setSystemTime(Date.now() + 15 * 60_000);
      const rotated = await userDirectory();
      // Assess
      expect(unchanged).toBe(first);
      expect(rotated).not.toBe(first);
      expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('records what it applied and hands back only the rest when the credentials fail mid-batch', async () => {
    // Prepare: the first lookups and writes succeed, then Coupa starts refusing the client.
    useCoupa(healthy);
    const directory = await userDirectory();
    const realCreate = directory.create.bind(directory);
    let creates = 0;
    vi.spyOn(directory, 'create').mockImplementation(async (login, fields) => {
      if (++creates > 1) throw new CoupaAuthError('Coupa rejected the OAuth client (HTTP 401)', 401);
      return realCreate(login, fields);
    });
    const hire = (row: number, login: string) =>
      syncMessage(hrRecord({ row, login, fields: { email: `${login}@example.com`, firstname: 'A', lastname: 'B', active: true } }), 'hr-run-5');
    // Act
    const response = await handler(
      sqsEvent(sqsRecord('m1', hire(1, 'mid.one')), sqsRecord('m2', hire(2, 'mid.two')), sqsRecord('m3', hire(3, 'mid.three'))),
      lambdaContext(),
    );
    // Assess: m1 is settled and must not come back; m2 and m3 are handed back.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m2', 'm3']);
    expect(recordedOutcomes().flatMap((r) => r.outcomes.map((o) => [o.login, o.outcome]))).toEqual([['mid.one', 'created']]);
  });

  it('stops starting logins when one more worst-case request would not fit, and hands the rest back', async () => {
    // Prepare: plenty of time until the first login is applied, then less than one worst case (30 s + 1 s + margin).
    useCoupa(healthy);
    const hire = (row: number, login: string) =>
      syncMessage(hrRecord({ row, login, fields: { email: `${login}@example.com`, firstname: 'A', lastname: 'B', active: true } }), 'hr-run-6');
    const firstDone = () => healthy.users().some((u) => u.login === 'late.one');
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => (firstDone() ? 20_000 : 120_000) };
    // Act
    const response = await handler(
      sqsEvent(sqsRecord('m1', hire(1, 'late.one')), sqsRecord('m2', hire(2, 'late.two')), sqsRecord('m3', hire(3, 'late.three'))),
      context,
    );
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m2', 'm3']);
    expect(healthy.users().some((u) => u.login === 'late.two')).toBe(false);
    expect(recordedOutcomes().flatMap((r) => r.outcomes.map((o) => [o.login, o.outcome]))).toEqual([['late.one', 'created']]);
  });
});
