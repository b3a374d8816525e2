/**
 * `npm run bench`: measures Coupa calls per user and throughput of the sync against a baseline
 * run in the same process, on the emulator over real HTTP. Figures are ratios, so they hold on
 * any machine; absolute times are printed for context only.
 *
 *   1. pipeline  — this project: bulk `login[in]` lookups (50 per call), writes only what changed.
 *   2. baseline  — Coupa's playbook: GET ?login= then PUT /api/users/:id, for every row.
 *   3. rate      — the client's rate governor against a rate-limited emulator (Coupa: 25/s).
 *
 * Options (env): BENCH_USERS (default 10000), BENCH_CHANGED (default 0.01), BENCH_BASELINE_USERS (default 1000).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator, type SeedUser } from '../emulator/server';
import { runLocalPipeline } from '../lambdas/adapters/local/local-pipeline';
import { ConsoleNotifier } from '../lambdas/adapters/local/console-notifier';
import { parseConfig, type CoupaConfig, type SyncConfig } from '../lambdas/core/config';
import { createUserDirectory, type UserDirectory } from '../lambdas/adapters/coupa';
import { benchRateGovernor, formatRateGovernorFigures } from './rate-governor';

const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const CHANGED = Number(process.env.BENCH_CHANGED ?? 0.01);
const BASELINE_USERS = Number(process.env.BENCH_BASELINE_USERS ?? 1_000);

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

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-bench-'));
  const baseline = await benchBaseline();
  const pipeline = await benchPipeline(dir);
  const rate = await benchRate();
  const cso = await benchCsoBulk(dir);
  const f = (n: number, d = 3) => n.toFixed(d);
  console.log(`coupa-user-sync bench (${new Date().toISOString()}, node ${process.version})`);
  console.log(`baseline (playbook GET+PUT per row): ${baseline.users} users, ${baseline.calls} calls, ${f(baseline.callsPerUser)} calls/user, ${f(baseline.usersPerSecond, 0)} users/s`);
  console.log(`pipeline (bulk lookup, changed only): ${pipeline.users} users (${pipeline.changed} changed), ${pipeline.calls} calls, ${f(pipeline.callsPerUser)} calls/user, ${f(pipeline.usersPerSecond, 0)} users/s, rss +${f(pipeline.rssDeltaMb, 0)} MB`);
  console.log(`ratio calls/user pipeline:baseline = ${f(pipeline.callsPerUser / baseline.callsPerUser)} (target ≤ 0.05 calls/user: ${pipeline.callsPerUser <= 0.05 ? 'met' : 'NOT met'})`);
  console.log(`ratio users/s pipeline:baseline = ${f(pipeline.usersPerSecond / baseline.usersPerSecond, 1)}x`);
  console.log(`at Coupa's budget (20 req/s): pipeline ${f(pipeline.calls / 20, 0)} s vs playbook ${f((baseline.callsPerUser * pipeline.users) / 20, 0)} s for ${pipeline.users} users`);
  console.log(`CSO bulk create: ${cso.users} new users, ${cso.calls} calls, ${f(cso.callsPerUser)} calls/user (one-by-one would be ≥ 1.0 + lookups)`);
  console.log(`rate governor: configured ${rate.configured} req/s against a 25/s burst-20 limit: achieved ${f(rate.achieved, 1)} req/s (${f(rate.achieved / rate.configured, 2)} of configured), ${rate.throttled} × 429 in ${rate.requests} requests`);
  for (const figures of await benchRateGovernor()) console.log(formatRateGovernorFigures(figures));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
