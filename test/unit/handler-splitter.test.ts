/**
 * The splitter (planner) handler: S3 events in, plans against the real Coupa emulator over HTTP,
 * S3 as a versioned in-memory bucket that answers like S3 (conditional writes, versions, NoSuchKey
 * only where the splitter may list), SQS and SNS mocked.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, S3Event } from 'aws-lambda';
import { startEmulator, type RunningEmulator, type SeedUser } from '../../emulator/server';
import { createUserDirectory } from '../../lambdas/adapters/coupa';
import { deduplicationId } from '../../lambdas/adapters/aws/sqs-record-queue';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { parseConfig } from '../../lambdas/core/config';
import type { ChangeMessage, RunReport } from '../../lambdas/core/model';
import type { StoredPlan } from '../../lambdas/core/ports';
import type { SplitRecord } from '../../lambdas/core/sync/aws-plan';
import { runIdFor } from '../../lambdas/core/sync/route';
import { fakeS3Bucket, lambdaContext, s3Event, stubHandlerEnv, type FakeBucket } from './handler-fixtures';

const BUCKET = 'drop-bucket';
const API_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/api.fifo';
const CSV_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/csv';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
/** What the stack lets the splitter list (test/infra/stack.test.ts): elsewhere a missing key is AccessDenied. */
const SPLITTER_LISTABLE = ['runs/', 'state/'];
const MINUTE = 60_000;

const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);
const smMock = mockClient(SecretsManagerClient);

let coupa: RunningEmulator;
let objects: FakeBucket;
let handler: (event: S3Event, context: Context) => Promise<void>;
let resetAwsContext: () => void;

/** Starts a fresh Coupa (the demo users unless told) and points the splitter at it with this config. */
async function useCoupa(config: Record<string, any> = {}, seed: 'demo' | SeedUser[] = 'demo'): Promise<void> {
  await coupa?.close();
  coupa = await startEmulator({ seed });
  vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ delivery: 'api', ...config, coupa: { url: coupa.url, maxAttempts: 1, ...config.coupa } }));
  smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ clientId: coupa.credentials.clientId, clientSecret: coupa.credentials.clientSecret }),
  });
  resetAwsContext();
}

/** Coupa's users API as another client sees it (someone changing users between plan and approval). */
function otherCoupaClient() {
  return createUserDirectory({ baseUrl: coupa.url, config: parseConfig({}).coupa, credentials: coupa.credentials });
}

/** HR uploads a file: a new version of the key; returns the event S3 sends for exactly that version. */
function drop(key: string, text: string): { event: S3Event; runId: string; versionId: string } {
  const versionId = objects.putVersion(key, Buffer.from(text, 'utf8'), 'text/csv');
  return { event: s3Event(key, versionId), runId: runIdFor(BUCKET, key, versionId), versionId };
}

const HEADER = 'login,email,firstname,lastname,manager';
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');
const newUsers = (count: number, from = 1) =>
  Array.from({ length: count }, (_, i) => `user.${from + i},user${from + i}@example.com,User,N${from + i},`);

/** What went to SQS, one entry per message, with the SendMessageBatch call it went in. */
function queued(): Array<{ call: number; queue: string; groupId?: string; dedupId?: string; message: ChangeMessage }> {
  return sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c, call) =>
    (c.args[0].input.Entries ?? []).map((e) => ({
      call,
      queue: c.args[0].input.QueueUrl!,
      groupId: e.MessageGroupId,
      dedupId: e.MessageDeduplicationId,
      message: JSON.parse(e.MessageBody!) as ChangeMessage,
    })),
  );
}

/** Keys the splitter wrote (objects it created or replaced; not the conditional writes S3 refused), in order. */
function putKeys(): string[] {
  return objects.writes.filter((k) => !k.startsWith('incoming/') && !k.startsWith('plan/') && !k.startsWith('approvals/'));
}

function published(): PublishCommandInput[] {
  return snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

function ledger(runId: string): OutcomeRecord[] {
  return objects.keysUnder(`runs/${runId}/outcomes/`).map((k) => objects.json<OutcomeRecord>(k));
}

/** Coupa API requests (no OAuth) as `METHOD path`. */
function coupaCalls(): string[] {
  return coupa.requests.filter((r) => r.path.startsWith('/api/')).map((r) => `${r.method} ${r.path}`);
}

beforeAll(async () => {
  stubHandlerEnv({ API_QUEUE_URL: API_QUEUE, CSV_QUEUE_URL: CSV_QUEUE, COUPA_SECRET_ARN: SECRET_ARN, BUCKET_NAME: BUCKET });
  ({ handler } = await import('../../lambdas/splitter'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await coupa?.close();
});

beforeEach(async () => {
  s3Mock.reset();
  sqsMock.reset();
  snsMock.reset();
  smMock.reset();
  objects = fakeS3Bucket(s3Mock, { listable: SPLITTER_LISTABLE });
  sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  await useCoupa();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('splitter handler: plans a dropped file against Coupa and queues only the changes', () => {
  it('queues one message per changed login on the FIFO api queue, records the rows it settles, and keeps plan, summary and marker', async () => {
    // Prepare: 12 new users, one unchanged, one update, and a row without a login, dropped with a space in its name.
    const { event, runId } = drop(
      'incoming/api/Workday export.csv',
      csv(...newUsers(12), 'steady.state,steady@example.com,Sam,Steady,mgr.jones', 'mgr.jones,maria.jones@example.com,Maria,Jones,', ',nobody@example.com,No,Body,'),
    );
    // Act
    await handler(event, lambdaContext('splitter'));
    // Assess: the queue
    const sent = queued();
    expect(sent.every((s) => s.queue === API_QUEUE)).toBe(true);
    expect(sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([10, 3]);
    expect(sent.map((s) => s.message.change.login).sort()).toEqual([...Array.from({ length: 12 }, (_, i) => `user.${i + 1}`), 'mgr.jones'].sort());
    expect(runId).toMatch(/^Workday_export-[0-9a-f]{12}$/);
    for (const { groupId, dedupId, message } of sent) {
      expect(message).toMatchObject({ runId, file: 'incoming/api/Workday export.csv', group: message.change.login });
      expect(groupId).toBe(message.change.login);
      expect(dedupId).toBe(deduplicationId(runId, message.change.login));
    }
    expect(sent.find((s) => s.message.change.login === 'mgr.jones')!.message.change).toEqual({
      login: 'mgr.jones',
      kind: 'update',
      id: '282',
      send: { email: 'maria.jones@example.com' },
      changes: [{ field: 'email', before: 'mgr.jones@example.com', after: 'maria.jones@example.com' }],
      rows: [14],
      level: 0,
    });
    // Assess: what the run keeps
    const split = objects.json<SplitRecord>(`runs/${runId}/split.json`);
    expect(split).toEqual({
      run: { runId, file: 'incoming/api/Workday export.csv' },
      channel: 'api',
      rows: 15,
      absentees: 0,
      splitAt: expect.any(String),
      details: { status: 'complete', dryRun: false, mode: 'delta', guards: [expect.objectContaining({ guard: 'deactivation', held: false })] },
    });
    expect(objects.json<StoredPlan>(`runs/${runId}/plan.json`)).toMatchObject({ status: 'complete', changes: expect.any(Array), staged: [] });
    expect(objects.json<StoredPlan>(`runs/${runId}/plan.json`).changes).toHaveLength(13);
    expect(ledger(runId).flatMap((r) => r.outcomes.map((o) => [o.row, o.login, o.outcome])).sort()).toEqual([
      [13, 'steady.state', 'unchanged'],
      [15, '', 'rejected'],
    ]);
    expect(putKeys().indexOf(`runs/pending/${runId}`)).toBeGreaterThan(putKeys().indexOf(`runs/${runId}/split.json`));
    expect(objects.json(`runs/${runId}/claim.json`)).toMatchObject({ state: 'planned', file: 'incoming/api/Workday export.csv' });
    expect(objects.has(`runs/${runId}/report.json`)).toBe(false); // the reporter writes it once the changes are applied
    // Assess: nothing written to Coupa, no message to people yet (the run's digest comes with its report)
    // (one look-up of the file's logins, one of the e-mails the plan sends: pre-flight's collision check)
    expect(coupaCalls()).toEqual(['GET /api/users', 'GET /api/users']);
    expect(published()).toEqual([]);
  });

  it('sends files under incoming/csv/ to the standard csv queue when the stack has the CSV channel', async () => {
    // Prepare: the API is the default channel, the CSV channel is deployed (csv.sftp.url set).
    await useCoupa({ csv: { sftp: { url: 'sftp://sftp.acme.example.com', trustedHostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest'] } } });
    const { event, runId } = drop('incoming/csv/hr.csv', csv(...newUsers(3)));
    // Act
    await handler(event, lambdaContext('splitter'));
    // Assess
    const calls = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(1);
    expect(calls[0].QueueUrl).toBe(CSV_QUEUE);
    expect(calls[0].Entries?.map((e) => [e.MessageGroupId, e.MessageDeduplicationId])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
      [undefined, undefined],
    ]);
    expect(objects.json<SplitRecord>(`runs/${runId}/split.json`)).toMatchObject({ channel: 'csv', rows: 3 });
  });

  it('refuses a file under incoming/csv/ when the stack has no CSV channel: one alert saying so, nothing planned, queued or read from Coupa', async () => {
    // Prepare: the default config (no csv.sftp.url, delivery "api"): the stack deployed no connector or batcher.
    const { event, runId } = drop('incoming/csv/hr.csv', csv(...newUsers(3)));
    // Act: S3 delivers the event twice.
    await handler(event, lambdaContext('splitter'));
    await handler(event, lambdaContext('splitter'));
    // Assess
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(coupaCalls()).toEqual([]);
    const alerts = published();
    expect(alerts.map((p) => p.Subject)).toEqual(['Coupa user sync: incoming/csv/hr.csv was not processed']);
    expect(alerts[0].Message).toMatch(/^incoming\/csv\/hr\.csv: the CSV channel is not deployed in this stack .*Upload it under incoming\/ to use the Users API/);
    expect(alerts[0].MessageAttributes?.kind?.StringValue).toBe('file-rejected');
    expect(objects.json(`runs/${runId}/split.json`).error).toMatch(/the CSV channel is not deployed/);
    expect(objects.json(`runs/${runId}/claim.json`).state).toBe('rejected');
    expect(objects.has(`runs/${runId}/plan.json`)).toBe(false);
    expect(objects.keysUnder('runs/pending/')).toEqual([]);
  });

  it('refuses such a file at once, without waiting behind a run that holds the turn', async () => {
    // Prepare: another run of the bucket is applying (it holds the turn and has queued changes).
    const other = { key: '2026-11-29T00:00:00.000Z-plan-other-000000000001', runId: 'other-000000000001', at: new Date().toISOString() };
    objects.putVersion('runs/turn.json', Buffer.from(JSON.stringify(other)), 'application/json');
    objects.putVersion(`runs/pending/${other.runId}`, Buffer.from('{}'), 'application/json');
    const { event } = drop('incoming/csv/hr.csv', csv(...newUsers(3)));
    // Act
    await handler(event, lambdaContext('splitter'));
    // Assess: the alert went out now; the file never entered the line
    expect(published().map((p) => p.Subject)).toEqual(['Coupa user sync: incoming/csv/hr.csv was not processed']);
    expect(objects.keysUnder('runs/waiting/')).toEqual([]);
  });

  it('reports a file it cannot read instead of retrying it, queues nothing, and says so once even if the event comes again 20 minutes later', async () => {
    // Prepare: no login column at all.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const { event, runId } = drop('incoming/bad.csv', 'mail\nx@example.com\n');
    // Act
    await handler(event, lambdaContext('splitter'));
    vi.setSystemTime(Date.now() + 20 * MINUTE);
    await handler(event, lambdaContext('splitter'));
    // Assess
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(objects.json(`runs/${runId}/split.json`).error).toMatch(/^incoming\/bad.csv: the first row is not a header/);
    expect(objects.keysUnder('runs/pending/')).toEqual([]);
    expect(published().map((p) => p.Subject)).toEqual(['Coupa user sync: incoming/bad.csv was not processed']);
    expect(objects.json(`runs/${runId}/claim.json`).state).toBe('rejected');
  });

  it('plans and queues the rows read before a break in the file, and says how far it got', async () => {
    // Prepare: 150 good rows, then a quote that never closes.
    const { event, runId } = drop('incoming/broken.csv', csv(...newUsers(150), '"broken,x@example.com,B,R,'));
    // Act
    await handler(event, lambdaContext('splitter'));
    // Assess: the rows read (the reader may stop a little before the break) are planned, queued and reported.
    const split = objects.json<SplitRecord>(`runs/${runId}/split.json`);
    expect(split.rows).toBeGreaterThan(0);
    expect(split.rows).toBeLessThanOrEqual(150);
    expect(split.error).toMatch(/^incoming\/broken.csv: /);
    expect(queued().map((q) => q.message.change.login)).toEqual(Array.from({ length: split.rows }, (_, i) => `user.${i + 1}`));
    expect(objects.keysUnder('runs/pending/')).toEqual([`runs/pending/${runId}`]);
    const [publish, ...more] = published();
    expect(more).toEqual([]);
    expect(publish.Subject).toBe('Coupa user sync: incoming/broken.csv was read only in part');
    expect(publish.Message).toContain(`The first ${split.rows} data row(s) were read (${split.rows} change(s) queued`);
    expect(publish.MessageAttributes?.runId?.StringValue).toBe(runId);
  });

  it('fails the invocation when SQS cannot take the changes, and Lambda\'s retry of the event plans and queues the run', async () => {
    // Prepare
    const { event, runId } = drop('incoming/hr.csv', csv(...newUsers(2)));
    sqsMock.on(SendMessageBatchCommand).rejectsOnce(new Error('ServiceUnavailable')).resolves({ Successful: [], Failed: [] });
    // Act
    const first = await handler(event, lambdaContext('splitter')).catch((e: unknown) => e);
    await handler(event, lambdaContext('splitter')); // Lambda retries a failed asynchronous event a minute later
    // Assess
    expect(first).toBeInstanceOf(Error);
    expect((first as Error).message).toBe('ServiceUnavailable');
    expect(queued().map((q) => [q.call, q.message.change.login])).toEqual([
      [0, 'user.1'], // refused by SQS
      [0, 'user.2'],
      [1, 'user.1'], // the retry
      [1, 'user.2'],
    ]);
    expect(objects.keysUnder('runs/pending/')).toEqual([`runs/pending/${runId}`]);
    expect(objects.json(`runs/${runId}/claim.json`).state).toBe('planned');
  });

  it('reads exactly the version the event names, not the file as it was overwritten since', async () => {
    // Prepare: HR drops a file, then overwrites it before the event is handled.
    const first = drop('incoming/hr.csv', csv('mgr.jones,mgr.jones@example.com,Maria,Jones-Old,'));
    drop('incoming/hr.csv', csv('mgr.jones,mgr.jones@example.com,Maria,Jones-New,'));
    // Act
    await handler(first.event, lambdaContext('splitter'));
    // Assess
    const plan = objects.json<StoredPlan>(`runs/${first.runId}/plan.json`);
    expect(plan.changes.map((c) => c.changes)).toEqual([[{ field: 'lastname', before: 'Jones', after: 'Jones-Old' }]]);
    expect(queued().map((q) => q.message.change.send)).toEqual([{ lastname: 'Jones-Old' }]);
    const get = s3Mock.calls().find((c) => (c.args[0].input as { Key?: string }).Key === 'incoming/hr.csv')!;
    expect(get.args[0].input).toMatchObject({ Key: 'incoming/hr.csv', VersionId: first.versionId });
  });

  it('plans and queues a run once when S3 delivers its event twice, the second time 10 minutes later', async () => {
    // Prepare: a file with changes (its report comes later) and one with none (reported at once).
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const changes = drop('incoming/changes.csv', csv(...newUsers(2)));
    const nothing = drop('incoming/nothing.csv', csv('steady.state,steady@example.com,Sam,Steady,mgr.jones'));
    // Act (the file with nothing to change first: runs take turns, and it passes its turn on at once)
    await handler(nothing.event, lambdaContext('splitter'));
    await handler(changes.event, lambdaContext('splitter'));
    const afterFirst = { puts: putKeys(), sends: sqsMock.commandCalls(SendMessageBatchCommand).length, published: published().length, coupa: coupaCalls().length };
    vi.setSystemTime(Date.now() + 10 * MINUTE);
    await handler(changes.event, lambdaContext('splitter'));
    await handler(nothing.event, lambdaContext('splitter'));
    // Assess: nothing more written, queued, published or asked of Coupa
    expect(afterFirst.sends).toBe(1);
    expect(queued().map((q) => q.message.change.login)).toEqual(['user.1', 'user.2']);
    expect(afterFirst.published).toBe(1);
    expect(published().map((p) => p.Subject)).toEqual(['Coupa user sync report: incoming/nothing.csv: all rows done']);
    expect(putKeys()).toEqual(afterFirst.puts);
    expect(coupaCalls()).toHaveLength(afterFirst.coupa);
    expect(afterFirst.puts.filter((k) => k === `runs/${nothing.runId}/report.json`)).toHaveLength(1);
    expect(afterFirst.puts.filter((k) => k === `runs/pending/${changes.runId}`)).toHaveLength(1);
  });

  it('leaves a run another attempt is planning alone, and takes over a claim left "planning" by an attempt that died over 16 minutes ago', async () => {
    // Prepare: two runs whose claims say an attempt is at it, 10 and 17 minutes ago.
    const busy = drop('incoming/busy.csv', csv(...newUsers(1)));
    const crashed = drop('incoming/crashed.csv', csv(...newUsers(1, 2)));
    const claim = (runId: string, file: string, minutesAgo: number) =>
      objects.set(`runs/${runId}/claim.json`, Buffer.from(JSON.stringify({ state: 'planning', file, at: new Date(Date.now() - minutesAgo * MINUTE).toISOString() })));
    claim(busy.runId, 'incoming/busy.csv', 10);
    claim(crashed.runId, 'incoming/crashed.csv', 17);
    // Act
    await handler(busy.event, lambdaContext('splitter'));
    await handler(crashed.event, lambdaContext('splitter'));
    // Assess
    expect(queued().map((q) => [q.message.runId, q.message.change.login])).toEqual([[crashed.runId, 'user.2']]);
    expect(objects.has(`runs/${busy.runId}/plan.json`)).toBe(false);
    expect(objects.json(`runs/${busy.runId}/claim.json`).state).toBe('planning');
    expect(objects.json(`runs/${crashed.runId}/claim.json`).state).toBe('planned');
    expect(objects.keysUnder('runs/pending/')).toEqual([`runs/pending/${crashed.runId}`]);
  });

  it('plans a file under plan/ only: plan.json and a planned report, nothing queued or written to Coupa', async () => {
    // Prepare
    const { event, runId } = drop('plan/hr.csv', csv('mgr.jones,mgr.jones@example.com,Maria,Jonas,', ...newUsers(1), 'steady.state,steady@example.com,Sam,Steady,mgr.jones'));
    // Act
    await handler(event, lambdaContext('splitter'));
    // Assess
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(coupaCalls().every((c) => c.startsWith('GET '))).toBe(true);
    expect(objects.json<StoredPlan>(`runs/${runId}/plan.json`)).toMatchObject({ status: 'planned', staged: [] });
    const report = objects.json<RunReport>(`runs/${runId}/report.json`);
    expect(report).toMatchObject({ runId, file: 'plan/hr.csv', status: 'planned', dryRun: true, totals: { rows: 3, updated: 1, created: 1, unchanged: 1 } });
    expect(report.rows.map((r) => [r.row, r.login, r.outcome])).toEqual([
      [1, 'mgr.jones', 'updated'],
      [2, 'user.1', 'created'],
      [3, 'steady.state', 'unchanged'],
    ]);
    expect(objects.keysUnder('runs/pending/')).toEqual([]);
    // Nothing was applied, so nothing is recorded as an outcome (the outcome metrics count the ledger)
    expect(objects.keysUnder(`runs/${runId}/outcomes/`)).toEqual([]);
    expect(published().map((p) => p.Subject)).toEqual(['Coupa user sync report: plan/hr.csv: all rows done']);
    expect(coupa.users().find((u) => u.login === 'mgr.jones')).toMatchObject({ lastname: 'Jones' });
  });

  it('puts a new manager and its three new reports, listed reports first, in one FIFO group, the manager in an earlier SendMessageBatch', async () => {
    // Prepare
    const { event, runId } = drop(
      'incoming/team.csv',
      csv('rep.a,rep.a@example.com,Rep,A,new.boss', 'rep.b,rep.b@example.com,Rep,B,new.boss', 'rep.c,rep.c@example.com,Rep,C,new.boss', 'new.boss,new.boss@example.com,New,Boss,mgr.jones'),
    );
    // Act
    await handler(event, lambdaContext('splitter'));
    // Assess
    const sent = queued();
    expect(sent.map((s) => [s.call, s.groupId, s.message.change.login, s.message.change.level, s.message.change.dependsOn])).toEqual([
      [0, 'new.boss', 'new.boss', 0, undefined],
      [1, 'new.boss', 'rep.a', 1, 'new.boss'],
      [1, 'new.boss', 'rep.b', 1, 'new.boss'],
      [1, 'new.boss', 'rep.c', 1, 'new.boss'],
    ]);
    expect(sent.every((s) => s.message.runId === runId && s.message.group === 'new.boss')).toBe(true);
  });

  it('records an all-rejected file of 20,000 rows in 4 outcome objects of 5,000 and streams a report listing all 20,000', async () => {
    // Prepare: every row's e-mail is bad, so the plan settles every row as rejected and queues nothing.
    const rows = Array.from({ length: 20_000 }, (_, i) => `user.${i + 1},not-an-email,User,N${i + 1},`);
    const { event, runId } = drop('incoming/api/all-rejected.csv', csv(...rows));
    // Act
    await handler(event, lambdaContext('splitter'));
    // Assess: the ledger, in chunks of 5,000, each row once
    const records = ledger(runId);
    expect(records.map((r) => r.outcomes.length)).toEqual([5_000, 5_000, 5_000, 5_000]);
    const recorded = records.flatMap((r) => r.outcomes);
    expect(recorded.every((o) => o.outcome === 'rejected')).toBe(true);
    expect(new Set(recorded.map((o) => o.row)).size).toBe(20_000);
    expect(queued()).toEqual([]);
    // Assess: the report, uploaded as file streams, lists every row
    expect(objects.streamedWrites).toEqual([`runs/${runId}/report.html`, `runs/${runId}/report.csv`, `runs/${runId}/report.json`]);
    const reportText = objects.text(`runs/${runId}/report.json`);
    const report = JSON.parse(reportText) as RunReport;
    expect(reportText).toBe(`${JSON.stringify(report, null, 2)}\n`);
    expect(report.totals).toMatchObject({ rows: 20_000, rejected: 20_000 });
    expect(report.rows.map((r) => r.row)).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    expect(report.rows[19_999]).toMatchObject({ login: 'user.20000', outcome: 'rejected', errors: [expect.stringContaining('field "email"')] });
    const csvLines = objects.text(`runs/${runId}/report.csv`).trimEnd().split(/\r?\n/);
    expect(csvLines).toHaveLength(20_001);
    expect(csvLines[20_000]).toMatch(/^20000,user\.20000,rejected,/);
    expect(published().map((p) => p.MessageAttributes?.kind?.StringValue)).toEqual(['digest']);
  }, 60_000);

  it('answers an approval naming no run with one alert, and writes nothing', async () => {
    // Prepare: a missing plan.json is a 404 only because the splitter may list runs/.
    const event = s3Event('approvals/nobody-0123456789ab', objects.putVersion('approvals/nobody-0123456789ab', Buffer.from('{}')));
    // Act
    await handler(event, lambdaContext('splitter'));
    // Assess
    expect(published()).toEqual([
      expect.objectContaining({ Subject: 'Coupa user sync: approval for run nobody-0123456789ab ignored', Message: 'No run nobody-0123456789ab was planned in this bucket.' }),
    ]);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(putKeys()).toEqual([]);
  });
});

describe('splitter handler: full roster held by the deactivation guard, then approved', () => {
  /** A fresh stack's first full roster: mgr.jones renamed, one new user; USER_TEST and leaver.lee are no longer listed. */
  const ROSTER = csv('mgr.jones,mgr.jones@example.com,Maria,Jones-Rivera,', 'steady.state,steady@example.com,Sam,Steady,mgr.jones', 'new.person,new.person@example.com,New,Person,mgr.jones');

  async function heldRun() {
    await useCoupa({ roster: { mode: 'full', maxDeactivations: 1 } });
    const dropped = drop('incoming/roster.csv', ROSTER);
    await handler(dropped.event, lambdaContext('splitter'));
    return dropped;
  }

  it('holds the run: held marker, plan and report "held", ONE alert with the reason (and the held report\'s digest), nothing queued or written to Coupa', async () => {
    // Act: the bucket has no snapshot or accepted roster yet (read as absent: the splitter may list state/).
    const { runId } = await heldRun();
    // Assess
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(coupaCalls().every((c) => c.startsWith('GET '))).toBe(true);
    expect(objects.json(`runs/held/${runId}`)).toEqual({ runId, file: 'incoming/roster.csv' });
    const plan = objects.json<StoredPlan>(`runs/${runId}/plan.json`);
    expect(plan.status).toBe('held');
    expect(plan.staged.map((c) => [c.login, c.kind, c.absent ?? false])).toEqual([
      ['mgr.jones', 'update', false],
      ['new.person', 'create', false],
      ['USER_TEST', 'deactivate', true],
      ['leaver.lee', 'deactivate', true],
    ]);
    const alerts = published().filter((p) => p.MessageAttributes?.severity?.StringValue === 'failure');
    expect(alerts).toHaveLength(1);
    expect(alerts[0].Subject).toBe('Coupa user sync held: incoming/roster.csv');
    expect(alerts[0].Message).toMatch(/^held by the deactivation guard \(the run would deactivate 2 users, more than roster\.maxDeactivations \(1\)\): nothing was written/);
    // The AWS way to approve, with this bucket, is in the alert.
    expect(alerts[0].Message).toContain(`In AWS, approve it with: npx coupa-sync approve ${runId} --bucket drop-bucket (as the RunApprover role)`);
    expect(published().map((p) => p.Subject)).toEqual(['Coupa user sync held: incoming/roster.csv', 'Coupa user sync report: incoming/roster.csv: all rows done']);
    const report = objects.json<RunReport>(`runs/${runId}/report.json`);
    expect(report).toMatchObject({ status: 'held', totals: { rows: 3, held: 4, unchanged: 1 } });
    expect(objects.keysUnder('runs/pending/')).toEqual([]);
    expect(objects.has('state/accepted-roster.json')).toBe(false);
    expect(objects.has('state/coupa-users.ndjson')).toBe(true); // every user was read: the next run refreshes it
  });

  it('on approvals/<runId> queues exactly the staged changes still valid, and records the one Coupa changed meanwhile as skipped', async () => {
    // Prepare: the held run; meanwhile someone changes mgr.jones's last name in Coupa.
    const { runId } = await heldRun();
    await otherCoupaClient().update('282', 'mgr.jones', { lastname: 'Jones-Smith' });
    snsMock.resetHistory();
    coupa.resetLog();
    const approval = s3Event(`approvals/${runId}`, objects.putVersion(`approvals/${runId}`, Buffer.from('{"approvedBy":"ops"}')));
    // Act
    await handler(approval, lambdaContext('splitter'));
    // Assess: queued, in one call (one level), the changes still valid
    const sent = queued();
    expect(sent.map((s) => [s.call, s.message.change.login, s.message.change.kind])).toEqual([
      [0, 'new.person', 'create'],
      [0, 'USER_TEST', 'deactivate'],
      [0, 'leaver.lee', 'deactivate'],
    ]);
    const staged = objects.json<StoredPlan>(`runs/${runId}/plan.json`);
    expect(staged).toMatchObject({ status: 'complete', staged: [] });
    expect(sent.map((s) => s.message.change)).toEqual(staged.changes.filter((c) => c.login !== 'mgr.jones'));
    // Assess: the skipped one, the reporter's records, nothing written to Coupa, no alert
    expect(ledger(runId).flatMap((r) => r.outcomes).filter((o) => o.outcome === 'skipped')).toEqual([
      expect.objectContaining({ row: 1, login: 'mgr.jones', errors: ['Coupa changed lastname since the plan: not forced (run the file again for a fresh plan)'] }),
    ]);
    expect(objects.json<SplitRecord>(`runs/${runId}/split.json`)).toMatchObject({
      rows: 3,
      absentees: 2,
      details: { status: 'complete', reason: expect.stringMatching(/^approved at .* \(held by the deactivation guard/) },
    });
    expect(objects.keysUnder('runs/pending/')).toEqual([`runs/pending/${runId}`]);
    expect(objects.json('state/accepted-roster.json')).toMatchObject({ runId, logins: 3 });
    expect(coupaCalls()).toEqual(['GET /api/users']);
    expect(published()).toEqual([]);
    // Act again: S3 delivers the approvals/<runId> event a second time
    await handler(approval, lambdaContext('splitter'));
    // Assess: ignored without a false "approval ignored" alert, nothing queued again
    expect(published()).toEqual([]);
    expect(queued()).toHaveLength(3);
  });

  it('on approval, skips the absentee deactivations today\'s config protects or exempts, and queues only the rest', async () => {
    // Prepare: the held run; then the config gains leaver.lee as a protected login and "user_*" as exempt (matching USER_TEST).
    const { runId } = await heldRun();
    vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ delivery: 'api', roster: { mode: 'full', maxDeactivations: 1, exempt: ['svc-*', 'user_*'] }, coupa: { url: coupa.url, maxAttempts: 1, protectedLogins: ['Leaver.Lee'] } }));
    resetAwsContext();
    coupa.resetLog();
    // Act
    await handler(s3Event(`approvals/${runId}`, objects.putVersion(`approvals/${runId}`, Buffer.from('{}'))), lambdaContext('splitter'));
    // Assess: only the two listed users' changes are queued; both absentees skipped with the reason
    expect(queued().map((s) => s.message.change.login)).toEqual(['mgr.jones', 'new.person']);
    expect(ledger(runId).flatMap((r) => r.outcomes).filter((o) => o.outcome === 'skipped').map((o) => [o.login, o.absent, o.errors])).toEqual([
      ['USER_TEST', true, ['USER_TEST matches roster.exempt "user_*" now: not deactivated']],
      ['leaver.lee', true, ['leaver.lee is protected now: not deactivated']],
    ]);
    expect(objects.json<SplitRecord>(`runs/${runId}/split.json`).absentees).toBe(0);
    expect(coupaCalls()).toEqual(['GET /api/users']);
  });

  it('approves again when Lambda retries an approval whose queueing failed, instead of finding the run no longer held', async () => {
    // Prepare
    const { runId } = await heldRun();
    snsMock.resetHistory();
    sqsMock.on(SendMessageBatchCommand).rejectsOnce(new Error('ServiceUnavailable')).resolves({ Successful: [], Failed: [] });
    const approval = s3Event(`approvals/${runId}`, objects.putVersion(`approvals/${runId}`, Buffer.from('{}')));
    // Act
    const first = await handler(approval, lambdaContext('splitter')).catch((e: unknown) => e);
    await handler(approval, lambdaContext('splitter'));
    // Assess
    expect((first as Error).message).toBe('ServiceUnavailable');
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
    expect(queued().filter((s) => s.call === 1).map((s) => s.message.change.login)).toEqual(['mgr.jones', 'new.person', 'USER_TEST', 'leaver.lee']);
    expect(objects.json<StoredPlan>(`runs/${runId}/plan.json`).status).toBe('complete');
    expect(objects.json<SplitRecord>(`runs/${runId}/split.json`).absentees).toBe(2);
    expect(published()).toEqual([]);
  });
});
