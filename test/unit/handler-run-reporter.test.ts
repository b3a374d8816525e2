import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import type { RowOutcome, RunReport } from '../../lambdas/core/model';
import type { StoredPlan } from '../../lambdas/core/ports';
import type { SplitRecord } from '../../lambdas/core/sync/aws-plan';
import type { ReportRunsResult } from '../../lambdas/core/sync/report-runs';
import { buildReport } from '../../lambdas/core/sync/report';
import { fakeS3Bucket, lambdaContext, stubHandlerEnv, type FakeBucket } from './handler-fixtures';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent;
let objects: FakeBucket;
let handler: (event: ScheduledEvent, context: Context) => Promise<ReportRunsResult>;
let resetAwsContext: () => void;

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** What the planner leaves for one run: split.json (its real shape, a SplitRecord) and the pending marker. */
function splitRun(runId: string, rows: number, splitAt: string, more: Partial<SplitRecord> = {}): void {
  const run = { runId, file: `incoming/${runId}.csv` };
  const split: SplitRecord = { run, channel: 'api', rows, absentees: 0, splitAt, details: { status: 'complete', dryRun: false, mode: 'delta', guards: [] }, ...more };
  objects.set(`runs/${runId}/split.json`, json(split));
  objects.set(`runs/pending/${runId}`, json(run));
}

/** One ledger object as S3OutcomeLedger writes it (key: time, then a unique suffix). */
function recordOutcomes(runId: string, recordedAt: string, outcomes: RowOutcome[]): void {
  const body: OutcomeRecord = { runId, file: `incoming/${runId}.csv`, recordedAt, outcomes };
  objects.set(`runs/${runId}/outcomes/${recordedAt}-${String(objects.size).padStart(8, '0')}.json`, json(body));
}

function report(runId: string): RunReport {
  return JSON.parse(objects.get(`runs/${runId}/report.json`)!.toString('utf8')) as RunReport;
}

beforeAll(async () => {
  stubHandlerEnv({ COUPA_SYNC_CONFIG: JSON.stringify({ reports: { reportAfterHours: 6 }, approval: { expireAfterHours: 48 } }) });
  ({ handler } = await import('../../lambdas/run-reporter'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  resetAwsContext();
  s3Mock.reset();
  snsMock.reset();
  objects = fakeS3Bucket(s3Mock);
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('run-reporter handler', () => {
  it('writes the report of a finished run as HTML, CSV and JSON, publishes one info digest naming them and removes the pending marker', async () => {
    // Prepare: 3 rows; row 2 recorded twice (failed, then applied after a redelivery).
    const runId = 'hr-aaaaaaaaaaaa';
    splitRun(runId, 3, hoursAgo(1));
    recordOutcomes(runId, hoursAgo(0.9), [{ row: 1, login: 'a', outcome: 'created', changedFields: ['email'] }, { row: 2, login: 'b', outcome: 'failed', errors: ['timeout'] }]);
    recordOutcomes(runId, hoursAgo(0.5), [{ row: 2, login: 'b', outcome: 'updated', changedFields: ['lastname'] }]);
    recordOutcomes(runId, hoursAgo(0.4), [{ row: 3, login: 'c', outcome: 'unchanged' }]);
    // Act
    const result = await handler(scheduled, lambdaContext('run-reporter'));
    // Assess
    expect(result).toEqual({ reported: [{ runId, state: 'complete' }], expired: [], waiting: [], deferred: [], errors: [] });
    expect(report(runId)).toMatchObject({
      runId,
      file: `incoming/${runId}.csv`,
      totals: { rows: 3, created: 1, updated: 1, unchanged: 1, failed: 0 },
      rows: [{ row: 1, login: 'a', outcome: 'created' }, { row: 2, login: 'b', outcome: 'updated' }, { row: 3, login: 'c', outcome: 'unchanged' }],
    });
    const publishes = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publishes).toHaveLength(1);
    expect(publishes[0].MessageAttributes?.severity?.StringValue).toBe('info');
    expect(publishes[0].MessageAttributes?.runId?.StringValue).toBe(runId);
    expect(publishes[0].Message).toContain(
      [`Report: s3://drop-bucket/runs/${runId}/report.html`, `Report: s3://drop-bucket/runs/${runId}/report.csv`, `Report: s3://drop-bucket/runs/${runId}/report.json`].join('\n'),
    );
    expect(objects.get(`runs/${runId}/report.csv`)!.toString('utf8')).toContain('\r\n2,b,updated,lastname,,');
    expect(objects.get(`runs/${runId}/report.html`)!.toString('utf8')).toContain('<div class="status" id="status">Complete</div>');
    expect(
      s3Mock.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.ContentType]),
    ).toEqual([
      [`runs/${runId}/report.html`, 'text/html; charset=utf-8'],
      [`runs/${runId}/report.csv`, 'text/csv; charset=utf-8'],
      [`runs/${runId}/report.json`, 'application/json'],
    ]);
    expect(objects.has(`runs/pending/${runId}`)).toBe(false);
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual(['runs/held/', 'runs/pending/', `runs/${runId}/outcomes/`]);
  });

  it('leaves an unfinished run pending, and reports it with the missing rows failed once overdue', async () => {
    // Prepare: one fresh run missing row 2, one 7 h old (reportAfterHours is 6) missing row 1.
    splitRun('fresh-bbbbbbbbbbbb', 2, hoursAgo(1));
    recordOutcomes('fresh-bbbbbbbbbbbb', hoursAgo(0.5), [{ row: 1, login: 'a', outcome: 'created' }]);
    splitRun('stale-cccccccccccc', 2, hoursAgo(7));
    recordOutcomes('stale-cccccccccccc', hoursAgo(6.9), [{ row: 2, login: 'b', outcome: 'failed', errors: ['Email has already been taken'] }]);
    // Act
    const result = await handler(scheduled, lambdaContext('run-reporter'));
    // Assess
    expect(result).toEqual({ reported: [{ runId: 'stale-cccccccccccc', state: 'overdue' }], expired: [], waiting: ['fresh-bbbbbbbbbbbb'], deferred: [], errors: [] });
    expect(objects.has('runs/fresh-bbbbbbbbbbbb/report.json')).toBe(false);
    expect(objects.has('runs/pending/fresh-bbbbbbbbbbbb')).toBe(true);
    expect(report('stale-cccccccccccc').rows).toEqual([
      { row: 1, login: '', outcome: 'failed', errors: ['no outcome recorded within 6 h (check the DLQ and logs)'] },
      { row: 2, login: 'b', outcome: 'failed', errors: ['Email has already been taken'] },
    ]);
    const [publish, ...more] = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(more).toHaveLength(0);
    expect(publish.MessageAttributes?.severity?.StringValue).toBe('failure');
    expect(publish.Subject).toBe('Coupa user sync report: incoming/stale-cccccccccccc.csv: 2 row(s) not applied');
    expect(publish.Message).toContain('row 1, login (unknown): failed — no outcome recorded within 6 h');
    expect(objects.has('runs/pending/stale-cccccccccccc')).toBe(false);
  });

  it('does nothing but list the held and the pending markers when no run is open', async () => {
    // Act
    const result = await handler(scheduled, lambdaContext('run-reporter'));
    // Assess
    expect(result).toEqual({ reported: [], expired: [], waiting: [], deferred: [], errors: [] });
    expect(s3Mock.calls().map((c) => [c.args[0].constructor.name, (c.args[0].input as { Prefix?: string }).Prefix])).toEqual([
      ['ListObjectsV2Command', 'runs/held/'],
      ['ListObjectsV2Command', 'runs/pending/'],
    ]);
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('fails the invocation when a run cannot be read, after reporting the others, and keeps its marker', async () => {
    // Prepare: a marker whose split.json is missing, and a finished run.
    objects.set('runs/pending/lost-dddddddddddd', json({}));
    splitRun('ok-eeeeeeeeeeee', 1, hoursAgo(1));
    recordOutcomes('ok-eeeeeeeeeeee', hoursAgo(0.5), [{ row: 1, login: 'a', outcome: 'unchanged' }]);
    // Act / Assess
    await expect(handler(scheduled, lambdaContext('run-reporter'))).rejects.toThrow('1 run(s) could not be reported: lost-dddddddddddd');
    expect(objects.has('runs/ok-eeeeeeeeeeee/report.json')).toBe(true);
    expect(objects.has('runs/pending/lost-dddddddddddd')).toBe(true);
    expect(s3Mock.commandCalls(GetObjectCommand).some((c) => c.args[0].input.Key === 'runs/lost-dddddddddddd/split.json')).toBe(true);
    expect(s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['runs/pending/ok-eeeeeeeeeeee']);
  });

  it('completes a full-roster run only once every absentee has its outcome, a redelivered one counted once', async () => {
    // Prepare: 2 rows and 2 absentees queued; gone.one recorded twice (failed, then deactivated on a redelivery), gone.two not yet.
    const runId = 'roster-ffffffffffff';
    splitRun(runId, 2, hoursAgo(1), { absentees: 2, details: { status: 'complete', dryRun: false, mode: 'full', guards: [] } });
    recordOutcomes(runId, hoursAgo(0.9), [{ row: 1, login: 'a', outcome: 'unchanged' }, { row: 2, login: 'b', outcome: 'updated', changedFields: ['lastname'] }]);
    const absent = (login: string, outcome: RowOutcome['outcome'], errors?: string[]): RowOutcome => ({
      row: 0,
      absent: true,
      login,
      outcome,
      changedFields: ['active'],
      changes: [{ field: 'active', before: true, after: false }],
      ...(errors ? { errors } : {}),
    });
    recordOutcomes(runId, hoursAgo(0.8), [absent('gone.one', 'failed', ['HTTP 503'])]);
    recordOutcomes(runId, hoursAgo(0.7), [absent('gone.one', 'deactivated')]);
    // Act 1
    const first = await handler(scheduled, lambdaContext('run-reporter'));
    // Assess 1
    expect(first).toEqual({ reported: [], expired: [], waiting: [runId], deferred: [], errors: [] });
    expect(objects.has(`runs/${runId}/report.json`)).toBe(false);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    // Act 2: the last absentee settles.
    const lastAt = hoursAgo(0.6);
    recordOutcomes(runId, lastAt, [absent('gone.two', 'deactivated')]);
    const second = await handler(scheduled, lambdaContext('run-reporter'));
    // Assess 2
    expect(second).toEqual({ reported: [{ runId, state: 'complete' }], expired: [], waiting: [], deferred: [], errors: [] });
    const done = report(runId);
    expect(done).toMatchObject({ status: 'complete', roster: { mode: 'full', rows: 2 }, totals: { rows: 2, absentees: 2, unchanged: 1, updated: 1, deactivated: 2, failed: 0 } });
    expect(done.absentees).toEqual([
      { login: 'gone.one', outcome: 'deactivated', changes: [{ field: 'active', before: true, after: false }] },
      { login: 'gone.two', outcome: 'deactivated', changes: [{ field: 'active', before: true, after: false }] },
    ]);
    expect(done.finishedAt).toBe(lastAt);
    expect(objects.has(`runs/pending/${runId}`)).toBe(false);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('expires a held run older than approval.expireAfterHours (plan and report say so, one alert, marker gone), and just drops the marker of an approved run', async () => {
    // Prepare: a held run 49 h old (expireAfterHours is 48), one 47 h old, and one approved since.
    const held = (runId: string, ageHours: number, status: StoredPlan['status']) => {
      const run = { runId, file: `incoming/${runId}.csv` };
      const plan: StoredPlan = {
        run,
        createdAt: hoursAgo(ageHours),
        mode: 'full',
        status,
        guards: [{ guard: 'deactivation', held: true, detail: 'the run would deactivate 140 users, more than roster.maxDeactivations (100)' }],
        reason: 'held by the deactivation guard (…): nothing was written; check the plan, then run: coupa-sync approve',
        rosterLogins: 900,
        changes: [],
        staged: [],
      };
      objects.set(`runs/${runId}/plan.json`, json(plan));
      const at = new Date(plan.createdAt);
      objects.set(`runs/${runId}/report.json`, json(buildReport(run, at, at, [], { status: 'held', mode: 'full', guards: plan.guards, reason: plan.reason })));
      objects.set(`runs/held/${runId}`, json(run));
    };
    held('old-111111111111', 49, 'held');
    held('young-222222222222', 47, 'held');
    held('approved-333333333333', 60, 'complete');
    const untouched = (runId: string) => [objects.text(`runs/${runId}/plan.json`), objects.text(`runs/${runId}/report.json`)];
    const before = { young: untouched('young-222222222222'), approved: untouched('approved-333333333333') };
    // Act
    const result = await handler(scheduled, lambdaContext('run-reporter'));
    // Assess: the expired run
    expect(result).toEqual({ reported: [], expired: ['old-111111111111'], waiting: [], deferred: [], errors: [] });
    const reason = 'expired: not approved within 48 h (approval.expireAfterHours); nothing of its staged changes was written. Upload the file again for a fresh plan.';
    expect(objects.json<StoredPlan>('runs/old-111111111111/plan.json')).toMatchObject({ status: 'expired', reason, rosterLogins: 900 });
    expect(objects.json<RunReport>('runs/old-111111111111/report.json')).toMatchObject({ status: 'expired', reason });
    const publishes = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publishes).toHaveLength(1);
    expect(publishes[0]).toMatchObject({
      Subject: 'Coupa user sync: held run old-111111111111 expired',
      Message: `incoming/old-111111111111.csv: ${reason}\n\nRun: old-111111111111\nFile: incoming/old-111111111111.csv`,
    });
    expect(publishes[0].MessageAttributes?.severity?.StringValue).toBe('failure');
    // Assess: the markers
    expect(objects.keysUnder('runs/held/')).toEqual(['runs/held/young-222222222222']);
    expect(untouched('young-222222222222')).toEqual(before.young);
    expect(untouched('approved-333333333333')).toEqual(before.approved);
    expect(s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key).sort()).toEqual(['runs/held/approved-333333333333', 'runs/held/old-111111111111']);
  });

  it('reports an overdue full-roster run with every absentee that never got an outcome as failed, named from the plan', async () => {
    // Prepare: 7 h old (reportAfterHours is 6), 1 row and 2 absentees queued; gone.two never came back.
    const runId = 'late-444444444444';
    splitRun(runId, 1, hoursAgo(7), { absentees: 2, details: { status: 'complete', dryRun: false, mode: 'full', guards: [] } });
    const deactivate = (login: string, id: string) => ({
      login,
      kind: 'deactivate' as const,
      id,
      send: { active: false },
      changes: [{ field: 'active', before: true, after: false }],
      rows: [],
      absent: true,
      level: 0,
    });
    const plan: StoredPlan = {
      run: { runId, file: `incoming/${runId}.csv` },
      createdAt: hoursAgo(7),
      mode: 'full',
      status: 'complete',
      guards: [],
      rosterLogins: 1,
      changes: [deactivate('gone.one', '7'), deactivate('gone.two', '8')],
      staged: [],
    };
    objects.set(`runs/${runId}/plan.json`, json(plan));
    recordOutcomes(runId, hoursAgo(6.9), [
      { row: 1, login: 'a', outcome: 'unchanged' },
      { row: 0, absent: true, login: 'gone.one', outcome: 'deactivated', changes: [{ field: 'active', before: true, after: false }] },
    ]);
    // Act
    const result = await handler(scheduled, lambdaContext('run-reporter'));
    // Assess
    expect(result).toEqual({ reported: [{ runId, state: 'overdue' }], expired: [], waiting: [], deferred: [], errors: [] });
    const overdue = report(runId);
    expect(overdue.absentees).toEqual([
      { login: 'gone.one', outcome: 'deactivated', changes: [{ field: 'active', before: true, after: false }] },
      { login: 'gone.two', outcome: 'failed', errors: ['no outcome recorded within 6 h (check the DLQ and logs)'] },
    ]);
    expect(overdue.totals).toMatchObject({ rows: 1, absentees: 2, unchanged: 1, deactivated: 1, failed: 1 });
  });
});
