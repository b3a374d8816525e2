import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import type { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { CoupaAuthError } from '../../lambdas/core/coupa-errors';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { CREDENTIALS_REFUSED_LOG } from '../../lambdas/adapters/aws/api-consumer-limits';
import type { UserDirectory } from '../../lambdas/adapters/coupa';
import type { PlannedChange } from '../../lambdas/core/model';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { changeMessage, plannedChange } from '../support/factories';
import { lambdaContext, sqsEvent, sqsRecord, stubHandlerEnv, stubRunTableEnv, fakeS3Bucket, s3Error, type FakeBucket } from './handler-fixtures';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const s3Mock = mockClient(S3Client);
const smMock = mockClient(SecretsManagerClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);

let healthy: RunningEmulator;
let failing: RunningEmulator;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let resetAwsContext: () => void;
let userDirectory: (share?: 'turn' | 'consumer' | 'strayConsumer') => Promise<UserDirectory>;
let logger: Logger;
let bucket: FakeBucket;
let db: Dynalite;

/** Points the handler at one emulator: config in the environment, its OAuth client in the secret. */
function useCoupa(emulator: RunningEmulator, coupa: Record<string, unknown> = {}): void {
  vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ coupa: { url: emulator.url, maxAttempts: 1, maxRetryMs: 1000, ...coupa } }));
  smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ clientId: emulator.credentials.clientId, clientSecret: emulator.credentials.clientSecret }),
  });
  resetAwsContext();
}

/** The outcome records S3 holds, in the order they were written (a refused write is not there). */
function recordedOutcomes(): OutcomeRecord[] {
  return bucket.writes.filter((key) => key.includes('/outcomes/')).map((key) => JSON.parse(bucket.get(key)!.toString()) as OutcomeRecord);
}

/** A planned create of `login` (HR row `row`) in run `runId`. */
const hire = (row: number, login: string, runId: string, more: Partial<PlannedChange> = {}) =>
  changeMessage(
    plannedChange({ rows: [row], login, kind: 'create', send: { active: true, email: `${login}@example.com`, firstname: 'A', lastname: 'B' }, ...more }),
    runId,
  );
const newHire = () => hire(1, 'new.hire', 'hr-run-1', { send: { active: true, email: 'new.hire@example.com', firstname: 'New', lastname: 'Hire' } });
const emailChange = () =>
  changeMessage(plannedChange({ rows: [2], login: 'mgr.jones', id: '282', send: { email: 'jones.new@example.com' }, was: { email: 'mgr.jones@example.com' } }), 'hr-run-1');

beforeAll(async () => {
  healthy = await startEmulator({ seed: 'demo' });
  failing = await startEmulator({ seed: 'demo', faults: { errorRate: 1, seed: 1 } });
  db = await startDynalite();
  stubHandlerEnv({ COUPA_SECRET_ARN: SECRET_ARN });
  stubRunTableEnv(db);
  ({ handler } = await import('../../lambdas/api-consumer'));
  ({ resetAwsContext, userDirectory, logger } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([healthy?.close(), failing?.close(), db?.close()]);
});

beforeEach(() => {
  vi.restoreAllMocks();
  sqsMock.reset();
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  s3Mock.reset();
  smMock.reset();
  snsMock.reset();
  // A bucket that answers as S3 does: the shared circuit breaker reads and lists runs/<runId>/breaker*.
  bucket = fakeS3Bucket(s3Mock, { listable: ['runs/'] });
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
    // Assess: they come back in a minute (first delivery), not after the queue's half-hour timeout
    const visibility = sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input);
    expect(visibility).toHaveLength(1);
    expect(visibility[0].QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/api.fifo');
    expect(visibility[0].Entries?.map((e) => [e.ReceiptHandle, e.VisibilityTimeout]).sort()).toEqual([['rh-msg-1', 60], ['rh-msg-2', 60]]);
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
      sqsRecord('msg-1', hire(5, 'auth.retry', 'hr-run-2')),
      sqsRecord('msg-2', hire(6, 'auth.other', 'hr-run-2')),
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
    // Prepare: the first lookups and writes succeed, then Coupa starts refusing the client (of a run not holding the turn).
    useCoupa(healthy);
    const directory = await userDirectory('strayConsumer');
    const realCreate = directory.create.bind(directory);
    let creates = 0;
    vi.spyOn(directory, 'create').mockImplementation(async (login, fields) => {
      if (++creates > 1) throw new CoupaAuthError('Coupa rejected the OAuth client (HTTP 401)', 401);
      return realCreate(login, fields);
    });
    // Act
    const response = await handler(
      sqsEvent(sqsRecord('m1', hire(1, 'mid.one', 'hr-run-5')), sqsRecord('m2', hire(2, 'mid.two', 'hr-run-5')), sqsRecord('m3', hire(3, 'mid.three', 'hr-run-5'))),
      lambdaContext(),
    );
    // Assess: m1 is settled and must not come back; m2 and m3 are handed back.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m2', 'm3']);
    expect(recordedOutcomes().flatMap((r) => r.outcomes.map((o) => [o.login, o.outcome]))).toEqual([['mid.one', 'created']]);
  });

  it('stops starting changes when one more worst-case request would not fit, records the applied ones in the batch\'s one outcome record, and hands the rest back', async () => {
    // Prepare: one change at a time; plenty of time until two users are created, then less than one worst case (30 s + 1 s + margin).
    useCoupa(healthy, { maxInFlight: 1 });
    const created = () => ['late.one', 'late.two'].filter((login) => healthy.users().some((u) => u.login === login)).length;
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => (created() >= 2 ? 20_000 : 120_000) };
    const batch = [
      hire(1, 'late.one', 'hr-run-6'),
      hire(2, 'late.two', 'hr-run-6', { rows: [2, 5] }), // one change settling two HR rows of one login
      hire(3, 'late.three', 'hr-run-6'),
      hire(4, 'late.four', 'hr-run-6'),
    ];
    // Act
    const response = await handler(sqsEvent(...batch.map((m, i) => sqsRecord(`m${i + 1}`, m))), context);
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m3', 'm4']);
    expect(healthy.users().some((u) => u.login === 'late.three' || u.login === 'late.four')).toBe(false);
    expect(recordedOutcomes().map((r) => r.outcomes.map((o) => [o.row, o.login, o.outcome]))).toEqual([
      [
        [1, 'late.one', 'created'],
        [2, 'late.two', 'created'],
        [5, 'late.two', 'created'],
      ],
    ]);
  });

  it('writes one outcome record per run for the batch, not one per change', async () => {
    // Prepare
    useCoupa(healthy);
    // Act
    await handler(sqsEvent(sqsRecord('a1', hire(1, 'batch.one', 'hr-run-a')), sqsRecord('a2', hire(2, 'batch.two', 'hr-run-a')), sqsRecord('b1', hire(1, 'batch.three', 'hr-run-b'))), lambdaContext());
    // Assess
    expect(recordedOutcomes().map((r) => [r.runId, r.outcomes.map((o) => o.login).sort()]).sort()).toEqual([
      ['hr-run-a', ['batch.one', 'batch.two']],
      ['hr-run-b', ['batch.three']],
    ]);
  });

  it('hands a batch back when its outcomes cannot be written; the redelivery confirms every row and writes nothing to Coupa again', async () => {
    // Prepare: S3 refuses the outcome record once.
    useCoupa(healthy);
    const batch = [hire(1, 'flush.one', 'hr-run-f'), hire(2, 'flush.two', 'hr-run-f')];
    let refusals = 1;
    bucket.putFault = (key) => (key.includes('/outcomes/') && refusals-- > 0 ? s3Error('InternalError', 500, 'We encountered an internal error') : undefined);
    const first = await handler(sqsEvent(sqsRecord('f1', batch[0]), sqsRecord('f2', batch[1])), lambdaContext());
    expect(first.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['f1', 'f2']);
    expect(recordedOutcomes()).toEqual([]);
    healthy.resetLog();
    // Act: SQS delivers the batch again
    const again = await handler(sqsEvent(sqsRecord('f1', batch[0], 'api.fifo', 2), sqsRecord('f2', batch[1], 'api.fifo', 2)), lambdaContext());
    // Assess
    expect(again).toEqual({ batchItemFailures: [] });
    expect(healthy.requests.filter((r) => r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/users']);
    expect(healthy.users().filter((u) => String(u.login).startsWith('flush.'))).toHaveLength(2);
    expect(recordedOutcomes().flatMap((r) => r.outcomes.map((o) => [o.login, o.outcome, o.warnings]))).toEqual([
      ['flush.one', 'created', ['confirmed after a redelivery: an earlier delivery had applied it']],
      ['flush.two', 'created', ['confirmed after a redelivery: an earlier delivery had applied it']],
    ]);
  });

  it('confirms a redelivered create whose user Coupa already has: recorded created, with a warning, and not sent again', async () => {
    // Prepare: an earlier delivery created the user and died before recording it.
    useCoupa(healthy);
    const message = hire(7, 'already.made', 'hr-run-7');
    await (await userDirectory()).create('already.made', message.change.send);
    healthy.resetLog();
    // Act
    const response = await handler(sqsEvent(sqsRecord('m1', message, 'api.fifo', 2)), lambdaContext());
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(healthy.requests.filter((r) => r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/users']);
    expect(recordedOutcomes()).toEqual([
      expect.objectContaining({
        runId: 'hr-run-7',
        outcomes: [
          {
            row: 7,
            login: 'already.made',
            outcome: 'created',
            changedFields: ['active', 'email', 'firstname', 'lastname'],
            changes: message.change.changes,
            warnings: ['confirmed after a redelivery: an earlier delivery had applied it'],
          },
        ],
      }),
    ]);
    expect(healthy.users().filter((u) => u.login === 'already.made')).toHaveLength(1);
  });

  it('sends a report whose new manager Coupa refused without the manager, says so, and hands nothing back', async () => {
    // Prepare: the new manager's e-mail is taken, so Coupa refuses it; its report (same FIFO group, next level) waits for it.
    useCoupa(healthy);
    const boss = hire(1, 'refused.boss', 'hr-run-8', { send: { active: true, email: 'lee.leaver@example.com', firstname: 'R', lastname: 'Boss' } });
    const report = hire(2, 'orphan.report', 'hr-run-8', {
      level: 1,
      dependsOn: 'refused.boss',
      send: { active: true, email: 'orphan.report@example.com', firstname: 'O', lastname: 'Report', manager: 'refused.boss' },
    });
    // Act
    const response = await handler(
      sqsEvent(sqsRecord('m1', { ...boss, group: 'refused.boss' }), sqsRecord('m2', { ...report, group: 'refused.boss' })),
      lambdaContext(),
    );
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const outcomes = recordedOutcomes().flatMap((r) => r.outcomes);
    expect(outcomes.map((o) => [o.row, o.login, o.outcome])).toEqual([
      [1, 'refused.boss', 'failed'],
      [2, 'orphan.report', 'created'],
    ]);
    expect(outcomes[1].warnings).toEqual(['manager "refused.boss" could not be created or reactivated: the manager was left unchanged']);
    expect(outcomes[1].changedFields).toEqual(['active', 'email', 'firstname', 'lastname']);
    expect(healthy.users().find((u) => u.login === 'orphan.report')).toMatchObject({ email: 'orphan.report@example.com' });
    expect(healthy.users().some((u) => u.login === 'refused.boss')).toBe(false);
  });

  it('applies two runs\' changes of one user in the batch one after the other, in queue order', async () => {
    // Prepare: two files corrected the same user's last name; Coupa answers the first PUT slowly.
    useCoupa(healthy);
    const directory = await userDirectory('strayConsumer'); // two runs in the batch: the stray consumers' client
    const realUpdate = directory.update.bind(directory);
    let calls = 0;
    vi.spyOn(directory, 'update').mockImplementation(async (id, login, changes) => {
      if (++calls === 1) await new Promise((r) => setTimeout(r, 150));
      return realUpdate(id, login, changes);
    });
    const rename = (runId: string, lastname: string) =>
      changeMessage(plannedChange({ rows: [1], login: 'steady.state', id: '284', send: { lastname } }), runId, `incoming/${runId}.csv`);
    // Act
    const response = await handler(sqsEvent(sqsRecord('m1', rename('hr-run-9a', 'First')), sqsRecord('m2', rename('hr-run-9b', 'Second'))), lambdaContext());
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(healthy.users().find((u) => u.login === 'steady.state')).toMatchObject({ lastname: 'Second' });
    expect(recordedOutcomes().map((r) => [r.runId, r.outcomes.map((o) => o.outcome)])).toEqual([
      ['hr-run-9a', ['updated']],
      ['hr-run-9b', ['updated']],
    ]);
  });
});
