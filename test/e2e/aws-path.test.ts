/**
 * The AWS path end to end, handler by handler, on fakes that behave like the services: HR drops a
 * file into the (versioned, in-memory) bucket, the splitter plans it against the Coupa emulator over
 * HTTP and queues the changes on a FIFO queue (test/support/fake-sqs.ts), the api-consumer drains it
 * in batches of ten (one outcome write refused by S3 once, so a change is handed back and redelivered),
 * and the run reporter writes the report.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, S3Event, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { createUserDirectory } from '../../lambdas/adapters/coupa';
import { parseConfig } from '../../lambdas/core/config';
import type { ChangeMessage, RunReport } from '../../lambdas/core/model';
import type { ReportRunsResult } from '../../lambdas/core/sync/report-runs';
import { runIdFor } from '../../lambdas/core/sync/route';
import { FakeFifoQueue } from '../support/fake-sqs';
import { recordFetches, type FetchRecorder } from '../support/fetch-recorder';
import { fakeS3Bucket, lambdaContext, s3Event, stubHandlerEnv, type FakeBucket } from '../unit/handler-fixtures';

const BUCKET = 'drop-bucket';
const API_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-api.fifo';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const FILE = 'incoming/api/workday-2026-11-23.csv';

const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);
const smMock = mockClient(SecretsManagerClient);

let coupa: RunningEmulator;
let objects: FakeBucket;
let queue: FakeFifoQueue;
let fetches: FetchRecorder;
let splitter: (event: S3Event, context: Context) => Promise<void>;
let consumer: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let reporter: (event: ScheduledEvent, context: Context) => Promise<ReportRunsResult>;

/** 15 HR rows: a new manager listed after its three new reports, a leaver, an unchanged user, an update, a bad row, an existing user moving under the new manager, six hires. */
const HR_FILE = [
  'login,email,firstname,lastname,manager,active',
  'team.a,team.a@example.com,Tea,Ay,new.boss,', // 1
  'team.b,team.b@example.com,Tea,Bee,new.boss,', // 2
  'team.c,team.c@example.com,Tea,Cee,new.boss,', // 3
  'new.boss,new.boss@example.com,Nova,Boss,mgr.jones,', // 4
  'leaver.lee,,,,,false', // 5
  'steady.state,steady@example.com,Sam,Steady,mgr.jones,', // 6
  'mgr.jones,mgr.jones@example.com,Maria,Jones-Rivera,,', // 7
  ',bad.row@example.com,Bad,Row,,', // 8: no login
  'USER_TEST,user_test_new_email@coupa.com,user,test new lastname,new.boss,', // 9
  ...[1, 2, 3, 4, 5, 6].map((n) => `new.${n},new.${n}@example.com,New,Hire${n},mgr.jones,`), // 10–15
].join('\n');

let resetAwsContext: () => void;

/** A fresh stack: a new Coupa (demo users), an empty bucket and queue, the handlers configured with `config`. */
async function freshStack(config: Record<string, unknown> = {}): Promise<void> {
  await coupa?.close();
  coupa = await startEmulator({ seed: 'demo' });
  vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ delivery: 'api', ...config, coupa: { url: coupa.url } }));
  s3Mock.reset();
  sqsMock.reset();
  snsMock.reset();
  smMock.reset();
  smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ clientId: coupa.credentials.clientId, clientSecret: coupa.credentials.clientSecret }),
  });
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  objects = fakeS3Bucket(s3Mock, { listable: ['runs/', 'state/'] });
  queue = new FakeFifoQueue(API_QUEUE).attach(sqsMock);
  fetches.clear();
  resetAwsContext();
}

const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent;
// The consumer's Lambda timeout leaves room for several worst-case Coupa requests (the stack sets at least 5 minutes).
const consumerContext = () => ({ ...lambdaContext('api-consumer'), getRemainingTimeInMillis: () => 300_000 });

beforeAll(async () => {
  stubHandlerEnv({
    API_QUEUE_URL: API_QUEUE,
    CSV_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-csv',
    COUPA_SECRET_ARN: SECRET_ARN,
    BUCKET_NAME: BUCKET,
  });
  ({ handler: splitter } = await import('../../lambdas/splitter'));
  ({ handler: consumer } = await import('../../lambdas/api-consumer'));
  ({ handler: reporter } = await import('../../lambdas/run-reporter'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
  fetches = recordFetches();
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await coupa?.close();
});

describe('AWS path: S3 drop → splitter → FIFO queue → api-consumer → run reporter', () => {
  it('applies every change once, managers first, and reports each of the 15 rows exactly once', async () => {
    // Prepare: HR drops the file; S3 refuses the first outcome write for new.3 (after Coupa created it).
    await freshStack();
    const versionId = objects.putVersion(FILE, Buffer.from(HR_FILE), 'text/csv');
    const runId = runIdFor(BUCKET, FILE, versionId);
    let refused = 0;
    objects.putFault = (key, body) =>
      key.includes('/outcomes/') && body.includes('"login":"new.3"') && refused++ === 0
        ? Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } })
        : undefined;

    // Act
    await splitter(s3Event(FILE, versionId), lambdaContext('splitter'));
    const sent = queue.messages.map((m) => ({ group: m.groupId, message: JSON.parse(m.body) as ChangeMessage }));
    const batches = await queue.drain(consumer, consumerContext, 10);
    const reported = await reporter(scheduled, lambdaContext('run-reporter'));

    // Assess: the queue — 13 changes, the new manager's chain in one group, its head sent first.
    expect(sent).toHaveLength(13);
    expect(sent.filter((s) => s.group === 'new.boss').map((s) => s.message.change.login)).toEqual(['new.boss', 'team.a', 'team.b', 'team.c', 'USER_TEST']);
    expect(refused).toBe(2); // refused once, then let through on the redelivery
    expect(batches).toBe(2);
    expect(queue.batches.map((b) => b.length)).toEqual([10, 5]);
    expect(queue.dead).toEqual([]);

    // Assess: the report — every row exactly one outcome
    expect(reported).toEqual({ reported: [{ runId, state: 'complete' }], expired: [], waiting: [], deferred: [], errors: [] });
    const report = objects.json<RunReport>(`runs/${runId}/report.json`);
    expect(report.rows.map((r) => [r.row, r.login, r.outcome])).toEqual([
      [1, 'team.a', 'created'],
      [2, 'team.b', 'created'],
      [3, 'team.c', 'created'],
      [4, 'new.boss', 'created'],
      [5, 'leaver.lee', 'deactivated'],
      [6, 'steady.state', 'unchanged'],
      [7, 'mgr.jones', 'updated'],
      [8, '', 'rejected'],
      [9, 'USER_TEST', 'updated'],
      [10, 'new.1', 'created'],
      [11, 'new.2', 'created'],
      [12, 'new.3', 'created'],
      [13, 'new.4', 'created'],
      [14, 'new.5', 'created'],
      [15, 'new.6', 'created'],
    ]);
    expect(report).toMatchObject({
      runId,
      file: FILE,
      status: 'complete',
      roster: { mode: 'delta', rows: 15 },
      totals: { rows: 15, absentees: 0, created: 10, updated: 2, deactivated: 1, unchanged: 1, rejected: 1, failed: 0 },
      absentees: [],
    });
    expect(report.rows[11].warnings).toEqual(['confirmed after a redelivery: an earlier delivery had applied it']);
    expect(report.rows[8].changes).toEqual([{ field: 'manager', after: 'new.boss' }]); // USER_TEST had no manager
    expect(report.rows[7].errors).toEqual([`${FILE}, row 8: field "login": required (the Coupa login is the match key)`]);
    expect(objects.keysUnder('runs/pending/')).toEqual([]);

    // Assess: Coupa as it is now
    const users = new Map(coupa.users().map((u) => [u.login as string, u]));
    expect(users.get('new.boss')).toMatchObject({ email: 'new.boss@example.com', active: true, manager: { login: 'mgr.jones' } });
    for (const login of ['team.a', 'team.b', 'team.c', 'USER_TEST']) expect(users.get(login)).toMatchObject({ active: true, manager: { login: 'new.boss' } });
    for (const n of [1, 2, 3, 4, 5, 6]) expect(users.get(`new.${n}`)).toMatchObject({ lastname: `Hire${n}`, manager: { login: 'mgr.jones' } });
    expect(users.get('leaver.lee')).toMatchObject({ active: false });
    expect(users.get('mgr.jones')).toMatchObject({ lastname: 'Jones-Rivera', active: true });
    expect(users.get('steady.state')).toMatchObject({ firstname: 'Sam', lastname: 'Steady', active: true });
    expect([...users.keys()].filter((l) => /bad/i.test(l))).toEqual([]);

    // Assess: Coupa API calls — one write per changed user, none for the others, the new manager before its reports
    const loginOfId = new Map([...users.values()].map((u) => [String(u.id), u.login as string]));
    const writes = fetches.bodies
      .filter((b) => b.method === 'POST' || b.method === 'PUT')
      .filter((b) => new URL(b.url).pathname.startsWith('/api/users'))
      .map((b) => (b.method === 'POST' ? /<login>([^<]+)<\/login>/.exec(b.body)![1] : loginOfId.get(new URL(b.url).pathname.split('/').pop()!)!));
    const perUser = Object.fromEntries([...new Set(writes)].map((login) => [login, writes.filter((w) => w === login).length]));
    expect(perUser).toEqual(
      Object.fromEntries(
        ['new.boss', 'leaver.lee', 'mgr.jones', 'new.1', 'new.2', 'new.3', 'new.4', 'new.5', 'new.6', 'team.a', 'team.b', 'team.c', 'USER_TEST'].map((l) => [l, 1]),
      ),
    );
    for (const report of ['team.a', 'team.b', 'team.c', 'USER_TEST']) expect(writes.indexOf(report)).toBeGreaterThan(writes.indexOf('new.boss'));
    const reads = coupa.requests.filter((r) => r.method === 'GET' && r.path === '/api/users');
    // The splitter's lookup of the file's users and of the e-mails the plan sends (pre-flight), the consumer's check of the two redelivered changes
    expect(reads).toHaveLength(3);
    expect(reads[1].query).toMatch(/^email\[in\]=/);
    expect(reads[2].query).toMatch(/login\[in\]=(new\.3,team\.a|team\.a,new\.3)(&|$)/);

    // Assess: people are told once — the run's digest, naming the rejected row
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => p.Subject)).toEqual([`Coupa user sync report: ${FILE}: 1 row(s) not applied`]);
    expect(published[0].Message).toContain(`Report: s3://${BUCKET}/runs/${runId}/report.json`);
  });
});

describe('AWS path: a full roster held by the deactivation guard, approved, applied and reported', () => {
  it('holds the run, then on approval applies what still holds, skips the absentee Coupa deactivated meanwhile, and reports every row and absentee once', async () => {
    // Prepare: a fresh stack's first full roster; USER_TEST and leaver.lee are no longer listed (2 deactivations, at most 1 allowed).
    await freshStack({ roster: { mode: 'full', maxDeactivations: 1 } });
    const roster = [
      'login,email,firstname,lastname,manager',
      'mgr.jones,mgr.jones@example.com,Maria,Jones-Rivera,', // 1
      'steady.state,steady@example.com,Sam,Steady,mgr.jones', // 2
      'new.person,new.person@example.com,New,Person,mgr.jones', // 3
    ].join('\n');
    const file = 'incoming/roster-2026-11-23.csv';
    const versionId = objects.putVersion(file, Buffer.from(roster), 'text/csv');
    const runId = runIdFor(BUCKET, file, versionId);

    // Act 1: planned and held; the reporter's pass leaves it alone.
    await splitter(s3Event(file, versionId), lambdaContext('splitter'));
    const whileHeld = await reporter(scheduled, lambdaContext('run-reporter'));
    // Assess 1
    expect(queue.size).toBe(0);
    expect(whileHeld).toEqual({ reported: [], expired: [], waiting: [], deferred: [], errors: [] });
    expect(objects.json<RunReport>(`runs/${runId}/report.json`)).toMatchObject({ status: 'held', totals: { rows: 3, held: 4, unchanged: 1 } });
    expect(objects.keysUnder('runs/held/')).toEqual([`runs/held/${runId}`]);

    // Act 2: meanwhile an admin deactivates leaver.lee in Coupa; then ops approve, the queue drains, the reporter passes.
    const admin = createUserDirectory({ baseUrl: coupa.url, config: parseConfig({}).coupa, credentials: coupa.credentials });
    await admin.update('283', 'leaver.lee', { active: false });
    snsMock.resetHistory();
    fetches.clear();
    await splitter(s3Event(`approvals/${runId}`, objects.putVersion(`approvals/${runId}`, Buffer.from('{"approvedBy":"ops"}'))), lambdaContext('splitter'));
    const sent = queue.messages.map((m) => (JSON.parse(m.body) as ChangeMessage).change.login);
    await queue.drain(consumer, consumerContext, 10);
    const reported = await reporter(scheduled, lambdaContext('run-reporter'));

    // Assess 2: what was queued and applied
    expect(sent).toEqual(['mgr.jones', 'new.person', 'USER_TEST']);
    expect(reported).toEqual({ reported: [{ runId, state: 'complete' }], expired: [], waiting: [], deferred: [], errors: [] });
    const users = new Map(coupa.users().map((u) => [u.login as string, u]));
    expect(users.get('mgr.jones')).toMatchObject({ lastname: 'Jones-Rivera', active: true });
    expect(users.get('new.person')).toMatchObject({ active: true, manager: { login: 'mgr.jones' } });
    expect(users.get('USER_TEST')).toMatchObject({ active: false });
    expect(users.get('leaver.lee')).toMatchObject({ active: false });
    expect(fetches.bodies.filter((b) => b.method === 'PUT' || b.method === 'POST').map((b) => `${b.method} ${new URL(b.url).pathname}`)).toEqual([
      'PUT /api/users/282',
      'POST /api/users',
      'PUT /api/users/281',
    ]);
    // Assess 2: the report, every row and absentee once, the held marker gone, the roster accepted
    const report = objects.json<RunReport>(`runs/${runId}/report.json`);
    expect(report).toMatchObject({
      status: 'complete',
      roster: { mode: 'full', rows: 3 },
      totals: { rows: 3, absentees: 2, updated: 1, unchanged: 1, created: 1, deactivated: 1, skipped: 1, held: 0, failed: 0 },
      reason: expect.stringMatching(/^approved at .* \(held by the deactivation guard/),
    });
    expect(report.rows.map((r) => [r.row, r.login, r.outcome])).toEqual([
      [1, 'mgr.jones', 'updated'],
      [2, 'steady.state', 'unchanged'],
      [3, 'new.person', 'created'],
    ]);
    expect(report.absentees).toEqual([
      { login: 'leaver.lee', outcome: 'skipped', changes: [{ field: 'active', before: true, after: false }], errors: ['Coupa already holds these values: nothing left to apply'] },
      { login: 'USER_TEST', outcome: 'deactivated', changes: [{ field: 'active', before: true, after: false }] },
    ]);
    expect(objects.keysUnder('runs/held/')).toEqual([]);
    expect(objects.keysUnder('runs/pending/')).toEqual([]);
    expect(objects.json('state/accepted-roster.json')).toMatchObject({ runId, logins: 3 });
    expect(snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual([`Coupa user sync report: ${file}: all rows done`]);
  });
});

describe('AWS path: a run held with roster.onHold "apply-rest"', () => {
  it('applies all but the deactivations, reports the run held (staged rows held) once the rest is applied, and after approval waits for the deactivations', async () => {
    // Prepare: two leavers in a delta file, at most one deactivation allowed, the rest applied meanwhile.
    await freshStack({ roster: { onHold: 'apply-rest', maxDeactivations: 1 } });
    const file = 'incoming/apply-rest.csv';
    const text = ['login,email,firstname,lastname,active', 'new.person,new.person@example.com,New,Person,', 'leaver.lee,,,,false', 'steady.state,,,,false'].join('\n');
    const versionId = objects.putVersion(file, Buffer.from(text), 'text/csv');
    const runId = runIdFor(BUCKET, file, versionId);
    // Act
    await splitter(s3Event(file, versionId), lambdaContext('splitter'));
    await queue.drain(consumer, consumerContext, 10);
    const reported = await reporter(scheduled, lambdaContext('run-reporter'));
    // Assess
    expect(coupa.users().find((u) => u.login === 'new.person')).toMatchObject({ active: true });
    expect(reported.reported).toEqual([{ runId, state: 'complete' }]);
    const report = objects.json<RunReport>(`runs/${runId}/report.json`);
    expect(report.status).toBe('held');
    expect(report.rows.map((r) => [r.row, r.login, r.outcome])).toEqual([
      [1, 'new.person', 'created'],
      [2, 'leaver.lee', 'held'],
      [3, 'steady.state', 'held'],
    ]);
    // The reason is the run's, stated once; the held rows do not repeat it.
    expect(report.reason).toMatch(/^held by the deactivation guard .*the deactivations were not applied \(roster\.onHold "apply-rest"\)/);
    expect(report.rows[1].errors).toBeUndefined();

    // Act 2: approved; the reporter passes before the consumers ran, then after.
    await splitter(s3Event(`approvals/${runId}`, objects.putVersion(`approvals/${runId}`, Buffer.from('{}'))), lambdaContext('splitter'));
    const beforeApplied = await reporter(scheduled, lambdaContext('run-reporter'));
    await queue.drain(consumer, consumerContext, 10);
    const afterApplied = await reporter(scheduled, lambdaContext('run-reporter'));
    // Assess 2: the held rows did not count once approved; the final report has the deactivations.
    expect(beforeApplied).toEqual({ reported: [], expired: [], waiting: [runId], deferred: [], errors: [] });
    expect(afterApplied).toEqual({ reported: [{ runId, state: 'complete' }], expired: [], waiting: [], deferred: [], errors: [] });
    const final = objects.json<RunReport>(`runs/${runId}/report.json`);
    expect(final.status).toBe('complete');
    expect(final.rows.map((r) => [r.row, r.login, r.outcome])).toEqual([
      [1, 'new.person', 'created'],
      [2, 'leaver.lee', 'deactivated'],
      [3, 'steady.state', 'deactivated'],
    ]);
    expect(coupa.users().filter((u) => u.login === 'leaver.lee' || u.login === 'steady.state').map((u) => u.active)).toEqual([false, false]);
  });
});

describe('AWS path: the circuit breaker shared by the api-consumers', () => {
  it('stops a run whose writes all fail: the second batch stops at the 11th failure, the rest fail with the reason unsent, one "stopped" alert, report "stopped"', async () => {
    // Prepare: 30 new hires in a department Coupa does not have (each create is refused with 400).
    // Pre-flight off: it would reject them in the plan (test/e2e/preflight.test.ts); here Coupa must refuse them.
    await freshStack({ preflight: { enabled: false } });
    const file = 'incoming/api/bad-department.csv';
    const rows = Array.from({ length: 30 }, (_, i) => `hire.${i + 1},hire.${i + 1}@example.com,Hire,N${i + 1},Marketing`);
    const versionId = objects.putVersion(file, Buffer.from(['login,email,firstname,lastname,department', ...rows].join('\n')), 'text/csv');
    const runId = runIdFor(BUCKET, file, versionId);
    // Act
    await splitter(s3Event(file, versionId), lambdaContext('splitter'));
    await queue.drain(consumer, consumerContext, 10);
    const reported = await reporter(scheduled, lambdaContext('run-reporter'));
    // Assess: Coupa saw the first batch's 10 writes and the second batch's first 8 (coupa.maxInFlight: all in
    // flight when the 11th failure tripped the breaker); nothing of the third batch
    expect(coupa.requests.filter((r) => r.method === 'POST' && r.path === '/api/users')).toHaveLength(18);
    expect(coupa.users().filter((u) => String(u.login).startsWith('hire.'))).toEqual([]);
    // Assess: the report
    expect(reported.reported).toEqual([{ runId, state: 'complete' }]);
    const report = objects.json<RunReport>(`runs/${runId}/report.json`);
    const reason = `the circuit breaker stopped run ${runId} after 11 of the first 11 writes failed (apply.maxFailureShare 0.5 of apply.breakerWindow 20); the first failures say what is wrong`;
    expect(report).toMatchObject({ status: 'stopped', reason, totals: { rows: 30, failed: 30, created: 0 } });
    const errors = report.rows.map((r) => r.errors?.[0]);
    expect(errors.filter((e) => e === `not applied: ${reason}`)).toHaveLength(12);
    expect(errors.filter((e) => e !== `not applied: ${reason}`).every((e) => /department/i.test(e ?? ''))).toBe(true);
    expect(objects.json(`runs/${runId}/breaker.json`)).toMatchObject({ state: 'tripped', writes: 11, failures: 11, reason });
    // Assess: one immediate alert, then the digest
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published.map((p) => [p.Subject, p.MessageAttributes?.kind?.StringValue])).toEqual([
      [`Coupa user sync stopped: ${file}`, 'stopped'],
      [`Coupa user sync report: ${file}: 30 row(s) not applied`, 'digest'],
    ]);
  });
});

describe('AWS path: overlapping runs take turns', () => {
  /** The S3 event of one upload at `at` (the line of runs is ordered by the event's time). */
  const eventAt = (key: string, versionId: string, at: string): S3Event => {
    const event = s3Event(key, versionId);
    event.Records[0].eventTime = at;
    return event;
  };

  it('plans file B only once file A, dropped 5 minutes earlier and touching the same user, is reported: the user ends with B\'s values', async () => {
    // Prepare: A creates new.boss and moves steady.state under it (one FIFO group, headed by new.boss);
    // B, 5 minutes later, changes steady.state's last name (its own group in a run of its own).
    await freshStack();
    const fileA = 'incoming/a-0100.csv';
    const fileB = 'incoming/b-0105.csv';
    const versionA = objects.putVersion(fileA, Buffer.from(['login,email,firstname,lastname,manager', 'new.boss,new.boss@example.com,Nova,Boss,mgr.jones', 'steady.state,steady@example.com,Sam,FromA,new.boss'].join('\n')));
    const versionB = objects.putVersion(fileB, Buffer.from(['login,lastname', 'steady.state,FromB'].join('\n')));
    const runA = runIdFor(BUCKET, fileA, versionA);
    const runB = runIdFor(BUCKET, fileB, versionB);

    // Act 1: both files arrive; then two consumers poll at once, the second finishing first (as Lambdas may)
    await splitter(eventAt(fileA, versionA, '2026-11-29T01:00:00.000Z'), lambdaContext('splitter'));
    await splitter(eventAt(fileB, versionB, '2026-11-29T01:05:00.000Z'), lambdaContext('splitter'));
    const queuedBeforeTurn = queue.messages.map((m) => (JSON.parse(m.body) as ChangeMessage).runId);
    const first = queue.receive(1);
    const second = queue.receive(1);
    if (second.length > 0) queue.settle(second, await consumer({ Records: second }, consumerContext()));
    queue.settle(first, await consumer({ Records: first }, consumerContext()));
    await queue.drain(consumer, consumerContext, 10);
    const afterA = await reporter(scheduled, lambdaContext('run-reporter'));
    // Assess 1: B waited (nothing of it queued), A was applied and reported, B's turn was started
    expect(queuedBeforeTurn).toEqual([runA, runA]);
    expect(second).toEqual([]);
    expect(afterA.reported).toEqual([{ runId: runA, state: 'complete' }]);
    expect(objects.json(`runs/${runB}/claim.json`)).toMatchObject({ state: 'waiting' });
    const starts = objects.keysUnder('runs/start/');
    expect(starts).toEqual([`runs/start/2026-11-29T01:05:00.000Z-plan-${runB}`]);
    expect(objects.has('runs/turn.json')).toBe(false);

    // Act 2: S3 hands the start request to the planner; B is planned against Coupa as A left it, applied and reported
    await splitter(eventAt(starts[0], objects.currentVersion(starts[0])!, '2026-11-29T01:20:00.000Z'), lambdaContext('splitter'));
    await queue.drain(consumer, consumerContext, 10);
    const afterB = await reporter(scheduled, lambdaContext('run-reporter'));
    // Assess 2: B's values in Coupa; B's report shows A's value as "before"
    expect(afterB.reported).toEqual([{ runId: runB, state: 'complete' }]);
    expect(coupa.users().find((u) => u.login === 'steady.state')).toMatchObject({ lastname: 'FromB', manager: { login: 'new.boss' } });
    expect(objects.json<RunReport>(`runs/${runA}/report.json`).rows.map((r) => [r.login, r.outcome])).toEqual([['new.boss', 'created'], ['steady.state', 'updated']]);
    expect(objects.json<RunReport>(`runs/${runB}/report.json`).rows).toEqual([
      { row: 1, login: 'steady.state', outcome: 'updated', changedFields: ['lastname'], changes: [{ field: 'lastname', before: 'FromA', after: 'FromB' }] },
    ]);
    // Assess 2: the line is empty, nobody holds the turn
    expect(objects.keysUnder('runs/waiting/')).toEqual([]);
    expect(objects.has('runs/turn.json')).toBe(false);
    expect(objects.keysUnder('runs/pending/')).toEqual([]);
  });
});

describe('AWS path: a held run and its approval take turns too', () => {
  it('passes the turn on at once when a run is held, and lets its approval wait while a later run applies', async () => {
    // Prepare: H deactivates leaver.lee and is held (at most 0 deactivations); A, 10 minutes later, updates steady.state
    await freshStack({ roster: { maxDeactivations: 0 } });
    const fileH = 'incoming/h-0100.csv';
    const fileA = 'incoming/a-0110.csv';
    const versionH = objects.putVersion(fileH, Buffer.from('login,active\nleaver.lee,false'));
    const versionA = objects.putVersion(fileA, Buffer.from('login,lastname\nsteady.state,Later'));
    const runH = runIdFor(BUCKET, fileH, versionH);
    const runA = runIdFor(BUCKET, fileA, versionA);
    const at = (key: string, versionId: string, time: string): S3Event => {
      const event = s3Event(key, versionId);
      event.Records[0].eventTime = time;
      return event;
    };

    // Act 1: H is held; A is planned at once; H's approval arrives while A is applying
    await splitter(at(fileH, versionH, '2026-11-29T01:00:00.000Z'), lambdaContext('splitter'));
    await splitter(at(fileA, versionA, '2026-11-29T01:10:00.000Z'), lambdaContext('splitter'));
    const approvalKey = `approvals/${runH}`;
    await splitter(at(approvalKey, objects.putVersion(approvalKey, Buffer.from('{}')), '2026-11-29T01:15:00.000Z'), lambdaContext('splitter'));
    // Assess 1: only A's change is queued; the approval waits in line
    expect(queue.messages.map((m) => (JSON.parse(m.body) as ChangeMessage).change.login)).toEqual(['steady.state']);
    expect(objects.keysUnder('runs/waiting/')).toEqual([`runs/waiting/2026-11-29T01:15:00.000Z-approve-${runH}`]);
    expect(objects.json('runs/turn.json')).toMatchObject({ runId: runA });

    // Act 2: A is applied and reported; the approval's turn is started; its change applied and reported
    await queue.drain(consumer, consumerContext, 10);
    const afterA = await reporter(scheduled, lambdaContext('run-reporter'));
    const [start] = objects.keysUnder('runs/start/');
    await splitter(at(start, objects.currentVersion(start)!, '2026-11-29T01:25:00.000Z'), lambdaContext('splitter'));
    await queue.drain(consumer, consumerContext, 10);
    const afterH = await reporter(scheduled, lambdaContext('run-reporter'));
    // Assess 2
    expect(afterA.reported).toEqual([{ runId: runA, state: 'complete' }]);
    expect(start).toBe(`runs/start/2026-11-29T01:15:00.000Z-approve-${runH}`);
    expect(afterH.reported).toEqual([{ runId: runH, state: 'complete' }]);
    expect(objects.json<RunReport>(`runs/${runH}/report.json`).rows.map((r) => [r.login, r.outcome])).toEqual([['leaver.lee', 'deactivated']]);
    expect(coupa.users().find((u) => u.login === 'leaver.lee')).toMatchObject({ active: false });
    expect(coupa.users().find((u) => u.login === 'steady.state')).toMatchObject({ lastname: 'Later' });
    expect(objects.keysUnder('runs/waiting/')).toEqual([]);
    expect(objects.has('runs/turn.json')).toBe(false);
  });
});
