/**
 * Through the real handlers (dlq-notifier, then run-task's Report step, as the run's state machine
 * asks for it), with S3 in memory, the run table in dynalite and SNS mocked: a run of 1,000 rows that
 * all failed yields exactly one digest; and nothing written to stdout (log lines, EMF metric blobs)
 * or published to SNS carries personal data beyond the login.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { ChangeMessage } from '../../lambdas/core/model';
import type { RunState, TaskRequest } from '../../lambdas/core/runs/contract';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { SNS_MESSAGE_LIMIT_BYTES } from '../../lambdas/adapters/aws/sns-notifier';
import type { DeadLetterResult } from '../../lambdas/core/sync/dead-letters';
import { FakeFifoQueue } from '../support/fake-sqs';
import { applyingRunRecord, fakeS3Bucket, lambdaContext, stubHandlerEnv, stubRunTableEnv } from './handler-fixtures';
import { startDynalite, type Dynalite } from '../support/dynalite';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
/** The csv DLQ is standard. */
const CSV_DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/CoupaUserSync-CsvDlq';
const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent;

/** Personal data no log line, metric or alert may carry (only the login may appear). */
const EMAIL = 'xanthippe.quernheimer@private-mail.example';
const FIRST = 'Xanthippe';
const LAST = 'Quernheimer';
const PHONE = '+49 170 5550199';

let dlqNotifier: (event: ScheduledEvent, context: Context) => Promise<DeadLetterResult[]>;
let csvDlq: FakeFifoQueue;
let runTask: (request: TaskRequest, context: Context) => Promise<unknown>;
let resetAwsContext: () => void;
let stdout: string[];

const runId = 'hr-0123456789ab';
const file = 'incoming/csv/hr.csv';
const ROWS = 1000;

function deadMessage(row: number): ChangeMessage {
  const login = `emp${String(row).padStart(5, '0')}`;
  return {
    runId,
    file,
    group: login,
    change: {
      login,
      kind: 'create',
      send: { email: EMAIL, firstname: FIRST, lastname: LAST, 'phone-mobile': PHONE } as ChangeMessage['change']['send'],
      changes: [
        { field: 'email', after: EMAIL },
        { field: 'firstname', after: FIRST },
        { field: 'lastname', after: LAST },
      ],
      rows: [row],
      level: 0,
    },
  };
}

let db: Dynalite;

beforeAll(async () => {
  // The consumers settle runs in the run table (dynalite).
  db = await startDynalite();
  // Everything logged, so the check covers debug lines too.
  stubHandlerEnv({ POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_SERVICE_NAME: 'coupa-user-sync', COUPA_SYNC_CONFIG: JSON.stringify({ reports: { reportAfterHours: 6 } }), DLQ_URLS: JSON.stringify([CSV_DLQ]) });
  ({ handler: dlqNotifier } = await import('../../lambdas/dlq-notifier'));
  ({ handler: runTask } = await import('../../lambdas/run-task'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  await db?.close();
});

beforeEach(async () => {
  await db.reset(); // a fresh table: marks and records of the last test are gone
  stubRunTableEnv(db);
  resetAwsContext();
  s3Mock.reset();
  snsMock.reset();
  sqsMock.reset();
  csvDlq = new FakeFifoQueue(CSV_DLQ).attach(sqsMock);
  fakeS3Bucket(s3Mock);
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  stdout = [];
  // Powertools writes log lines and EMF blobs to stdout (its own Console, or the global one in dev mode).
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      stdout.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    });
  }
  // What the state machine's Admit and Plan steps leave for the run: its record, with the plan's summary.
  const planned = { startedAt: new Date(Date.now() - 3_600_000).toISOString(), rows: ROWS, absentees: 0, details: { status: 'complete' as const, mode: 'delta' as const }, planSha256: 'sha', toApply: ROWS, staged: 0, rosterLogins: 0 };
  await new DynamoRunRecords(db.client, db.tableName).create(applyingRunRecord(runId, { run: { runId, file }, channel: 'csv', queued: ROWS, plan: planned }));
});

/** The EMF blobs among the stdout lines. */
function emfBlobs(): Array<Record<string, any>> {
  return stdout
    .flatMap((s) => s.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, any>);
}

/** The run's Report step (the run-task Lambda as the state machine invokes it). */
async function reportStep(): Promise<unknown> {
  const state: RunState = { run: { runId, file }, channel: 'csv', dryRun: false, arrivedAt: new Date(Date.now() - 3_600_000).toISOString(), bucket: 'drop-bucket' };
  return runTask({ task: 'report', state }, { ...lambdaContext('run-task'), getRemainingTimeInMillis: () => 900_000 });
}

async function deadLetterAllRows(): Promise<void> {
  for (let i = 0; i < ROWS; i += 10) {
    csvDlq.sendBatch({ QueueUrl: CSV_DLQ, Entries: Array.from({ length: 10 }, (_, n) => ({ Id: String(n), MessageBody: JSON.stringify(deadMessage(i + n + 1)) })) });
  }
  const [result] = await dlqNotifier(scheduled, lambdaContext('dlq-notifier'));
  expect(result).toEqual({ newlyDead: ROWS, recorded: ROWS, problems: [] });
}

describe('one digest per run, and no personal data beyond the login', () => {
  it('turns a run of 1,000 dead rows into exactly one digest: the dead letters alert nothing row by row, the Report step sends it', async () => {
    // Act
    await deadLetterAllRows();
    const published = snsMock.commandCalls(PublishCommand).length;
    const reported = await reportStep();
    // Assess
    expect(published).toBe(0);
    expect(reported).toEqual({ status: 'complete' }); // every row has its outcome: the run is done, its rows failed
    expect(await new DynamoRunRecords(db.client, db.tableName).get(runId)).toMatchObject({ phase: 'reported', settled: ROWS, failed: ROWS });
    const publishes = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(publishes).toHaveLength(1);
    const [digest] = publishes;
    expect(digest.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'failure' },
      kind: { DataType: 'String', StringValue: 'digest' },
      runId: { DataType: 'String', StringValue: runId },
    });
    expect(digest.Subject).toBe('Coupa user sync report: incoming/csv/hr.csv: 1000 row(s) not applied');
    expect(digest.Message).toContain(`Report: s3://drop-bucket/runs/${runId}/report.html`);
    expect(digest.Message).toContain('row 1, login emp00001 (fields email, firstname, lastname): failed');
    expect(digest.Message).toContain('… and 980 more (see the run report)'); // the first 20 listed
    expect(digest.Message).toMatch(/… and \d+ more \(see the run report\)/);
    expect(Buffer.byteLength(digest.Message!)).toBeLessThan(SNS_MESSAGE_LIMIT_BYTES);
    // The metrics say the same: 1,000 dead letters, 1,000 failed users, one run reported (in the run's channel).
    const blobs = emfBlobs();
    const sum = (name: string) => blobs.reduce((n, b) => n + (Array.isArray(b[name]) ? b[name].reduce((a: number, v: number) => a + v, 0) : (b[name] ?? 0)), 0);
    expect(sum('DeadLetters')).toBe(ROWS);
    expect(sum('UsersFailed')).toBe(ROWS);
    expect(sum('RunsReported')).toBe(1);
    for (const b of blobs) {
      expect(b._aws.CloudWatchMetrics[0].Namespace).toBe('CoupaUserSync');
      // Low-cardinality dimensions only.
      for (const dims of b._aws.CloudWatchMetrics[0].Dimensions) expect(dims.every((d: string) => ['service', 'channel'].includes(d))).toBe(true);
    }
    expect(blobs.find((b) => 'DeadLetters' in b)).toMatchObject({ service: 'coupa-user-sync', channel: 'csv' });
    expect(blobs.find((b) => 'RunsReported' in b)).toMatchObject({ service: 'coupa-user-sync', channel: 'csv' });
  });

  it('keeps e-mail, names and phone out of every log line, EMF blob and SNS message', async () => {
    // Act
    await deadLetterAllRows();
    await reportStep();
    // Assess
    const published = snsMock.commandCalls(PublishCommand).map((c) => JSON.stringify(c.args[0].input));
    const emitted = [...stdout, ...published].join('\n');
    expect(stdout.length).toBeGreaterThan(0);
    expect(emfBlobs().length).toBeGreaterThan(0);
    expect(published).toHaveLength(1);
    for (const personal of [EMAIL, FIRST, LAST, PHONE, 'private-mail']) expect(emitted).not.toContain(personal);
    // The login is what identifies a row.
    expect(published[0]).toContain('emp00001');
    // Nor does a metric or log carry the run id as a dimension (it may appear in a log line's keys, not in EMF).
    for (const b of emfBlobs()) expect(JSON.stringify(b)).not.toContain('emp0');
  });
});
