/**
 * `npm run bench`: measures Coupa calls per user and throughput of the sync against a baseline
 * run in the same process, on the emulator over real HTTP. Figures are ratios, so they hold on
 * any machine; absolute times are printed for context only.
 *
 *   1. pipeline  — this project: bulk `login[in]` lookups (50 per call), writes only what changed.
 *   2. baseline  — Coupa's playbook: GET ?login= then PUT /api/users/:id, for every row.
 *   3. rate      — the client's rate governor against a rate-limited emulator (Coupa: 25/s).
 *
 * Issue 7's figures, each printed as one block with its target met or NOT met:
 *   4. aws-path  — Coupa calls per user of a 10,000-user full roster (1 % changed) through the real
 *                  handlers (bench/aws-path.ts), then a second file (another 1 %) refreshing the
 *                  kept snapshot;
 *      With each run, its AWS requests (S3, DynamoDB requests and units, SQS, state transitions) and cost;
 *   4b. aws-report — the Report step over BENCH_REPORT_OUTCOMES (default 500,000) outcomes in objects of
 *                  ten behind an S3 of 20 ms per request: time and peak RSS (bench/aws-report.ts);
 *   5. cli-plan  — plan time and peak RSS of `coupa-sync plan --roster full` as a child process, the
 *                  emulator in another (bench/cli-memory.ts), for 100k, 500k and (BENCH_MAX_USERS) 1M,
 *                  and a file of BENCH_MAX_USERS rows that are all rejected;
 *   6. latency   — achieved ÷ configured request rate (20/s) of a CLI run against `--latency 250`,
 *                  read phase and write phase apart;
 *   7. reader    — bench/reader.ts (issue 9), when that file is there.
 *   8. monitoring — issue 17: requests Coupa's integration monitoring adds to a failing run and its fix (bench/monitoring.ts).
 *
 * Issue 15's figures:
 *   8. first-load — a delta file in which every user changes, `coupa-sync run` against the emulator
 *                   (client 20 req/s, 100 ms latency): share of the rate budget used, longest
 *                   stretch without a request, total time (bench/first-load.ts);
 *   9. plan-growth — planFile on 10k, 100k and 500k changes, each in its own process: time, peak RSS,
 *                   and the ratios that show linear growth (bench/plan-growth.ts).
 *
 * Options (env): BENCH_USERS (default 10000), BENCH_CHANGED (default 0.01), BENCH_BASELINE_USERS (default 1000),
 * BENCH_MAX_USERS (largest CLI plan, default 1000000: the 1M run takes ~4–5 min; 500000 leaves it out),
 * BENCH_AWS_USERS (default 10000), BENCH_REPORT_OUTCOMES (default 500000),
 * BENCH_SKIP (comma-separated sections to leave out: aws,aws-report,cli,latency,reader,first-load,plan-growth,monitoring),
 * BENCH_FIRST_LOAD_CHANGES (default 100000), BENCH_FIRST_LOAD_WRITES (stop the first load after this many
 * writes, default 2000: the lookups, the plan and 100 s of writes; `all` runs the ~85 min to the end),
 * BENCH_FIRST_LOAD_LIMIT (a request limit for the emulator there, e.g. 25; default none),
 * BENCH_PLAN_SIZES (default 10000,100000,500000).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator, type SeedUser } from '../emulator/server';
import { runLocalPipeline } from '../lambdas/adapters/local/local-pipeline';
import { ConsoleNotifier } from '../lambdas/adapters/local/console-notifier';
import { parseConfig, type CoupaConfig, type SyncConfig } from '../lambdas/core/config';
import { createUserDirectory, REFERENCE_LIST_SPECS, type UserDirectory } from '../lambdas/adapters/coupa';
import { benchRateGovernor, formatRateGovernorFigures } from './rate-governor';
import { formatFigures as formatBundleFigures, measureBundles } from './bundles';
import { formatAwsUsage, startAwsPath } from './aws-path';
import { HISTORY_EVENT_LIMIT, historyBudget } from '../lib/constructs/run-machine';
import { benchAwsReport, formatAwsReport, REPORT_OUTCOMES } from './aws-report';
import { benchCliPlan, type CliPlanBench } from './cli-memory';
import { benchMonitoring, formatMonitoringFigures } from './monitoring';
import { HR_HEADER, seedUser, writeHrFile } from './users';
import { benchFirstLoad, formatFirstLoad } from './first-load';
import { PLAN_SIZES, benchPlanGrowth, formatPlanGrowth, type PlanGrowth } from './plan-growth';

const MAX_USERS = Number(process.env.BENCH_MAX_USERS ?? 1_000_000);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean));

const FIRST_LOAD_CHANGES = Number(process.env.BENCH_FIRST_LOAD_CHANGES ?? 100_000);
const FIRST_LOAD_WRITES = process.env.BENCH_FIRST_LOAD_WRITES === 'all' ? Infinity : Number(process.env.BENCH_FIRST_LOAD_WRITES ?? 2_000);
const PLAN_GROWTH_SIZES = process.env.BENCH_PLAN_SIZES ? process.env.BENCH_PLAN_SIZES.split(',').map(Number) : PLAN_SIZES;

const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const CHANGED = Number(process.env.BENCH_CHANGED ?? 0.01);
const BASELINE_USERS = Number(process.env.BENCH_BASELINE_USERS ?? 1_000);
const AWS_USERS = Number(process.env.BENCH_AWS_USERS ?? 10_000);

function seedUsers(n: number): SeedUser[] {
  return Array.from({ length: n }, (_, i) => ({
    login: `emp${String(i).padStart(6, '0')}`,
    email: `emp${i}@example.com`,
    firstname: 'Emp',
    lastname: `Number ${i}`,
    active: true,
    'employee-number': `E${i}`,
  }));
}

/** HR file mirroring the seed, with every 1/CHANGED-th user renamed. */
function hrFile(users: SeedUser[]): { csv: string; changed: number } {
  const every = Math.max(1, Math.round(1 / CHANGED));
  let changed = 0;
  const lines = users.map((u, i) => {
    const lastname = i % every === 0 ? `Renamed ${i}` : u.lastname;
    if (lastname !== u.lastname) changed += 1;
    return `${u.login},${u.email},${u.firstname},${lastname},true,${u['employee-number']}`;
  });
  return { csv: ['login,email,firstname,lastname,active,employee-number', ...lines].join('\n'), changed };
}

function apiCalls(emulator: RunningEmulator): number {
  return emulator.requests.filter((r) => r.path.startsWith('/api/')).length;
}

function directoryFor(emulator: RunningEmulator, coupa: CoupaConfig): UserDirectory {
  const { clientId, clientSecret } = emulator.credentials;
  return createUserDirectory({ baseUrl: emulator.url, config: coupa, credentials: { clientId, clientSecret } });
}

/** Unthrottled client: the bench measures work per user, not Coupa's rate budget (see `rate`). */
function unthrottled(config: SyncConfig): CoupaConfig {
  return { ...config.coupa, ratePerSecond: 100_000, burst: 100_000 };
}

async function benchPipeline(dir: string) {
  const users = seedUsers(USERS);
  const { csv, changed } = hrFile(users);
  const file = join(dir, 'hr.csv');
  await writeFile(file, csv);
  const emulator = await startEmulator({ seed: users });
  try {
    const config = parseConfig({ coupa: { format: 'json' } });
    const directory = directoryFor(emulator, unthrottled(config));
    emulator.resetLog();
    const memoryBefore = process.memoryUsage().rss;
    const started = performance.now();
    const { report } = await runLocalPipeline({ file, config, directory, notifier: new ConsoleNotifier(() => {}) });
    const seconds = (performance.now() - started) / 1000;
    const calls = apiCalls(emulator);
    if (report.totals.updated !== changed || report.totals.unchanged !== USERS - changed) {
      throw new Error(`pipeline outcome mismatch: ${JSON.stringify(report.totals)}`);
    }
    return { users: USERS, changed, calls, callsPerUser: calls / USERS, seconds, usersPerSecond: USERS / seconds, rssDeltaMb: (process.memoryUsage().rss - memoryBefore) / 2 ** 20 };
  } finally {
    await emulator.close();
  }
}

/** The playbook, row by row: GET by login, then PUT every field of the row. */
async function benchBaseline() {
  const users = seedUsers(BASELINE_USERS);
  const emulator = await startEmulator({ seed: users });
  try {
    const directory = directoryFor(emulator, unthrottled(parseConfig({ coupa: { format: 'json', lookupBatchSize: 1 } })));
    emulator.resetLog();
    const started = performance.now();
    for (const u of users) {
      const found = await directory.findByLogins([u.login]);
      const user = found.get(u.login)!;
      await directory.update(user.id, u.login, { email: u.email, firstname: u.firstname, lastname: u.lastname, active: true });
    }
    const seconds = (performance.now() - started) / 1000;
    const calls = apiCalls(emulator);
    return { users: BASELINE_USERS, calls, callsPerUser: calls / BASELINE_USERS, seconds, usersPerSecond: BASELINE_USERS / seconds };
  } finally {
    await emulator.close();
  }
}

/** CSO: 1,000 new users; each batch's creates go out as one lenient bulk POST. */
async function benchCsoBulk(dir: string) {
  const n = 1_000;
  const file = join(dir, 'cso.csv');
  await writeFile(file, ['login,email,firstname,lastname', ...Array.from({ length: n }, (_, i) => `cso${i},cso${i}@example.com,Cso,User ${i}`)].join('\n'));
  const emulator = await startEmulator({ flavor: 'cso', seed: 'none' });
  try {
    const config = parseConfig({ coupa: { flavor: 'cso', format: 'json' } });
    const directory = createUserDirectory({ baseUrl: emulator.url, config: unthrottled(config), credentials: { apiKey: emulator.credentials.apiKey } });
    emulator.resetLog();
    const { report } = await runLocalPipeline({ file, config, directory, notifier: new ConsoleNotifier(() => {}) });
    if (report.totals.created !== n) throw new Error(`CSO outcome mismatch: ${JSON.stringify(report.totals)}`);
    const calls = apiCalls(emulator);
    return { users: n, calls, callsPerUser: calls / n };
  } finally {
    await emulator.close();
  }
}

/** Achieved request rate of a client configured at 20/s against a Coupa-like 25/s, burst 20 limit. */
async function benchRate() {
  const emulator = await startEmulator({ seed: seedUsers(200), faults: { rateLimitPerSecond: 25, burst: 20, retryAfterSeconds: 1 } });
  try {
    const config = parseConfig({ coupa: { format: 'json', lookupBatchSize: 1, ratePerSecond: 20, burst: 20 } });
    const directory = directoryFor(emulator, config.coupa);
    emulator.resetLog();
    const started = performance.now();
    await Promise.all(Array.from({ length: 200 }, (_, i) => directory.findByLogins([`emp${String(i).padStart(6, '0')}`])));
    const seconds = (performance.now() - started) / 1000;
    const api = emulator.requests.filter((r) => r.path.startsWith('/api/'));
    const throttled = api.filter((r) => r.status === 429).length;
    return { configured: 20, requests: api.length, seconds, achieved: api.length / seconds, throttled };
  } finally {
    await emulator.close();
  }
}

/**
 * Issue 7, figure 1, on the state machine (issue 14): the AWS path. Seed users were last updated over
 * the past weeks (one a minute, the newest two days ago), as in a live instance, so a refresh reads
 * what changed since. Each run also counts its AWS requests and their cost (bench/aws-path.ts).
 */
async function benchAwsPath() {
  const n = AWS_USERS;
  const every = Math.max(1, Math.round(1 / CHANGED));
  // Every user has a department, and a changed user also moves to another one: the plan then sends
  // a reference, which pre-flight checks against Coupa's list of departments (read once, then kept).
  const departments = ['Finance', 'Sales', 'Engineering', 'Operations'];
  const seed = Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.now() - 2 * 86_400_000 - i * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ...seedUser(i), department: departments[i % 4], 'created-at': at, 'updated-at': at };
  });
  /** The roster with users at the given offsets (mod `every`) renamed and moved. */
  const file = (renamed: number[]) =>
    [
      `${HR_HEADER},department`,
      ...seed.map((u, i) => {
        const moved = renamed.includes(i % every);
        return `${u.login},${u.email},${u.firstname},${moved ? `Renamed ${i}` : u.lastname},true,${u['employee-number']},${departments[(i + (moved ? 1 : 0)) % 4]}`;
      }),
    ].join('\n');
  const emulator = await startEmulator({ seed });
  const aws = await startAwsPath({ emulator, config: { roster: { mode: 'full' }, coupa: { format: 'json', ratePerSecond: 25, instanceRatePerSecond: 25 } } });
  try {
    const runs = [];
    for (const [key, renamed] of [['incoming/hr-day1.csv', [0]], ['incoming/hr-day2.csv', [0, Math.floor(every / 2)]]] as const) {
      emulator.resetLog();
      const result = await aws.runFile(key, file([...renamed]));
      const api = emulator.requests.filter((r) => r.path.startsWith('/api/'));
      const totals = result.report?.totals;
      const changed = Math.ceil(n / every);
      if (!totals || totals.updated !== changed || totals.unchanged !== n - changed || totals.failed !== 0) {
        throw new Error(`AWS path ${key}: unexpected outcome ${JSON.stringify(totals)}`);
      }
      runs.push({
        key,
        changed: totals.updated,
        calls: api.length,
        gets: api.filter((r) => r.method === 'GET').length,
        writes: api.filter((r) => r.method !== 'GET').length,
        references: api.filter((r) => REFERENCE_PATHS.has(r.path)).length,
        refreshed: api.some((r) => r.query.includes('updated_at[gt_or_eq]')),
        batches: result.batches,
        usage: result.usage,
        seconds: result.seconds,
      });
    }
    return { users: n, runs, snapshotKept: aws.objects.has('state/coupa-users.ndjson'), referencesKept: aws.objects.has('state/references/departments.ndjson') };
  } finally {
    await aws.close();
    await emulator.close();
  }
}

/** Issue 7, figure 3: a CLI run (in process) against `--latency 250`, client at 20/s. */
async function benchLatency(dir: string) {
  const n = 10_000;
  const changes = 200;
  const file = join(dir, 'latency.csv');
  await writeHrFile(file, n, n / changes);
  const emulator = await startEmulator({ seed: Array.from({ length: n }, (_, i) => seedUser(i)), faults: { latencyMs: 250 } });
  try {
    const config = parseConfig({ roster: { mode: 'full' }, coupa: { format: 'json', ratePerSecond: 20, burst: 20 } });
    const directory = directoryFor(emulator, config.coupa);
    emulator.resetLog();
    const { report } = await runLocalPipeline({ file, config, directory, notifier: new ConsoleNotifier(() => {}) });
    if (report.totals.updated !== changes) throw new Error(`latency run: unexpected outcome ${JSON.stringify(report.totals)}`);
    const api = emulator.requests.filter((r) => r.path.startsWith('/api/'));
    /** Requests ÷ the time from the first request's arrival to the last one's. */
    const phase = (requests: typeof api) => {
      const span = (requests[requests.length - 1].at - requests[0].at) / 1000;
      return { requests: requests.length, seconds: span, achieved: (requests.length - 1) / span };
    };
    return { configured: 20, latencyMs: 250, read: phase(api.filter((r) => r.method === 'GET')), write: phase(api.filter((r) => r.method === 'PUT')) };
  } finally {
    await emulator.close();
  }
}

async function benchCliPlans(): Promise<CliPlanBench[]> {
  const sizes = [100_000, 500_000, 1_000_000].filter((n) => n <= MAX_USERS);
  const results: CliPlanBench[] = [];
  for (const n of sizes) {
    const result = await benchCliPlan(n, CHANGED);
    results.push(result);
    if (result.exitCode !== 0) break;
  }
  return results;
}

/** bench/reader.ts (issue 9) when this tree has it. */
async function benchReaderIfPresent(): Promise<string[] | undefined> {
  const path = fileURLToPath(new URL('./reader.ts', import.meta.url));
  if (!existsSync(path)) return undefined;
  const reader = (await import(pathToFileURL(path).href)) as typeof import('./reader');
  const result = await reader.benchReader();
  return [...reader.formatReaderBench(result), `reader ratios: throughput ${result.throughputRatio.toFixed(2)}, peak RSS ${result.rssRatio.toFixed(2)}`];
}

/** Pre-flight's reference list paths (counted apart from the users' reads). */
const REFERENCE_PATHS = new Set(Object.values(REFERENCE_LIST_SPECS).map((spec) => spec.path));

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-bench-'));
  const baseline = await benchBaseline();
  const pipeline = await benchPipeline(dir);
  const rate = await benchRate();
  const cso = await benchCsoBulk(dir);
  const f = (n: number, d = 3) => n.toFixed(d);
  const section = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => (SKIP.has(name) ? undefined : run());
  const aws = await section('aws', benchAwsPath);
  const awsReport = await section('aws-report', () => benchAwsReport(Number(process.env.BENCH_REPORT_OUTCOMES ?? REPORT_OUTCOMES)));
  const latency = await section('latency', () => benchLatency(dir));
  const cli = await section('cli', benchCliPlans);
  // Issue 9: a file whose every row is rejected must not keep every rejection in memory (was 865 MiB at 1M).
  const cliRejected = await section('cli', () => benchCliPlan(MAX_USERS, CHANGED, true));
  const reader = await section('reader', benchReaderIfPresent);
  const bundles = await section('bundles', () => measureBundles());
  const firstLoad = await section('first-load', () => benchFirstLoad(FIRST_LOAD_CHANGES, FIRST_LOAD_WRITES));
  const planGrowth = await section('plan-growth', async () => {
    const results: PlanGrowth[] = [];
    for (const n of PLAN_GROWTH_SIZES) results.push(await benchPlanGrowth(n));
    return results;
  });
  console.log(`coupa-user-sync bench (${new Date().toISOString()}, node ${process.version})`);
  console.log(`baseline (playbook GET+PUT per row): ${baseline.users} users, ${baseline.calls} calls, ${f(baseline.callsPerUser)} calls/user, ${f(baseline.usersPerSecond, 0)} users/s`);
  console.log(`pipeline (bulk lookup, changed only): ${pipeline.users} users (${pipeline.changed} changed), ${pipeline.calls} calls, ${f(pipeline.callsPerUser)} calls/user, ${f(pipeline.usersPerSecond, 0)} users/s, rss +${f(pipeline.rssDeltaMb, 0)} MB`);
  console.log(`ratio calls/user pipeline:baseline = ${f(pipeline.callsPerUser / baseline.callsPerUser)} (target ≤ 0.05 calls/user: ${pipeline.callsPerUser <= 0.05 ? 'met' : 'NOT met'})`);
  console.log(`ratio users/s pipeline:baseline = ${f(pipeline.usersPerSecond / baseline.usersPerSecond, 1)}x`);
  console.log(`at Coupa's budget (20 req/s): pipeline ${f(pipeline.calls / 20, 0)} s vs playbook ${f((baseline.callsPerUser * pipeline.users) / 20, 0)} s for ${pipeline.users} users`);
  console.log(`CSO bulk create: ${cso.users} new users, ${cso.calls} calls, ${f(cso.callsPerUser)} calls/user (one-by-one would be ≥ 1.0 + lookups)`);
  console.log(`rate governor: configured ${rate.configured} req/s against a 25/s burst-20 limit: achieved ${f(rate.achieved, 1)} req/s (${f(rate.achieved / rate.configured, 2)} of configured), ${rate.throttled} × 429 in ${rate.requests} requests`);

  if (aws) {
    const [first, second] = aws.runs;
    const perUser = (r: (typeof aws.runs)[number]) => r.calls / aws.users;
    console.log(`\n[1] AWS path (S3 drop → splitter → run state machine, its tasks in the run-plan and run-task Lambdas → SQS FIFO batches of 10 → api-consumer → Report), ${aws.users} users, full roster:`);
    for (const [r, target, what] of [[first, 0.035, 'first run (reads every user)'], [second, 0.015, 'second run (refreshes the kept snapshot)']] as const) {
      console.log(
        `  ${what}: ${r.changed} changed, ${r.calls} Coupa calls (${r.gets} GET of which ${r.references} pre-flight reference reads, ${r.writes} PUT) in ${r.batches} consumer batches, ${f(r.seconds, 1)} s: ` +
          `${f(perUser(r), 4)} calls/user; ratio to the playbook ${f(perUser(r) / baseline.callsPerUser, 4)} — target ≤ ${target}: ${verdict(perUser(r) <= target)}`,
      );
      for (const line of formatAwsUsage(r.usage)) console.log(`    ${line}`);
    }
    console.log(`  second run refreshed with updated_at[gt_or_eq]: ${second.refreshed ? 'yes' : 'NO'}; snapshot kept at state/coupa-users.ndjson: ${aws.snapshotKept ? 'yes' : 'NO'}; ratio second:first ${f(second.calls / first.calls, 2)}`);
    const budget = historyBudget(parseConfig({}).approval);
    console.log(`  execution history (a Standard execution ends at ${HISTORY_EVENT_LIMIT} events): the longest possible execution (default approval wait, every loop at its longest wait) ${budget} events, ${f((100 * budget) / HISTORY_EVENT_LIMIT, 0)} % (lib/constructs/run-machine.ts)`);
    console.log(`  pre-flight reference reads (included above): ${first.references} first run, ${second.references} second run; departments kept at state/references/departments.ndjson: ${aws.referencesKept ? 'yes' : 'NO'}`);
  }
  if (awsReport) {
    console.log(`\n[1b] AWS path: the Report step of a ${awsReport.outcomes}-row run, outcomes read from S3 as the consumers wrote them (bench/aws-report.ts, own process):`);
    console.log(formatAwsReport(awsReport).join('\n'));
  }
  if (cli) {
    console.log(`\n[2] CLI plan (coupa-sync plan --roster full, own process; emulator in another; rate governor off, see [3]):`);
    for (const r of cli) {
      const target = r.users <= 100_000 ? 256 : r.users >= 1_000_000 ? 512 : undefined;
      const ok = r.exitCode === 0 && (target === undefined || r.peakRssMb < target);
      console.log(
        `  ${r.users} users (${r.changed} changed): plan ${f(r.planSeconds, 1)} s (${f(r.users / r.planSeconds, 0)} users/s; at Coupa's 20 req/s the read alone is ${f(r.users / 50 / 20, 0)} s), ` +
          `peak RSS ${f(r.peakRssMb, 0)} MB, ${f((r.peakRssMb * 1024) / r.users, 2)} kB/user` +
          (target ? ` — target < ${target} MB: ${verdict(ok)}` : r.exitCode === 0 ? '' : ` — exit ${r.exitCode}: ${r.tail}`),
      );
    }
    if (cli.length >= 2) console.log(`  ratio peak RSS ${cli[cli.length - 1].users}:${cli[0].users} = ${f(cli[cli.length - 1].peakRssMb / cli[0].peakRssMb, 2)} for ${f(cli[cli.length - 1].users / cli[0].users, 0)}× the users`);
    if (cliRejected) console.log(`  ${cliRejected.users} rows all rejected (a delta file): plan ${f(cliRejected.planSeconds, 1)} s, peak RSS ${f(cliRejected.peakRssMb, 0)} MB, exit ${cliRejected.exitCode} (1 expected)`);
    if (MAX_USERS < 1_000_000) console.log(`  1M users not run (BENCH_MAX_USERS=${MAX_USERS}; the default 1000000 adds it) — target < 512 MB at 1M: not measured`);
  }
  if (latency) {
    console.log(`\n[3] request rate against the emulator's --latency ${latency.latencyMs}, client coupa.ratePerSecond ${latency.configured} (10k full roster, CLI path):`);
    for (const [name, p] of [['read phase (GET pages)', latency.read], ['write phase (PUT)', latency.write]] as const) {
      const ratio = p.achieved / latency.configured;
      console.log(`  ${name}: ${p.requests} requests in ${f(p.seconds, 1)} s = ${f(p.achieved, 1)} req/s; achieved ÷ configured ${f(ratio, 2)} — target ≥ 0.9: ${verdict(ratio >= 0.9)}`);
    }
  }
  if (!SKIP.has('reader')) {
    console.log(`\n[4] reader (bench/reader.ts):`);
    console.log(reader ? reader.map((l) => `  ${l}`).join('\n') : '  bench/reader.ts is not in this tree: skipped');
  }

  if (bundles) {
    console.log('\n[6] Lambda bundles (esbuild as NodejsFunction bundles them; cold import in a fresh node; targets < 300 KB, < 100 ms):');
    console.log(formatBundleFigures(bundles));
  }
  if (!SKIP.has('monitoring')) {
    console.log('\n[7] Coupa integration monitoring (issue 17; 2,000 users, 20 failed updates, then the fix):');
    console.log(formatMonitoringFigures(await benchMonitoring()));
  }
  if (firstLoad) {
    console.log(`\n[8] first load: coupa-sync run, a delta file changing every user (bench/first-load.ts):`);
    console.log(formatFirstLoad(firstLoad).join('\n'));
  }
  if (planGrowth) {
    console.log(`\n[9] planning time and memory by number of changes: planFile, each size in its own process (bench/plan-growth.ts):`);
    console.log(formatPlanGrowth(planGrowth).join('\n'));
  }
  if (!SKIP.has('rate-governor')) {
    console.log('\n[5] rate governor under an instance limit below the configured rate (bench/rate-governor.ts):');
    for (const figures of await benchRateGovernor()) console.log(formatRateGovernorFigures(figures));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
