/**
 * Issue 15: a company's first real load — a delta file in which every user changes — run by the
 * CLI (`coupa-sync run`, its own process) against the emulator answering each request after 100 ms,
 * the client at its default budget of 20 req/s. The emulator enforces no limit of its own unless
 * BENCH_FIRST_LOAD_LIMIT says so (e.g. 25, Coupa's): the figure is how much of its own budget the
 * client uses, and on a loaded machine the emulator (one busy process) takes in requests in bunches
 * that its limiter reads as bursts, answering 429s a real Coupa would not, which the client's
 * governor then takes for a lower instance limit.
 *
 * Figures, from the emulator's log of when each request arrived:
 *   - share of the rate budget used: API requests ÷ (20 × seconds from the first lookup to the last
 *     request); target ≥ 0.98;
 *   - the longest stretch without a Coupa request once the lookups start (the planner's and the
 *     apply stage's own work shows up here: 682 s at 100k before issue 15); target ≤ 5 s;
 *   - total time of the CLI, and the floor (requests ÷ 20).
 *
 * At 20 req/s 100,000 changes take ~85 min of writes. `stopAfterWrites` ends the run (SIGTERM) once
 * that many writes arrived: the lookups, the plan and the first writes (where the stall was) are all
 * measured, and the rest is the same rate-bound loop.
 *
 * Run alone: `npx tsx bench/first-load.ts [changes] [stopAfterWrites]` (default 100000, all);
 * BENCH_CLI_NODE_ARGS adds node flags to the CLI (e.g. `--cpu-prof` on a run that ends by itself).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/server';
import { seedUsers, writeHrFile } from './users';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The client's budget: coupa.ratePerSecond's default, what the share is measured against. */
const RATE = 20;
const LATENCY_MS = 100;

export interface FirstLoad {
  changes: number;
  /** Writes that arrived before the run ended (all of them unless stopped early). */
  writes: number;
  lookups: number;
  throttled: number;
  stoppedEarly: boolean;
  exitCode: number | null;
  /** CLI start to exit. */
  totalSeconds: number;
  /** First lookup to last request. */
  activeSeconds: number;
  budgetShare: number;
  longestGapSeconds: number;
  /** Where the longest gap was: after the lookups, or within a phase. */
  longestGapAfter: string;
  /** Seconds from the last lookup's answer to the CLI's "applying" line (planning), and to the first write. */
  afterLookups: { toApplying: number; toFirstWrite: number };
  /** Requests per second within the lookups and within the writes. */
  phaseRates: { lookups: number; writes: number };
  tail: string;
}

export async function benchFirstLoad(changes: number, stopAfterWrites = Infinity, coupaLimit = Number(process.env.BENCH_FIRST_LOAD_LIMIT ?? 0)): Promise<FirstLoad> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-first-load-'));
  const emulator = await startEmulator({ seed: seedUsers(changes), faults: { ...(coupaLimit ? { rateLimitPerSecond: coupaLimit, burst: 20 } : {}), latencyMs: LATENCY_MS } });
  try {
    const file = join(dir, 'hr.csv');
    await writeHrFile(file, changes, 1); // every user renamed
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ roster: { mode: 'delta' } }));
    emulator.resetLog();
    const started = performance.now();
    const cli = spawn(process.execPath, [...(process.env.BENCH_CLI_NODE_ARGS?.split(' ').filter(Boolean) ?? []), join(ROOT, 'bin/coupa-sync.mjs'), 'run', file, '--coupa-url', emulator.url, '--config', config, '--state-dir', join(dir, 'state')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, COUPA_CLIENT_ID: emulator.credentials.clientId, COUPA_CLIENT_SECRET: emulator.credentials.clientSecret },
    });
    let output = '';
    cli.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    // When the CLI said it started applying: tells the planner's time from the apply stage's.
    let applyingAt: number | undefined;
    cli.stdout!.on('data', (d: Buffer) => {
      if (applyingAt === undefined && d.toString().includes('applying ')) applyingAt = Date.now();
    });
    cli.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    // The CLI's preflight (one lookup of a login nobody has) comes before it reads the file: the
    // lookups start after it.
    const api = () => emulator.requests.filter((r) => r.path.startsWith('/api/') && !r.query.includes('coupa-sync.preflight'));
    let stoppedEarly = false;
    const watch = Number.isFinite(stopAfterWrites)
      ? setInterval(() => {
          if (emulator.requests.filter((r) => r.method === 'PUT' || r.method === 'POST').length >= stopAfterWrites) {
            stoppedEarly = true;
            cli.kill('SIGTERM');
          }
        }, 250)
      : undefined;
    const exitCode = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    if (watch) clearInterval(watch);
    const totalSeconds = (performance.now() - started) / 1000;
    const requests = api();
    if (requests.length < 2) throw new Error(`the CLI sent ${requests.length} API request(s): ${output.slice(-1000)}`);
    let longest = 0;
    let longestAfter = '';
    for (let i = 1; i < requests.length; i++) {
      const gap = requests[i].at - requests[i - 1].at;
      if (gap > longest) {
        longest = gap;
        longestAfter = `${requests[i - 1].method} ${requests[i - 1].status} → ${requests[i].method} ${requests[i].status}, request ${i} of ${requests.length}`;
      }
    }
    const lastLookup = requests.filter((r) => r.method === 'GET').pop()!;
    const firstWrite = requests.find((r) => r.method !== 'GET');
    const afterLookups = {
      // The lookup's answer came LATENCY_MS after it arrived.
      toApplying: applyingAt === undefined ? NaN : (applyingAt - lastLookup.at - LATENCY_MS) / 1000,
      toFirstWrite: firstWrite ? (firstWrite.at - lastLookup.at - LATENCY_MS) / 1000 : NaN,
    };
    /** Requests per second within a phase: from its first request's arrival to its last one's. */
    const rateOf = (phase: typeof requests) => (phase.length < 2 ? NaN : (phase.length - 1) / ((phase[phase.length - 1].at - phase[0].at) / 1000));
    const phaseRates = { lookups: rateOf(requests.filter((r) => r.method === 'GET')), writes: rateOf(requests.filter((r) => r.method !== 'GET')) };
    const activeSeconds = (requests[requests.length - 1].at - requests[0].at) / 1000;
    return {
      changes,
      writes: requests.filter((r) => r.method !== 'GET').length,
      lookups: requests.filter((r) => r.method === 'GET').length,
      throttled: requests.filter((r) => r.status === 429).length,
      stoppedEarly,
      exitCode,
      totalSeconds,
      activeSeconds,
      budgetShare: (requests.length - 1) / (RATE * activeSeconds),
      longestGapSeconds: longest / 1000,
      longestGapAfter: longestAfter,
      afterLookups,
      phaseRates,
      tail: output.trim().split('\n').slice(-15).join('\n'),
    };
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatFirstLoad(r: FirstLoad): string[] {
  const requests = r.lookups + r.writes;
  const floor = requests / RATE;
  return [
    `  ${r.changes} changes (delta file, every user renamed): ${r.lookups} lookups, ${r.writes} writes${r.stoppedEarly ? ` (stopped after ${r.writes} writes; the rest is the same rate-bound loop)` : `, exit ${r.exitCode}`}, ${r.throttled} × 429`,
    `  share of the rate budget used (${RATE} req/s, first lookup to last request): ${r.budgetShare.toFixed(3)} — target ≥ 0.98: ${r.budgetShare >= 0.98 ? 'met' : 'NOT met'}`,
    `  longest stretch without a Coupa request: ${r.longestGapSeconds.toFixed(2)} s (${r.longestGapAfter}) — target ≤ 5 s: ${r.longestGapSeconds <= 5 ? 'met' : 'NOT met'}`,
    `  from the last lookup's answer: ${Number.isNaN(r.afterLookups.toApplying) ? "(no \"applying\" line: the CLI prints one progress line per 2 s)" : `${r.afterLookups.toApplying.toFixed(2)} s to \"applying\" (planning)`}, ${r.afterLookups.toFirstWrite.toFixed(2)} s to the first write`,
    `  within a phase: lookups ${r.phaseRates.lookups.toFixed(1)} req/s, writes ${r.phaseRates.writes.toFixed(1)} req/s (${(r.phaseRates.writes / RATE).toFixed(3)} of the budget)`,
    `  total ${r.totalSeconds.toFixed(1)} s (CLI start to exit; requests from the first lookup ${r.activeSeconds.toFixed(1)} s); floor at ${RATE} req/s ${floor.toFixed(1)} s: ${(r.activeSeconds / floor).toFixed(3)}× the floor`,
  ];
}

const [, self, changesArg, stopArg] = process.argv;
if (self && fileURLToPath(import.meta.url) === self) {
  const result = await benchFirstLoad(Number(changesArg ?? 100_000), stopArg ? Number(stopArg) : Infinity);
  console.log(formatFirstLoad(result).join('\n'));
  if (!result.stoppedEarly && result.exitCode !== 0) console.log(result.tail);
}
