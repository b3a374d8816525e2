import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import type { RowOutcome, RunReport } from '../../lambdas/core/model';
import type { ReportRunsResult } from '../../lambdas/core/sync/report-runs';
import { fakeS3Bucket, lambdaContext, stubHandlerEnv } from './handler-fixtures';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent;
let objects: Map<string, Buffer>;
let handler: (event: ScheduledEvent, context: Context) => Promise<ReportRunsResult>;
let resetAwsContext: () => void;

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** What the splitter leaves for one run: split.json (its real shape) and the pending marker. */
function splitRun(runId: string, rows: number, splitAt: string): void {
  const run = { runId, file: `incoming/${runId}.csv` };
  objects.set(`runs/${runId}/split.json`, json({ run, rows, queued: rows, rejected: [], channel: 'api', splitAt }));
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
  stubHandlerEnv({ COUPA_SYNC_CONFIG: JSON.stringify({ reports: { reportAfterHours: 6 } }) });
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
    expect(result).toEqual({ reported: [{ runId, state: 'complete' }], expired: [], waiting: [], errors: [] });
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
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix).sort()).toEqual(['runs/held/', 'runs/pending/', `runs/${runId}/outcomes/`].sort());
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
    expect(result).toEqual({ reported: [{ runId: 'stale-cccccccccccc', state: 'overdue' }], expired: [], waiting: ['fresh-bbbbbbbbbbbb'], errors: [] });
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

  it('does nothing but one LIST of pending and one of held markers when no run is open', async () => {
    // Act
    const result = await handler(scheduled, lambdaContext('run-reporter'));
    // Assess
    expect(result).toEqual({ reported: [], expired: [], waiting: [], errors: [] });
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix).sort()).toEqual(['runs/held/', 'runs/pending/']);
    expect(s3Mock.calls()).toHaveLength(2);
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
});
