import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { ChangeMessageVisibilityBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { StartFileTransferCommand, TransferClient } from '@aws-sdk/client-transfer';
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { DynamoSettledLogins } from '../../lambdas/adapters/aws/dynamo-settled-logins';
import { startDynalite, type Dynalite } from '../support/dynalite';
import { changeMessage, plannedChange } from '../support/factories';
import { applyingRunRecord, fakeS3Bucket, lambdaContext, sqsEvent, sqsRecord, stubHandlerEnv, stubRunTableEnv } from './handler-fixtures';

const BUCKET = 'drop-bucket';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const s3Mock = mockClient(S3Client);
const transferMock = mockClient(TransferClient);
const smMock = mockClient(SecretsManagerClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);

let coupa: RunningEmulator;
let db: Dynalite;
let incomingDir: string;
let objects: Map<string, Buffer>;
let batcher: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let poller: (event: ScheduledEvent, context: Context) => Promise<{ settled: number; pending: number }>;
let resetAwsContext: () => void;

const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent;

function outcomes(): Array<[string, string]> {
  return [...objects.entries()]
    .filter(([k]) => k.includes('/outcomes/'))
    .flatMap(([, v]) => (JSON.parse(v.toString('utf8')) as OutcomeRecord).outcomes.map((o) => [o.login, o.outcome] as [string, string]));
}

beforeAll(async () => {
  incomingDir = await mkdtemp(join(tmpdir(), 'coupa-incoming-'));
  coupa = await startEmulator({ seed: 'demo', loader: { incomingDir } });
  db = await startDynalite();
  stubHandlerEnv({
    COUPA_SYNC_CONFIG: JSON.stringify({
    delivery: 'csv',
    coupa: { url: coupa.url, scopes: 'core.user.read core.user.write core.integration.read', maxAttempts: 1 },
  }),
    COUPA_SECRET_ARN: SECRET_ARN,
    BUCKET_NAME: BUCKET,
    CONNECTOR_ID: 'c-0123456789abcdef0',
  });
  ({ handler: batcher } = await import('../../lambdas/csv-batcher'));
  ({ handler: poller } = await import('../../lambdas/csv-results-poller'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await coupa?.close();
  await db?.close();
  await rm(incomingDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await db.reset();
  stubRunTableEnv(db);
  resetAwsContext();
  s3Mock.reset();
  transferMock.reset();
  smMock.reset();
  snsMock.reset();
  sqsMock.reset();
  objects = fakeS3Bucket(s3Mock);
  // Transfer Family, simulated: the staged outbox file lands in the emulator's /Incoming/Users folder.
  transferMock.on(StartFileTransferCommand).callsFake(async (input) => {
    const [path] = input.SendFilePaths as string[];
    const key = path.slice(`/${BUCKET}/`.length);
    await writeFile(join(incomingDir, key.split('/').pop()!), objects.get(key)!);
    return { TransferId: `tr-${key.split('/').pop()}` };
  });
  smMock.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ clientId: coupa.credentials.clientId, clientSecret: coupa.credentials.clientSecret }),
  });
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('csv channel handlers (Transfer simulated, Coupa emulated)', () => {
  it('batcher sends a user-import file through the connector; poller records Coupa’s verdict', async () => {
    // Prepare
    const rows = [
      changeMessage(
        plannedChange({ rows: [1], login: 'csv.new', kind: 'create', send: { active: true, email: 'csv.new@example.com', firstname: 'Csv', lastname: 'New' } }),
        'hr-csv-1',
        'incoming/csv/hr.csv',
      ),
      changeMessage(
        plannedChange({ rows: [2], login: 'mgr.jones', id: '282', send: { email: 'jones.csv@example.com', firstname: 'Mgr' }, was: { email: 'mgr.jones@example.com', firstname: 'Maria' } }),
        'hr-csv-1',
        'incoming/csv/hr.csv',
      ),
    ];
    const records = new DynamoRunRecords(db.client, db.tableName);
    await records.create(applyingRunRecord('hr-csv-1', { channel: 'csv', queued: 2 }));
    // Act 1: the batcher turns the queue batch into files (a create's columns differ from the update's) and starts their transfers.
    const response = await batcher(sqsEvent(sqsRecord('m1', rows[0], 'csv'), sqsRecord('m2', rows[1], 'csv')), lambdaContext('csv-batcher'));
    // Assess 1
    expect(response).toEqual({ batchItemFailures: [] });
    const transfers = transferMock.commandCalls(StartFileTransferCommand).map((c) => c.args[0].input);
    expect(transfers).toHaveLength(2);
    for (const transfer of transfers) {
      expect(transfer).toMatchObject({ ConnectorId: 'c-0123456789abcdef0', RemoteDirectoryPath: '/Incoming/Users' });
      expect(transfer.SendFilePaths?.[0]).toMatch(new RegExp(`^/${BUCKET}/outbox/[^/]+\\.csv$`));
    }
    expect([...objects.keys()].filter((k) => k.startsWith('outbox/manifests/pending/'))).toHaveLength(2);
    expect(await records.get('hr-csv-1')).toMatchObject({ settled: 2, submitted: 2, failed: 0 });

    // Act 2: before Coupa has picked the files up, the poller leaves them pending.
    expect(await poller(scheduled, lambdaContext('poller'))).toEqual({ settled: 0, pending: 2 });
    // Act 3: Coupa's pick-up runs, then the poller comes back.
    await coupa.processIncoming();
    const settled = await poller(scheduled, lambdaContext('poller'));
    // Assess 3
    expect(settled).toEqual({ settled: 2, pending: 0 });
    expect(outcomes().sort()).toEqual([
      ['csv.new', 'applied'],
      ['csv.new', 'submitted'],
      ['mgr.jones', 'applied'],
      ['mgr.jones', 'submitted'],
    ]);
    // Assess 3: each login counted once, whatever the loader said after `submitted`.
    expect(await records.get('hr-csv-1')).toMatchObject({ settled: 2, failed: 0 });
    expect(coupa.users().find((u) => u.login === 'csv.new')).toMatchObject({ email: 'csv.new@example.com' });
    expect([...objects.keys()].filter((k) => k.startsWith('outbox/manifests/done/'))).toHaveLength(2);
    expect([...objects.keys()].filter((k) => k.startsWith('outbox/manifests/pending/'))).toHaveLength(0);
  });

  it('batcher hands back a report whose new manager the queue put in a later batch, so Coupa loads the manager first (issue 7)', async () => {
    // Prepare: one run creates csv.boss (level 0) and csv.report under it (level 1); the standard queue hands out the report's batch first.
    const hire = (login: string, row: number, level: number, manager?: string) =>
      changeMessage(
        plannedChange({
          rows: [row],
          login,
          kind: 'create',
          level,
          send: { active: true, email: `${login}@example.com`, firstname: 'Csv', lastname: 'Hire', ...(manager ? { manager } : {}) },
          ...(manager ? { dependsOn: manager } : {}),
        }),
        'hr-csv-order',
        'incoming/csv/hr.csv',
      );
    const boss = hire('csv.boss', 3, 0);
    const report = hire('csv.report', 2, 1, 'csv.boss');
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });

    // Act 1: the report's batch, before its manager was settled.
    const first = await batcher(sqsEvent(sqsRecord('m-report', report, 'csv')), lambdaContext('csv-batcher'));
    // Assess 1: handed back with a one-minute visibility, no file sent.
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-report' }] });
    expect(transferMock.commandCalls(StartFileTransferCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/csv', Entries: [{ Id: '0', ReceiptHandle: 'rh-m-report', VisibilityTimeout: 60 }] },
    ]);

    // Act 2: the manager's batch; then the report comes back (second receive).
    const second = await batcher(sqsEvent(sqsRecord('m-boss', boss, 'csv')), lambdaContext('csv-batcher'));
    await new Promise((r) => setTimeout(r, 5)); // the next batch's files are named at a later millisecond, as in real time
    const third = await batcher(sqsEvent(sqsRecord('m-report', report, 'csv', 2)), lambdaContext('csv-batcher'));
    await coupa.processIncoming();
    await poller(scheduled, lambdaContext('poller'));

    // Assess 2: the manager's record, the files in manager-then-report order, and both applied in Coupa.
    expect([second, third]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect([...(await new DynamoSettledLogins(db.client, db.tableName).settledOf('hr-csv-order', ['csv.boss']))]).toEqual(['csv.boss']);
    const sentFiles = transferMock.commandCalls(StartFileTransferCommand).map((c) => c.args[0].input.SendFilePaths![0].split('/').pop()!);
    expect(sentFiles).toHaveLength(2);
    expect([...sentFiles].sort()).toEqual(sentFiles);
    expect(outcomes().sort()).toEqual([
      ['csv.boss', 'applied'],
      ['csv.boss', 'submitted'],
      ['csv.report', 'applied'],
      ['csv.report', 'submitted'],
    ]);
    const bossId = coupa.users().find((u) => u.login === 'csv.boss')!.id;
    expect(coupa.users().find((u) => u.login === 'csv.report')).toMatchObject({ manager: expect.objectContaining({ id: bossId }) });
  });

  it('batcher fails the batch when the transfer cannot start, so SQS redelivers it', async () => {
    // Prepare
    transferMock.on(StartFileTransferCommand).rejects(new Error('ThrottlingException'));
    const message = changeMessage(plannedChange({ rows: [1], login: 'csv.later' }), 'hr-csv-2');
    // Act / Assess
    await expect(batcher(sqsEvent(sqsRecord('m1', message, 'csv')), lambdaContext('csv-batcher'))).rejects.toThrow('ThrottlingException');
  });

  it('poller does nothing (not even read the secret) when no file is pending', async () => {
    // Act / Assess
    expect(await poller(scheduled, lambdaContext('poller'))).toEqual({ settled: 0, pending: 0 });
    expect(smMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('poller asks Coupa for core.integration.read even when coupa.scopes leaves it out (the users scopes alone get a 403)', async () => {
    // Prepare: the default scopes (core.user.read core.user.write) and one file sent.
    vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ delivery: 'csv', coupa: { url: coupa.url, maxAttempts: 1 } }));
    resetAwsContext();
    const message = changeMessage(plannedChange({ rows: [1], login: 'steady.state', id: '284', send: { firstname: 'Samuel' } }), 'hr-csv-3');
    await batcher(sqsEvent(sqsRecord('m1', message, 'csv')), lambdaContext('csv-batcher'));
    await coupa.processIncoming();
    coupa.resetLog();
    // Act
    const settled = await poller(scheduled, lambdaContext('poller'));
    // Assess
    expect(settled).toEqual({ settled: 1, pending: 0 });
    expect(outcomes()).toEqual([['steady.state', 'submitted'], ['steady.state', 'applied']]);
    expect(coupa.requests.filter((r) => r.path === '/api/data_file_sources').map((r) => r.status)).toEqual([200]);
  });
});
