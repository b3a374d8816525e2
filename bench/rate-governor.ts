/**
 * The rate governor against a Coupa instance whose real limit is LOWER than the client's configured
 * rate (other integrations share the instance), on the emulator over real HTTP.
 *
 * Each scenario keeps `workers` concurrent single-login lookups going for `seconds`, after a warm-up
 * (token fetched, emulator bucket refilled). Figures count the emulator's log inside that window:
 *   ratio          = successful req/s ÷ the emulator's limit (1.0 = every request the limit allows)
 *   throttledShare = 429s ÷ all /api requests
 *   steadyRatio    = the same ratio counted from the first 429 on (the cold-start burst, which the
 *                    emulator's burst credit absorbs, left out)
 *
 * Every pair runs short and long, with Retry-After: 1 s on each 429 (each one then costs a second of
 * silence) and without (Coupa documents none). Run alone: `npx tsx bench/rate-governor.ts`;
 * BENCH_RATE_SHORT / BENCH_RATE_LONG set the seconds (defaults 10 and 60; 0 skips that length).
 * `bench/run.ts` calls it from its "rate" section.
 */
import { pathToFileURL } from 'node:url';
import { startEmulator, type SeedUser } from '../emulator/server';
import { parseConfig } from '../lambdas/core/config';
import { CoupaHttp, createUserDirectory } from '../lambdas/adapters/coupa';

export interface RateGovernorScenario {
  /** The client's configured rate and burst (config coupa.ratePerSecond / coupa.burst). */
  clientRate: number;
  clientBurst: number;
  /** The instance's real limit as the emulator enforces it (token bucket, 429 beyond). */
  limit: number;
  limitBurst: number;
  /** Retry-After the emulator sends with a 429 (undefined: none, as Coupa documents none). */
  retryAfterSeconds?: number;
  seconds: number;
  /** Concurrent callers sharing the client (default 2 × clientRate: always someone waiting). */
  workers?: number;
}

export interface RateGovernorFigures extends RateGovernorScenario {
  requests: number;
  ok: number;
  throttled: number;
  /** Lookups that gave up (CoupaRetryableError): should be 0. */
  failed: number;
  achieved: number;
  ratio: number;
  throttledShare: number;
  steadyRatio: number;
  /** The governor's rate when the window closed. */
  finalRate: number;
}

const PAIRS: Array<Pick<RateGovernorScenario, 'clientRate' | 'clientBurst' | 'limit' | 'limitBurst'>> = [
  { clientRate: 20, clientBurst: 20, limit: 10, limitBurst: 10 },
  { clientRate: 20, clientBurst: 20, limit: 15, limitBurst: 15 },
  { clientRate: 25, clientBurst: 20, limit: 8, limitBurst: 8 },
];

export function defaultRateGovernorScenarios(
  shortSeconds = Number(process.env.BENCH_RATE_SHORT ?? 10),
  longSeconds = Number(process.env.BENCH_RATE_LONG ?? 60),
): RateGovernorScenario[] {
  return [shortSeconds, longSeconds]
    .filter((seconds) => seconds > 0)
    .flatMap((seconds) => [1, undefined].flatMap((retryAfterSeconds) => PAIRS.map((pair) => ({ ...pair, seconds, retryAfterSeconds }))));
}

const login = (i: number) => `gov${String(i).padStart(4, '0')}`;

function seedUsers(n: number): SeedUser[] {
  return Array.from({ length: n }, (_, i) => ({ login: login(i), email: `${login(i)}@example.com`, firstname: 'Gov', lastname: `User ${i}`, active: true }));
}

export async function measureRateGovernor(scenario: RateGovernorScenario): Promise<RateGovernorFigures> {
  const users = 100;
  const emulator = await startEmulator({
    seed: seedUsers(users),
    faults: { rateLimitPerSecond: scenario.limit, burst: scenario.limitBurst, retryAfterSeconds: scenario.retryAfterSeconds },
  });
  try {
    const config = parseConfig({
      coupa: { format: 'json', lookupBatchSize: 1, ratePerSecond: scenario.clientRate, burst: scenario.clientBurst, maxAttempts: 10, maxRetryMs: 120_000 },
    }).coupa;
    const { clientId, clientSecret } = emulator.credentials;
    const http = new CoupaHttp({ baseUrl: emulator.url, config, credentials: { clientId, clientSecret } });
    const directory = createUserDirectory({ baseUrl: emulator.url, config, credentials: { clientId, clientSecret } }, http);
    await directory.findByLogins([login(0)]); // the token, outside the window
    await new Promise((r) => setTimeout(r, 1000 + (1000 * scenario.limitBurst) / scenario.limit)); // emulator bucket full again
    emulator.resetLog();

    const start = Date.now();
    const end = start + scenario.seconds * 1000;
    let failed = 0;
    let next = 0;
    const worker = async () => {
      while (Date.now() < end) {
        const i = next++ % users;
        await directory.findByLogins([login(i)]).catch(() => {
          failed++;
        });
      }
    };
    await Promise.all(Array.from({ length: scenario.workers ?? 2 * scenario.clientRate }, worker));

    const inWindow = emulator.requests.filter((r) => r.path === '/api/users' && r.at < end);
    const ok = inWindow.filter((r) => r.status === 200).length;
    const throttled = inWindow.filter((r) => r.status === 429).length;
    const first429 = inWindow.find((r) => r.status === 429)?.at ?? end;
    const okAfter = inWindow.filter((r) => r.status === 200 && r.at >= first429).length;
    const achieved = ok / scenario.seconds;
    return {
      ...scenario,
      requests: inWindow.length,
      ok,
      throttled,
      failed,
      achieved,
      ratio: achieved / scenario.limit,
      throttledShare: inWindow.length ? throttled / inWindow.length : 0,
      steadyRatio: end - first429 > 0 ? okAfter / ((end - first429) / 1000) / scenario.limit : Number.NaN,
      finalRate: http.bucket.currentRate,
    };
  } finally {
    await emulator.close();
  }
}

/** Every scenario in turn (they must not overlap: each one is a timing measurement). */
export async function benchRateGovernor(scenarios = defaultRateGovernorScenarios()): Promise<RateGovernorFigures[]> {
  const figures: RateGovernorFigures[] = [];
  for (const scenario of scenarios) figures.push(await measureRateGovernor(scenario));
  return figures;
}

export function formatRateGovernorFigures(f: RateGovernorFigures): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return (
    `rate governor: client ${f.clientRate}/s burst ${f.clientBurst} vs instance ${f.limit}/s burst ${f.limitBurst}` +
    `${f.retryAfterSeconds === undefined ? '' : ` (Retry-After ${f.retryAfterSeconds} s)`}, ${f.seconds} s: ` +
    `${f.achieved.toFixed(2)} req/s ok = ${f.ratio.toFixed(3)} of the limit (from the first 429: ${f.steadyRatio.toFixed(3)}), ` +
    `${f.throttled} × 429 of ${f.requests} (${pct(f.throttledShare)}), ${f.failed} failed, governor at ${f.finalRate.toFixed(2)} req/s`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchRateGovernor()
    .then((all) => all.forEach((f) => console.log(formatRateGovernorFigures(f))))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
