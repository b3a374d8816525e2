/**
 * Issue 9, "Faults, proven": one HR file of 2,000 rows against a Coupa emulator that answers 10 % of
 * API requests with a 503, resets 1 % of connections, adds latency and rate-limits (429s), through
 *  1. the AWS handlers (splitter → FIFO queue → api-consumer → run reporter) on in-memory S3/SQS/SNS
 *     fakes: the S3 event delivered three times (once "10 minutes later"), the queue drained in
 *     batches of ten with redelivery of what was handed back, one consumer killed mid-batch;
 *  2. the local pipeline (what `coupa-sync run` runs) in process;
 *  3. the CLI over the CSV channel to a real sshd, the emulator's loader watching its folder, faults on
 *     the API side (the planner's lookups and the results read-back).
 * Afterwards Coupa must equal the HR file for every valid row, no login may have been created twice,
 * and every data row must have exactly one final outcome, the rejected ones exactly the invalid rows.
 *
 * Speed: the Coupa client's token bucket is capped at Coupa's 25 requests/s by config validation,
 * which would make 2,000 users take minutes. The bucket is kept (its AIMD reaction to 429s included)
 * but scaled ×RATE_SCALE here; the emulator's own limiter then produces the 429s.
 *
 * Runtime on 2 cores: 57–60 s alone (AWS path 24–46 s: the rate governor settles either near the
 * limiter's 120/s or near half of it, seen both ways with the same seed; local pipeline 16–18 s;
 * CSV channel 15–16 s), about 80 s inside `npm test` next to the other files.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, S3Event, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { startEmulator, type EmulatorFaults, type RunningEmulator, type SeedUser } from '../../emulator/server';
import { createUserDirectory } from '../../lambdas/adapters/coupa';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { runLocalPipeline } from '../../lambdas/adapters/local/local-pipeline';
import type { RunReport } from '../../lambdas/core/model';
import type { ReportRunsResult } from '../../lambdas/core/sync/report-runs';
import { runIdFor } from '../../lambdas/core/sync/route';
import { cli } from '../support/cli';
import { FakeFifoQueue } from '../support/fake-sqs';
import { SSHD, skipWithout } from '../support/prerequisites';
import { startSshd, type RunningSshd } from '../support/sshd';
import { fakeS3Bucket, lambdaContext, s3Event, stubHandlerEnv, type FakeBucket } from '../unit/handler-fixtures';
import { testConfig } from '../support/factories';

const RATE_SCALE = 20;
vi.mock('../../lambdas/adapters/coupa/token-bucket', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lambdas/adapters/coupa/token-bucket')>();
  class ScaledTokenBucket extends original.TokenBucket {
    constructor(...[rate, burst, ...rest]: ConstructorParameters<typeof original.TokenBucket>) {
      super(rate * RATE_SCALE, burst * RATE_SCALE, ...rest);
    }
  }
  return { ...original, TokenBucket: ScaledTokenBucket };
});

/** 10 % 503s, 1 % resets, latency; the limiter (below the scaled client rate's bursts) gives the 429s. */
const FAULTS: EmulatorFaults = { errorRate: 0.1, resetRate: 0.01, latencyMs: 3, rateLimitPerSecond: 150, burst: 40, seed: 9 };

// ---------------------------------------------------------------------------------------------
// The HR file: what it holds and what each row must end as
// ---------------------------------------------------------------------------------------------

type Expected = 'created' | 'updated' | 'deactivated' | 'unchanged' | 'rejected';
interface HrRow {
  line: string;
  expected: Expected;
  login: string;
  /** What Coupa must hold afterwards (valid rows): the fields the file sets. */
  want?: { email?: string; firstname?: string; lastname?: string; manager?: string; active: boolean };
}

const pad = (n: number) => String(n).padStart(4, '0');
const EXISTING = 1000;

/**
 * ~1,000 users already in Coupa, two managers above them. No explicit ids: the emulator's store
 * numbers creates from 1000 without skipping seeded ids, so a create would overwrite a seed user
 * with id ≥ 1000 (see the emulator finding at the end of this file).
 */
function seedUsers(): SeedUser[] {
  const users: SeedUser[] = [
    { login: 'chief.one', email: 'chief.one@corp.example', firstname: 'Chief', lastname: 'One', active: true },
    { login: 'chief.two', email: 'chief.two@corp.example', firstname: 'Chief', lastname: 'Two', active: true },
  ];
  for (let i = 1; i <= EXISTING; i++) {
    users.push({ login: `emp.${pad(i)}`, email: `emp.${pad(i)}@corp.example`, firstname: 'Emp', lastname: `Old${i}`, active: true, manager: 'chief.one' });
  }
  return users;
}

/**
 * `total` data rows: updates, unchanged rows, deactivations, existing users moved under new managers
 * and new hires reporting to new managers, all listed BEFORE those managers' own rows, new hires,
 * and invalid rows spread through the file.
 */
function hrFile(total: number): { text: string; rows: HrRow[] } {
  const scale = total / 2000;
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  const valid: HrRow[] = [];
  const row = (login: string, email: string, firstname: string, lastname: string, manager: string, active: string, expected: Expected, want: HrRow['want']): HrRow => ({
    line: [login, email, firstname, lastname, manager, active].join(','),
    expected,
    login,
    want,
  });
  let i = 1;
  const updates = n(450), unchanged = n(150), leavers = n(100), movers = n(20), bosses = n(5), reportsPerBoss = 10, invalid = n(20);
  for (let k = 0; k < updates; k++, i++) {
    valid.push(row(`emp.${pad(i)}`, `emp.${pad(i)}@corp.example`, 'Emp', `New${i}`, 'chief.two', '', 'updated', { email: `emp.${pad(i)}@corp.example`, firstname: 'Emp', lastname: `New${i}`, manager: 'chief.two', active: true }));
  }
  for (let k = 0; k < unchanged; k++, i++) {
    valid.push(row(`emp.${pad(i)}`, `emp.${pad(i)}@corp.example`, 'Emp', `Old${i}`, 'chief.one', '', 'unchanged', { email: `emp.${pad(i)}@corp.example`, firstname: 'Emp', lastname: `Old${i}`, manager: 'chief.one', active: true }));
  }
  for (let k = 0; k < leavers; k++, i++) valid.push(row(`emp.${pad(i)}`, '', '', '', '', 'false', 'deactivated', { active: false }));
  // New managers come after everyone who reports to them.
  const bossRows: HrRow[] = [];
  for (let b = 1; b <= bosses; b++) {
    for (let k = 0; k < movers / bosses; k++, i++) {
      valid.push(row(`emp.${pad(i)}`, `emp.${pad(i)}@corp.example`, 'Emp', `Old${i}`, `boss.${b}`, '', 'updated', { lastname: `Old${i}`, manager: `boss.${b}`, active: true }));
    }
    for (let k = 1; k <= reportsPerBoss; k++) {
      const login = `hire.b${b}.${k}`;
      valid.push(row(login, `${login}@corp.example`, 'Rep', `Of${b}x${k}`, `boss.${b}`, '', 'created', { email: `${login}@corp.example`, firstname: 'Rep', lastname: `Of${b}x${k}`, manager: `boss.${b}`, active: true }));
    }
    bossRows.push(row(`boss.${b}`, `boss.${b}@corp.example`, 'Boss', `B${b}`, 'chief.one', '', 'created', { email: `boss.${b}@corp.example`, firstname: 'Boss', lastname: `B${b}`, manager: 'chief.one', active: true }));
  }
  valid.push(...bossRows);
  const hires = total - valid.length - invalid;
  for (let h = 1; h <= hires; h++) {
    const login = `hire.${pad(h)}`;
    const manager = h % 3 === 0 ? 'chief.two' : h % 3 === 1 ? 'chief.one' : `emp.${pad(1 + (h % 400))}`;
    valid.push(row(login, `${login}@corp.example`, 'New', `Hire${h}`, manager, '', 'created', { email: `${login}@corp.example`, firstname: 'New', lastname: `Hire${h}`, manager, active: true }));
  }
  // Invalid rows spread evenly: no login, not an e-mail address, "maybe" for active.
  const rows = [...valid];
  for (let k = 0; k < invalid; k++) {
    const kind = k % 3;
    const login = kind === 0 ? '' : `bad.${k}`;
    const bad: HrRow = {
      line: kind === 0 ? `,nologin.${k}@corp.example,No,Login,chief.one,` : kind === 1 ? `${login},not-an-email,Bad,Mail,chief.one,` : `${login},${login}@corp.example,Bad,Active,chief.one,maybe`,
      expected: 'rejected',
      login,
    };
    rows.splice(Math.floor(((k + 1) * rows.length) / (invalid + 1)), 0, bad);
  }
  if (rows.length !== total) throw new Error(`built ${rows.length} rows, meant ${total}`);
  return { text: ['login,email,firstname,lastname,manager,active', ...rows.map((r) => r.line)].join('\n') + '\n', rows };
}

// ---------------------------------------------------------------------------------------------
// What is asserted after each path, with readable differences
// ---------------------------------------------------------------------------------------------

/** Coupa vs the file: one line per valid row whose user differs ("row 12 emp.0012: lastname is …, HR says …"). */
function coupaDifferences(coupa: RunningEmulator, rows: HrRow[], okOutcomes?: (row: number) => boolean): string[] {
  const byLogin = new Map<string, Record<string, unknown>[]>();
  for (const u of coupa.users()) {
    const key = String(u.login).toLowerCase();
    byLogin.set(key, [...(byLogin.get(key) ?? []), u]);
  }
  const out: string[] = [];
  rows.forEach((r, index) => {
    if (r.expected === 'rejected') {
      if (r.login && byLogin.has(r.login.toLowerCase())) out.push(`row ${index + 1} ${r.login}: invalid row, yet the user exists in Coupa`);
      return;
    }
    if (okOutcomes && !okOutcomes(index + 1)) return;
    const found = byLogin.get(r.login.toLowerCase()) ?? [];
    if (found.length !== 1) return void out.push(`row ${index + 1} ${r.login}: ${found.length} Coupa users with this login`);
    const user = found[0];
    for (const [field, want] of Object.entries(r.want!)) {
      const got = field === 'manager' ? (user.manager as { login?: string } | undefined)?.login : user[field];
      if (got !== want) out.push(`row ${index + 1} ${r.login}: ${field} is ${JSON.stringify(got)}, HR says ${JSON.stringify(want)}`);
    }
  });
  return out;
}

/** Report vs the file: rows 1..N each exactly once, each with the outcome the file calls for. */
function reportDifferences(report: RunReport, rows: HrRow[], expectedOf: (r: HrRow) => string = (r) => r.expected): string[] {
  const out: string[] = [];
  const seen = new Map<number, number>();
  for (const r of report.rows) seen.set(r.row, (seen.get(r.row) ?? 0) + 1);
  for (const [row, times] of seen) if (times !== 1 || row < 1 || row > rows.length) out.push(`row ${row}: ${times} outcome(s) in the report`);
  rows.forEach((r, index) => {
    const row = index + 1;
    const got = report.rows.filter((x) => x.row === row);
    if (got.length === 0) return void out.push(`row ${row} ${r.login}: no outcome in the report`);
    const want = expectedOf(r);
    if (got[0].outcome !== want) out.push(`row ${row} ${r.login}: ${got[0].outcome}, expected ${want}${got[0].errors ? ` (${got[0].errors.join('; ')})` : ''}`);
  });
  return out;
}

/** Every fetch the Coupa client makes in this process, with the status Coupa gave (0: no answer). */
interface SentCall {
  method: string;
  url: string;
  body?: string;
  status: number;
  /** The answer never reached the client (see recordCalls). */
  lost?: boolean;
}
/**
 * Records every fetch; with `loseEvery`, the answer to every n-th user write (POST/PUT /api/users…)
 * Coupa accepted is lost on the way back, as when a connection resets after the server committed:
 * the client sees the same TypeError undici throws for a reset. (The emulator's own resets come
 * before the write is applied, so they never test that ambiguity.)
 */
function recordCalls(loseEvery?: number): SentCall[] {
  const calls: SentCall[] = [];
  const realFetch = globalThis.fetch;
  let writes = 0;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const call: SentCall = { method: init?.method ?? 'GET', url: String(input), body: typeof init?.body === 'string' ? init.body : undefined, status: 0 };
    calls.push(call);
    const res = await realFetch(input, init);
    call.status = res.status;
    const write = (call.method === 'POST' || call.method === 'PUT') && new URL(call.url).pathname.startsWith('/api/users');
    if (loseEvery && write && res.ok && ++writes % loseEvery === 0) {
      await res.text();
      call.lost = true;
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    }
    return res;
  });
  return calls;
}

/** Successful creates per login (POST /api/users answered 2xx), and creates Coupa refused as a duplicate login. */
function creates(calls: SentCall[]): { perLogin: Map<string, number>; duplicateRefusals: string[] } {
  const perLogin = new Map<string, number>();
  const duplicateRefusals: string[] = [];
  for (const c of calls) {
    if (c.method !== 'POST' || new URL(c.url).pathname !== '/api/users' || !c.body) continue;
    const login = (/<login>([^<]+)<\/login>/.exec(c.body) ?? /"login"\s*:\s*"([^"]+)"/.exec(c.body))?.[1] ?? '?';
    if (c.status >= 200 && c.status < 300) perLogin.set(login, (perLogin.get(login) ?? 0) + 1);
    else if (c.status === 422) duplicateRefusals.push(login);
  }
  return { perLogin, duplicateRefusals };
}

function faultCounts(coupa: RunningEmulator): Record<string, number> {
  const api = coupa.requests.filter((r) => r.path.startsWith('/api/'));
  return {
    api: api.length,
    '503': api.filter((r) => r.status === 503).length,
    '429': api.filter((r) => r.status === 429).length,
    reset: api.filter((r) => r.status === 0).length,
  };
}

const ROWS = 2000;
/** Every 40th accepted user write loses its answer (a reset after Coupa committed). */
const LOSE_EVERY = 40;
const hr = hrFile(ROWS);
const createdLogins = hr.rows.filter((r) => r.expected === 'created').map((r) => r.login);

// ---------------------------------------------------------------------------------------------
// 1. The AWS handlers
// ---------------------------------------------------------------------------------------------

const BUCKET = 'drop-bucket';
const API_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-api.fifo';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:coupa-AbCdEf';
const FILE = 'incoming/api/soak-2026-11-29.csv';
const CONSUMERS = 4;
const KILLED_BATCH = 20;
/** Deliveries before SQS dead-letters a message: enough that 10 % 503s never dead-letter a healthy row. */
const MAX_RECEIVES = 10;

describe('fault soak: 2,000 HR rows through the AWS handlers against a faulty Coupa', () => {
  const s3Mock = mockClient(S3Client);
  const sqsMock = mockClient(SQSClient);
  const snsMock = mockClient(SNSClient);
  const smMock = mockClient(SecretsManagerClient);
  let coupa: RunningEmulator;
  let objects: FakeBucket;
  let queue: FakeFifoQueue;
  let calls: SentCall[];
  let splitter: (event: S3Event, context: Context) => Promise<void>;
  let consumer: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  let reporter: (event: ScheduledEvent, context: Context) => Promise<ReportRunsResult>;
  let runId: string;
  let report: RunReport;
  const log: string[] = [];

  let batchNo = 0;
  let killedLogins: Set<string> | undefined;
  let maxReceived = 0;
  /** The logins of the batch whose consumer was killed. */
  let killedBatch = new Set<string>();

  /** A consumer context whose clock question kills the invocation (throws) after `after` changes started. */
  function consumerContext(killAfter?: number, onKill?: () => void): Context {
    let asked = 0;
    return {
      ...lambdaContext('api-consumer'),
      getRemainingTimeInMillis: () => {
        if (killAfter !== undefined && ++asked > killAfter) {
          onKill?.();
          throw new Error('Lambda killed mid-batch');
        }
        return 300_000;
      },
    };
  }

  async function poller(): Promise<void> {
    while (queue.size > 0) {
      if (batchNo > 3000) throw new Error('the queue did not drain in 3,000 batches');
      const records = queue.receive(10);
      if (records.length === 0) {
        // Everything left is in flight on another poller (its group blocked): wait a moment.
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      for (const r of records) maxReceived = Math.max(maxReceived, Number(r.attributes.ApproximateReceiveCount));
      const kill = ++batchNo === KILLED_BATCH;
      const logins = records.map((r) => JSON.parse(r.body).change.login as string);
      const t0 = performance.now();
      try {
        const response = await consumer({ Records: records }, consumerContext(kill ? 4 : undefined, () => (killedLogins = killedBatch = new Set(logins))));
        queue.settle(records, response);
        const ms = performance.now() - t0;
        if (ms > 2_000) log.push(`batch ${batchNo} took ${Math.round(ms)} ms (${response.batchItemFailures.length} handed back)`);
      } catch (err) {
        log.push(`batch ${batchNo}: handler threw: ${(err as Error).message}`);
        // Let the dead invocation's stragglers finish (their outcome writes are refused), then redeliver the batch whole.
        await new Promise((r) => setTimeout(r, 500));
        killedLogins = undefined;
        queue.settle(records, { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) });
      }
    }
  }

  const drain = () => Promise.all(Array.from({ length: CONSUMERS }, () => poller()));

  beforeAll(async () => {
    const started = performance.now();
    coupa = await startEmulator({ seed: seedUsers(), faults: { ...FAULTS, rateLimitPerSecond: 120, burst: 20 } });
    stubHandlerEnv({ API_QUEUE_URL: API_QUEUE, CSV_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/coupa-sync-csv', COUPA_SECRET_ARN: SECRET_ARN, BUCKET_NAME: BUCKET, POWERTOOLS_METRICS_DISABLED: 'true' });
    vi.stubEnv(
      'COUPA_SYNC_CONFIG',
      JSON.stringify({
        delivery: 'api',
        coupa: { url: coupa.url, maxAttempts: 5, maxRetryMs: 3_000, requestTimeoutMs: 5_000 },
        api: { maxReceiveCount: MAX_RECEIVES, maxConcurrency: CONSUMERS },
        roster: { maxDeactivations: 10_000, maxDeactivationShare: 1 },
      }),
    );
    smMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({ clientId: coupa.credentials.clientId, clientSecret: coupa.credentials.clientSecret }),
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    objects = fakeS3Bucket(s3Mock, { listable: ['runs/', 'state/'] });
    // A killed invocation writes no more outcomes.
    objects.putFault = (key, body) =>
      killedLogins && key.includes('/outcomes/') && [...killedLogins].some((l) => body.includes(`"login":"${l}"`))
        ? Object.assign(new Error('the Lambda was killed'), { name: 'Killed' })
        : undefined;
    queue = new FakeFifoQueue(API_QUEUE, MAX_RECEIVES).attach(sqsMock);
    ({ handler: splitter } = await import('../../lambdas/splitter'));
    ({ handler: consumer } = await import('../../lambdas/api-consumer'));
    ({ handler: reporter } = await import('../../lambdas/run-reporter'));
    (await import('../../lambdas/adapters/aws/context')).resetAwsContext();
    calls = recordCalls(LOSE_EVERY);

    // HR drops the file.
    const versionId = objects.putVersion(FILE, Buffer.from(hr.text), 'text/csv');
    runId = runIdFor(BUCKET, FILE, versionId);
    const event = s3Event(FILE, versionId);
    // Lambda runs an async S3 event up to 3 times when it throws (Coupa may stay faulty for a lookup's retries).
    const deliver = async (what: string) => {
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          await splitter(event, lambdaContext('splitter'));
          log.push(`${what}: splitter ok (attempt ${attempt})`);
          return;
        } catch (err) {
          log.push(`${what}: splitter threw (attempt ${attempt}): ${(err as Error).message}`);
        }
      }
    };
    await deliver('S3 event');
    log.push(`queued ${queue.size} (${Math.round(performance.now() - started)} ms)`);
    await deliver('the same S3 event again');
    log.push(`queued ${queue.size}`);

    // Drain in batches of ten by CONSUMERS concurrent pollers (so groups interleave in any order);
    // the KILLED_BATCH-th batch's consumer is killed after starting a few changes: its in-flight
    // requests reach Coupa, its outcome writes after the kill are lost, and SQS hands the whole
    // batch out again.
    await drain();
    log.push(`drained in ${batchNo} batches; most deliveries of one message ${maxReceived}; dead letters ${queue.dead.length} (${Math.round(performance.now() - started)} ms)`);
    // The S3 event once more, "10 minutes later" (past SQS's 5-minute deduplication window): the
    // splitter's clock reads Date. Anything it queued is drained (and would show as a second write).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 10 * 60_000 });
    try {
      await deliver('the same S3 event 10 minutes later');
    } finally {
      vi.useRealTimers();
    }
    log.push(`queued ${queue.size} after the late duplicate`);
    await drain();
    const reported = await reporter({ source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent, lambdaContext('run-reporter'));
    log.push(`reporter: ${JSON.stringify(reported)}`);
    vi.useRealTimers();
    report = objects.json<RunReport>(`runs/${runId}/report.json`);
    log.push(`faults: ${JSON.stringify(faultCounts(coupa))}, answers lost ${calls.filter((c) => c.lost).length}; ${Math.round(performance.now() - started)} ms`);
    console.log(`AWS path:\n  ${log.join('\n  ')}`);
  }, 110_000);

  afterAll(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await coupa?.close();
  });

  it('was really faulty: 503s, 429s and resets answered, the batch killed, the event delivered three times', () => {
    const f = faultCounts(coupa);
    expect(f['503']).toBeGreaterThan(0.05 * f.api);
    expect(f['429']).toBeGreaterThan(0);
    expect(f.reset).toBeGreaterThan(0);
    expect(calls.filter((c) => c.lost).length).toBeGreaterThan(30);
    expect(log.filter((l) => l.includes('handler threw'))).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('the same S3 event'))).toHaveLength(2);
  });

  it('leaves Coupa equal to the HR file for every valid row, invalid rows not created', () => {
    expect(coupaDifferences(coupa, hr.rows)).toEqual([]);
  });

  it('created no login twice', () => {
    const logins = coupa.users().map((u) => String(u.login).toLowerCase());
    expect(logins.length - new Set(logins).size).toBe(0);
    const { perLogin, duplicateRefusals } = creates(calls);
    expect([...perLogin].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...perLogin.keys()].sort()).toEqual([...createdLogins].sort());
    expect(duplicateRefusals).toEqual([]);
  });

  it('dead-lettered nothing, and redelivered the killed batch: the work it had done was confirmed, not repeated', () => {
    expect(queue.dead.map((m) => m.body)).toEqual([]);
    const confirmed = report.rows.filter((r) => r.warnings?.includes('confirmed after a redelivery: an earlier delivery had applied it')).map((r) => r.login);
    expect(killedBatch.size).toBe(10);
    expect(confirmed.filter((l) => killedBatch.has(l)).length).toBeGreaterThan(0);
  });

  it('reports every data row exactly once with the outcome the file calls for, the rejected rows exactly the invalid ones', () => {
    expect(report).toMatchObject({ runId, status: 'complete' });
    expect(reportDifferences(report, hr.rows)).toEqual([]);
    expect(report.rows.filter((r) => r.outcome === 'rejected').map((r) => r.row)).toEqual(hr.rows.flatMap((r, i) => (r.expected === 'rejected' ? [i + 1] : [])));
    expect(report.totals).toMatchObject({ rows: ROWS, failed: 0 });
  });
});

// ---------------------------------------------------------------------------------------------
// 2. The local pipeline (what `coupa-sync run` runs), in process, against the same faults
// ---------------------------------------------------------------------------------------------

describe('fault soak: the same 2,000 rows through the local pipeline (coupa-sync run) against a faulty Coupa', () => {
  let coupa: RunningEmulator;
  let calls: SentCall[];
  let report: RunReport;

  beforeAll(async () => {
    const started = performance.now();
    coupa = await startEmulator({ seed: seedUsers(), faults: FAULTS });
    calls = recordCalls(LOSE_EVERY);
    const file = join(await mkdtemp(join(tmpdir(), 'fault-soak-cli-')), 'hr.csv');
    await writeFile(file, hr.text);
    const config = testConfig({
      coupa: { maxAttempts: 5, maxRetryMs: 3_000, requestTimeoutMs: 5_000 },
      roster: { maxDeactivations: 10_000, maxDeactivationShare: 1 },
    });
    const directory = createUserDirectory({ baseUrl: coupa.url, config: config.coupa, credentials: coupa.credentials });
    ({ report } = await runLocalPipeline({ file, config, directory, notifier: new ConsoleNotifier(() => {}), retryDelayMs: 50 }));
    console.log(`local pipeline: faults ${JSON.stringify(faultCounts(coupa))}, answers lost ${calls.filter((c) => c.lost).length}; ${Math.round(performance.now() - started)} ms`);
  }, 110_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await coupa?.close();
  });

  it('was really faulty', () => {
    const f = faultCounts(coupa);
    expect(f['503']).toBeGreaterThan(0.05 * f.api);
    expect(f['429']).toBeGreaterThan(0);
    expect(f.reset).toBeGreaterThan(0);
    expect(calls.filter((c) => c.lost).length).toBeGreaterThan(30);
  });

  it('leaves Coupa equal to the HR file for every valid row, invalid rows not created', () => {
    expect(coupaDifferences(coupa, hr.rows)).toEqual([]);
  });

  it('created no login twice', () => {
    const logins = coupa.users().map((u) => String(u.login).toLowerCase());
    expect(logins.length - new Set(logins).size).toBe(0);
    const { perLogin, duplicateRefusals } = creates(calls);
    expect([...perLogin].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...perLogin.keys()].sort()).toEqual([...createdLogins].sort());
    expect(duplicateRefusals).toEqual([]);
  });

  it('reports every data row exactly once with the outcome the file calls for, the rejected rows exactly the invalid ones', () => {
    expect(reportDifferences(report, hr.rows)).toEqual([]);
    expect(report.totals).toMatchObject({ rows: ROWS, failed: 0 });
  });
});

// ---------------------------------------------------------------------------------------------
// 3. The CLI over the CSV channel: a real child process, a real sshd, the emulator's loader
// ---------------------------------------------------------------------------------------------

const CSV_ROWS = 300;
const csvHr = hrFile(CSV_ROWS);
/** The CSV channel reports what Coupa's loader took as `applied` (creates and updates alike). */
const csvOutcome = (r: HrRow) => (r.expected === 'created' || r.expected === 'updated' ? 'applied' : r.expected);

describe.skipIf(skipWithout(SSHD))('fault soak: 300 rows through coupa-sync run --delivery csv to a real sshd, faults on the API side', () => {
  let sshd: RunningSshd;
  let coupa: RunningEmulator;
  let report: RunReport;
  let result: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    const started = performance.now();
    sshd = await startSshd();
    // The CLI's own client paces at Coupa's real rate: the limiter sits below it to answer 429s; with
    // only some 50 API requests in the run, resets are raised to 5 % so that some happen.
    coupa = await startEmulator({ seed: seedUsers(), faults: { ...FAULTS, resetRate: 0.05, rateLimitPerSecond: 10, burst: 5 }, loader: { incomingDir: sshd.incomingDir } });
    const dir = await mkdtemp(join(tmpdir(), 'fault-soak-csv-'));
    const file = join(dir, 'hr.csv');
    await writeFile(file, csvHr.text);
    const reportFile = join(dir, 'report.json');
    // Coupa's loader picks files up every 200 ms, one pass at a time.
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void coupa.processIncoming().finally(() => (busy = false));
    }, 200);
    try {
      const sftpUrl = `sftp://${sshd.username}@127.0.0.1:${sshd.port}${sshd.incomingDir}`;
      result = await cli(
        ['run', file, '--coupa-url', coupa.url, '--delivery', 'csv', '--sftp-url', sftpUrl, '--sftp-host-key', sshd.hostKeyLine, '--wait-results', '60', '--report', reportFile],
        { COUPA_CLIENT_ID: coupa.credentials.clientId, COUPA_CLIENT_SECRET: coupa.credentials.clientSecret, COUPA_SFTP_KEY_FILE: sshd.privateKeyPath },
      );
    } finally {
      clearInterval(timer);
    }
    report = JSON.parse(await readFile(reportFile, 'utf8')) as RunReport;
    console.log(`CSV channel: exit ${result.code}; faults ${JSON.stringify(faultCounts(coupa))}; read-back answers ${JSON.stringify(coupa.requests.filter((r) => r.path.startsWith('/api/data_file_sources')).map((r) => r.status))}; loads ${coupa.dataFileSources().length}; ${Math.round(performance.now() - started)} ms`);
  }, 110_000);

  afterAll(async () => {
    await coupa?.close();
    await sshd?.stop();
  });

  it('was really faulty on the API side (the planner lookups; the read-back polls only sometimes draw a fault)', () => {
    // Which read-back poll draws a fault depends on how many polls the loader's timing needs, so only
    // the lookups (some 38 requests at ≈ 16 % faults) are sure to meet one.
    const faulted = (path: string) => coupa.requests.filter((r) => r.path.startsWith(path) && [0, 429, 503].includes(r.status)).length;
    expect(faulted('/api/users')).toBeGreaterThan(0);
  });

  it('leaves Coupa equal to the HR file for every valid row, invalid rows not created, no login twice', () => {
    expect(coupaDifferences(coupa, csvHr.rows)).toEqual([]);
    const logins = coupa.users().map((u) => String(u.login).toLowerCase());
    expect(logins.length - new Set(logins).size).toBe(0);
  });

  it('reports every data row exactly once, the rejected rows exactly the invalid ones (exit 1 for them)', () => {
    expect(reportDifferences(report, csvHr.rows, csvOutcome)).toEqual([]);
    expect(result.code).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Found while building the soak (the emulator, fixed: ids only grow, as in Coupa)
// ---------------------------------------------------------------------------------------------

describe('emulator: seeded ids and created ids never collide', () => {
  // CoreUserStore (emulator/store.ts) numbered creates from 1000 without skipping ids a seed took:
  // a create replaced the seeded user with that id. Seeding now moves the next id past every seed's.
  it('keeps a seeded user whose explicit id the store would have handed out to a create', async () => {
    const coupa = await startEmulator({ seed: [{ id: 1000, login: 'seeded.thousand', email: 'seeded.thousand@corp.example', firstname: 'Seeded', lastname: 'Thousand' }] });
    try {
      const directory = createUserDirectory({ baseUrl: coupa.url, config: testConfig().coupa, credentials: coupa.credentials });
      await directory.create('fresh.one', { email: 'fresh.one@corp.example', firstname: 'Fresh', lastname: 'One', active: true });
      expect(coupa.users().map((u) => u.login).sort()).toEqual(['fresh.one', 'seeded.thousand']);
    } finally {
      await coupa.close();
    }
  });
});
