/**
 * A first full read of Coupa that does not fit one planner invocation (issue 7), through the real
 * handlers: the splitter reads a 3,000-user Coupa emulator over HTTP, stops at its deadline, keeps
 * its progress in the (versioned, in-memory) bucket and asks for a continuation with
 * `continue/<runId>`; the test delivers those S3 events as S3 would, then the api-consumer drains
 * the FIFO queue and the run reporter reports. The same roster through one invocation with time to
 * spare is the reference: plan, queued changes, outcomes and Coupa afterwards must be the same.
 *
 * The Lambda context is a fake whose remaining time falls one second for every page request the
 * emulator has answered since the invocation began (a Coupa answering one page a second): a
 * deterministic stand-in for a slow Coupa that does not make the test wait.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, S3Event, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type RunningEmulator, type SeedUser } from '../../emulator/server';
import type { ChangeMessage, RunReport } from '../../lambdas/core/model';
import type { StoredPlan } from '../../lambdas/core/ports';
import type { ReportRunsResult } from '../../lambdas/core/sync/report-runs';
import { runIdFor } from '../../lambdas/core/sync/route';
import { FakeFifoQueue } from '../support/fake-sqs';
import { fakeS3Bucket, lambdaContext, s3Event, stubHandlerEnv, type FakeBucket } from '../unit/handler-fixtures';

const BUCKET = 'drop-bucket';
const API_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-api.fifo';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const FILE = 'incoming/api/workforce-2026-11-29.csv';
const USERS = 3000;

const s3Mock = mockClient(S3Client);
const sqsMock = mockClient(SQSClient);
const snsMock = mockClient(SNSClient);
const smMock = mockClient(SecretsManagerClient);

let coupa: RunningEmulator | undefined;
let objects: FakeBucket;
let queue: FakeFifoQueue;
let splitter: (event: S3Event, context: Context) => Promise<void>;
let consumer: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let reporter: (event: ScheduledEvent, context: Context) => Promise<ReportRunsResult>;
let resetAwsContext: () => void;

const pad = (n: number) => String(n).padStart(4, '0');

/** 3,000 users, last changed long ago (so a refresh finds only what changes during the test). */
function seedUsers(): SeedUser[] {
  return Array.from({ length: USERS }, (_, k) => ({
    login: `emp.${pad(k + 1)}`,
    email: `emp.${pad(k + 1)}@corp.example`,
    firstname: 'Emp',
    lastname: `Old${k + 1}`,
    active: true,
    'updated-at': '2026-01-05T10:00:00Z',
  }));
}

/** The whole workforce: 2,990 of the 3,000 (the last 10 left), 19 of them renamed, 5 hires. */
const ROSTER = [
  'login,email,firstname,lastname',
  ...Array.from({ length: USERS - 10 }, (_, k) => {
    const i = k + 1;
    return `emp.${pad(i)},emp.${pad(i)}@corp.example,Emp,${i % 150 === 0 ? `New${i}` : `Old${i}`}`;
  }),
  ...[1, 2, 3, 4, 5].map((n) => `hire.${n},hire.${n}@corp.example,New,Hire${n}`),
].join('\n');

/** A fresh stack: a new 3,000-user Coupa, an empty bucket and queue; full rosters. */
async function freshStack(roster: Record<string, unknown> = {}): Promise<void> {
  await coupa?.close();
  coupa = await startEmulator({ seed: seedUsers() });
  vi.stubEnv('COUPA_SYNC_CONFIG', JSON.stringify({ delivery: 'api', roster: { mode: 'full', ...roster }, coupa: { url: coupa.url } }));
  s3Mock.reset();
  sqsMock.reset();
  snsMock.reset();
  smMock.reset();
  smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: JSON.stringify({ clientId: coupa.credentials.clientId, clientSecret: coupa.credentials.clientSecret }),
  });
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  objects = fakeS3Bucket(s3Mock, { listable: ['runs/', 'state/', 'continue/'] });
  queue = new FakeFifoQueue(API_QUEUE).attach(sqsMock);
  resetAwsContext();
}

const pageReads = () => coupa!.requests.filter((r) => r.method === 'GET' && r.path === '/api/users').length;

/** The planner's context: 15 minutes, or `budgetMs` that a page request costs a second of. */
function plannerContext(budgetMs = 900_000): Context {
  const before = pageReads();
  return { ...lambdaContext('splitter'), getRemainingTimeInMillis: () => budgetMs - 1_000 * (pageReads() - before) };
}

const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent;
const consumerContext = () => ({ ...lambdaContext('api-consumer'), getRemainingTimeInMillis: () => 300_000 });

interface Outcome {
  runId: string;
  plan: StoredPlan;
  queued: Array<{ group: string; message: ChangeMessage }>;
  /** Messages the splitter sent, duplicates included (SQS would drop a repeat within 5 minutes, not later). */
  sentEntries: number;
  pageReads: number;
  report: RunReport;
  coupaAfter: Array<{ login: string; email: unknown; lastname: unknown; active: unknown }>;
}

/** Applies what was queued and reports; the plan, queue and Coupa as they came out. */
async function finish(runId: string, pages: number): Promise<Outcome> {
  const queued = queue.messages.map((m) => ({ group: m.groupId, message: JSON.parse(m.body) as ChangeMessage }));
  const sentEntries = sqsMock.commandCalls(SendMessageBatchCommand).reduce((n, c) => n + (c.args[0].input.Entries?.length ?? 0), 0);
  await queue.drain(consumer, consumerContext, 10);
  const reported = await reporter(scheduled, lambdaContext('run-reporter'));
  expect(reported.reported).toEqual([{ runId, state: 'complete' }]);
  return {
    runId,
    plan: objects.json<StoredPlan>(`runs/${runId}/plan.json`),
    queued,
    sentEntries,
    pageReads: pages,
    report: objects.json<RunReport>(`runs/${runId}/report.json`),
    coupaAfter: coupa!
      .users()
      .map((u) => ({ login: u.login as string, email: u.email, lastname: u.lastname, active: u.active }))
      .sort((a, b) => a.login.localeCompare(b.login)),
  };
}

/** What must not depend on how the read was cut: everything but the run id and times. */
function comparable(o: Outcome) {
  const { rows, absentees, totals, status, roster } = o.report;
  return {
    changes: o.plan.changes,
    guards: o.plan.guards,
    queued: o.queued.map((q) => ({ group: q.group, change: q.message.change, file: q.message.file })),
    report: { rows, absentees, totals, status, roster },
    coupaAfter: o.coupaAfter,
  };
}

beforeAll(async () => {
  stubHandlerEnv({
    API_QUEUE_URL: API_QUEUE,
    CSV_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-csv',
    COUPA_SECRET_ARN: SECRET_ARN,
    BUCKET_NAME: BUCKET,
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  ({ handler: splitter } = await import('../../lambdas/splitter'));
  ({ handler: consumer } = await import('../../lambdas/api-consumer'));
  ({ handler: reporter } = await import('../../lambdas/run-reporter'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await coupa?.close();
});

describe('AWS path: a first full read of 3,000 Coupa users continued over several planner invocations', () => {
  it('plans, queues, applies and reports exactly as one uninterrupted invocation, each change queued once, duplicate events ignored', async () => {
    // Prepare + Act 1: the reference — one invocation with 15 minutes to spare.
    await freshStack();
    let version = objects.putVersion(FILE, Buffer.from(ROSTER), 'text/csv');
    let runId = runIdFor(BUCKET, FILE, version);
    let started = performance.now();
    await splitter(s3Event(FILE, version), plannerContext());
    const referenceMs = performance.now() - started;
    const referencePages = pageReads();
    expect(objects.keysUnder('continue/')).toEqual([]);
    const reference = await finish(runId, referencePages);

    // Prepare + Act 2: a fresh stack, the same roster, a planner whose Coupa answers a page a second
    // with 30 s per invocation: it reads for 20 s, keeps 10 s for planning.
    await freshStack();
    version = objects.putVersion(FILE, Buffer.from(ROSTER), 'text/csv');
    runId = runIdFor(BUCKET, FILE, version);
    const continueKey = `continue/${runId}`;
    const invocations: Array<{ step: number; pages: number }> = [];
    const checkpointBytes: number[] = [];
    let delivered = 0;
    started = performance.now();
    await splitter(s3Event(FILE, version), plannerContext(30_000));
    invocations.push({ step: 0, pages: pageReads() });
    while (objects.versionsOf(continueKey).length > delivered) {
      const asked = objects.versionsOf(continueKey)[delivered++];
      const step = JSON.parse(asked.body!.toString()).step as number;
      checkpointBytes.push(objects.get(`state/reads/${runId}.ndjson`)!.length);
      const before = pageReads();
      if (step === 1) {
        // S3 delivers the first continuation event twice at once: one invocation carries on, the other finds the step's gate taken.
        await Promise.all([splitter(s3Event(continueKey, asked.versionId), plannerContext(30_000)), splitter(s3Event(continueKey, asked.versionId), plannerContext(30_000))]);
      } else {
        await splitter(s3Event(continueKey, asked.versionId), plannerContext(30_000));
      }
      invocations.push({ step, pages: pageReads() - before });
      // ... and the same event again later: the claim now waits for the next step (or the run is planned).
      const again = pageReads();
      await splitter(s3Event(continueKey, asked.versionId), plannerContext(30_000));
      expect(pageReads()).toBe(again);
    }
    const continuedMs = performance.now() - started;
    const continuedPages = pageReads();
    // ... and late duplicates of the dropped file and of every continuation: all ignored.
    const sentBefore = sqsMock.commandCalls(SendMessageBatchCommand).length;
    await splitter(s3Event(FILE, version), plannerContext());
    for (const asked of objects.versionsOf(continueKey)) await splitter(s3Event(continueKey, asked.versionId), plannerContext());
    expect(pageReads()).toBe(continuedPages);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(sentBefore);
    const continued = await finish(runId, continuedPages);
    if (process.env.PRINT_FIGURES) {
      console.info(
        JSON.stringify({ referencePages, referenceMs: Math.round(referenceMs), continuedPages, continuedMs: Math.round(continuedMs), invocations, checkpointBytes }),
      );
    }

    // Assess: the read was cut into four invocations (three continuations), each step delivered and claimed once.
    expect(invocations.map((i) => i.step)).toEqual([0, 1, 2, 3]);
    // One gate per step, named by the step and its request's time.
    expect(objects.keysUnder(`runs/${runId}/continuations/`).map((k) => k.replace(/-\d{8}T\d{9}Z\.json$/, ''))).toEqual(
      [1, 2, 3].map((s) => `runs/${runId}/continuations/${s}`),
    );
    expect(objects.json(`runs/${runId}/claim.json`)).toMatchObject({ state: 'planned' });
    expect(objects.has(`state/reads/${runId}.ndjson`)).toBe(false); // removed once the read was done
    // The run held the bucket's turn over its continuations, and passed it on once reported (run-queue.ts).
    expect(objects.keysUnder('runs/waiting/')).toEqual([]);
    expect(objects.has('runs/turn.json')).toBe(false);
    // Assess: the same plan, queue, outcomes and Coupa as the uninterrupted run.
    expect(comparable(continued)).toEqual(comparable(reference));
    expect(continued.plan.changes).toHaveLength(34);
    expect(reference.report.totals).toMatchObject({ rows: USERS - 5, absentees: 10, updated: 19, created: 5, deactivated: 10, unchanged: USERS - 10 - 19, failed: 0 });
    // Assess: each change queued exactly once (no resend SQS would have to drop), one per login.
    expect(continued.sentEntries).toBe(34);
    expect(reference.sentEntries).toBe(34);
    expect(new Set(continued.queued.map((q) => q.message.change.login)).size).toBe(34);
    // Assess: what the checkpoints cost in Coupa requests (overlap, windows cut short, the closing refresh).
    // 60 full pages and the empty one that ends the listing, fetched 1, 2, 4, then 8 at a time: 63 requests.
    expect(referencePages).toBe(63);
    // Each invocation stops on the first page of a window of 8 it had fetched: the other 7 are fetched
    // again by the next one (7 × 3); the read ends with one updated_at page: 22 requests more in all.
    expect(invocations.map((i) => i.pages)).toEqual([23, 23, 23, 16]);
    expect(continuedPages).toBe(referencePages + 3 * 7 + 1);
  }, 120_000);

  it('gives up after roster.maxReadContinuations with one alert naming the run, having queued and planned nothing', async () => {
    // Prepare: one continuation allowed, four needed
    await freshStack({ maxReadContinuations: 1 });
    const version = objects.putVersion(FILE, Buffer.from(ROSTER), 'text/csv');
    const runId = runIdFor(BUCKET, FILE, version);
    const continueKey = `continue/${runId}`;

    // Act: the dropped file, then the one continuation it asks for
    await splitter(s3Event(FILE, version), plannerContext(30_000));
    const [first] = objects.versionsOf(continueKey);
    await splitter(s3Event(continueKey, first.versionId), plannerContext(30_000));

    // Assess: no second continuation, nothing planned or queued, the checkpoint gone, the run done with
    expect(objects.versionsOf(continueKey)).toHaveLength(1);
    expect(objects.has(`runs/${runId}/plan.json`)).toBe(false);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(objects.has(`state/reads/${runId}.ndjson`)).toBe(false);
    expect(objects.has('state/coupa-users.ndjson')).toBe(false);
    expect(objects.json(`runs/${runId}/claim.json`)).toMatchObject({ state: 'abandoned' });
    const published = snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      Subject: `Coupa user sync stopped: ${FILE} (reading Coupa took too long)`,
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'stopped' }, severity: { DataType: 'String', StringValue: 'failure' }, runId: { DataType: 'String', StringValue: runId } },
    });
    expect(published[0].Message).toBe(
      `Run ${runId}: reading Coupa's users did not finish within 1 continuation(s) of the planner (roster.maxReadContinuations; 1599 user(s) read): ` +
        'nothing was planned or changed. Coupa answered too slowly for the users it holds (see Limits in the README): ' +
        'upload the file again when Coupa is less busy, or raise roster.maxReadContinuations.' +
        `\n\nRun: ${runId}\nFile: ${FILE}`,
    );

    // Act + Assess: a late duplicate of the file's event changes nothing
    const pages = pageReads();
    await splitter(s3Event(FILE, version), plannerContext());
    expect(pageReads()).toBe(pages);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  }, 60_000);

  it("carries on after a continuation failed (S3 refused its checkpoint): Lambda's retry of that event takes the step over", async () => {
    // Prepare: S3 refuses the second checkpoint write (the first continuation's) once.
    await freshStack();
    const version = objects.putVersion(FILE, Buffer.from(ROSTER), 'text/csv');
    const runId = runIdFor(BUCKET, FILE, version);
    const continueKey = `continue/${runId}`;
    let checkpointWrites = 0;
    objects.putFault = (key) =>
      key === `state/reads/${runId}.ndjson` && ++checkpointWrites === 2
        ? Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } })
        : undefined;

    // Act: the file; continuation 1 fails, is delivered again (Lambda's retry) and carries on; then the rest.
    await splitter(s3Event(FILE, version), plannerContext(30_000));
    const [first] = objects.versionsOf(continueKey);
    await expect(splitter(s3Event(continueKey, first.versionId), plannerContext(30_000))).rejects.toThrow('Please reduce your request rate.');
    const claimAfterFailure = objects.json(`runs/${runId}/claim.json`);
    await splitter(s3Event(continueKey, first.versionId), plannerContext(30_000));
    for (let delivered = 1; objects.versionsOf(continueKey).length > delivered; delivered++) {
      await splitter(s3Event(continueKey, objects.versionsOf(continueKey)[delivered].versionId), plannerContext(30_000));
    }
    const sent = sqsMock.commandCalls(SendMessageBatchCommand).reduce((n, c) => n + (c.args[0].input.Entries?.length ?? 0), 0);

    // Assess: the failed step let go of its claim, was taken over once, and the run planned and queued once.
    expect(claimAfterFailure).toMatchObject({ state: 'failed', step: 1 });
    expect(objects.versionsOf(continueKey).map((v) => JSON.parse(v.body!.toString()).step)).toEqual([1, 2, 3]);
    expect(objects.json(`runs/${runId}/claim.json`)).toMatchObject({ state: 'planned' });
    expect(objects.json<StoredPlan>(`runs/${runId}/plan.json`).changes).toHaveLength(34);
    expect(sent).toBe(34);
    expect(objects.has(`state/reads/${runId}.ndjson`)).toBe(false);
  }, 60_000);
});
