/**
 * The adaptive rate governor against a rate-limited emulator over real HTTP.
 * The emulator limits /api to 10 req/s (burst 10) and answers 429 + Retry-After: 1 beyond that.
 * Figures are printed (console.info) so a run documents the achieved rate.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { parseConfig, type CoupaConfig } from '../../lambdas/core/config';
import { createUserDirectory } from '../../lambdas/adapters/coupa';

/** Test data factory: n seed users for the core emulator. */
function seedUsers(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    login: `rate.user${i}`,
    email: `rate.user${i}@example.com`,
    firstname: 'Rate',
    lastname: `User ${i}`,
    active: true,
  }));
}

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function run(clientRate: number, clientBurst: number, lookups: number) {
  emulator = await startEmulator({
    seed: seedUsers(lookups),
    faults: { rateLimitPerSecond: 10, burst: 10, retryAfterSeconds: 1 },
  });
  const config: CoupaConfig = {
    ...parseConfig({}).coupa,
    format: 'json',
    ratePerSecond: clientRate,
    burst: clientBurst,
    maxAttempts: 6,
    requestTimeoutMs: 5000,
  };
  const directory = createUserDirectory({ baseUrl: emulator.url, config, credentials: emulator.credentials });
  await directory.findByLogins(['warm.up']); // token + one GET, outside the measured window
  await new Promise((r) => setTimeout(r, 1100)); // let the emulator's bucket refill
  emulator.resetLog();
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: lookups }, (_, i) => directory.findByLogins([`rate.user${i}`])));
  const seconds = (performance.now() - t0) / 1000;
  const api = emulator.requests.filter((r) => r.path === '/api/users');
  const throttled = api.filter((r) => r.status === 429).length;
  const ok = api.filter((r) => r.status === 200).length;
  const start = api[0]?.at ?? 0;
  const late429 = api.filter((r) => r.status === 429 && r.at - start > 1000).length;
  // Steady rate: what the governor sustains once the initial burst is spent.
  return { results, seconds, total: api.length, throttled, late429, ok, achieved: ok / seconds, steady: (ok - clientBurst) / seconds };
}

describe('adaptive rate governor', () => {
  it('a client configured at 20 req/s (burst 10) adapts to a 10 req/s instance: ≤ 10 % 429s, every lookup succeeds', async () => {
    // Act
    const r = await run(20, 10, 100);
    console.info(
      `[coupa-rate] client 20/s burst 10 vs server 10/s: ${r.ok} ok, ${r.throttled} × 429 of ${r.total} requests ` +
        `(${((100 * r.throttled) / r.total).toFixed(1)} %), ${r.late429} after the first second, ${r.seconds.toFixed(2)} s, achieved ${r.achieved.toFixed(1)} req/s`,
    );
    // Assess
    expect(r.results.every((m, i) => m.get(`rate.user${i}`)?.login === `rate.user${i}`)).toBe(true);
    expect(r.ok).toBe(100);
    expect(r.throttled / r.total).toBeLessThanOrEqual(0.1);
    expect(r.late429).toBeLessThanOrEqual(2);
    expect(r.achieved).toBeGreaterThan(6);
  });

  it('with the default burst of 20 the only 429s are the first burst: none once adapted', async () => {
    // Act
    const r = await run(20, 20, 40);
    console.info(
      `[coupa-rate] client 20/s burst 20 vs server 10/s burst 10: ${r.ok} ok, ${r.throttled} × 429 of ${r.total} requests ` +
        `(${((100 * r.throttled) / r.total).toFixed(1)} %), ${r.late429} after the first second, ${r.seconds.toFixed(2)} s, achieved ${r.achieved.toFixed(1)} req/s`,
    );
    // Assess: 20 leave before any answer and 10 of them are refused (plus what leaves while the
    // first 429 is on its way back); after that the governor must hold.
    expect(r.ok).toBe(40);
    expect(r.throttled).toBeLessThanOrEqual(20);
    expect(r.late429).toBeLessThanOrEqual(2);
  });

  it('a client at 8 req/s (burst 8) never meets a 429', async () => {
    // Act
    const r = await run(8, 8, 24);
    console.info(`[coupa-rate] client 8/s vs server 10/s: ${r.ok} ok, ${r.throttled} × 429, ${r.seconds.toFixed(2)} s, achieved ${r.achieved.toFixed(1)} req/s (steady ${r.steady.toFixed(1)} req/s after the burst)`);
    // Assess
    expect(r.throttled).toBe(0);
    expect(r.ok).toBe(24);
    expect(r.achieved).toBeGreaterThan(6);
    expect(r.steady).toBeLessThanOrEqual(8 * 1.05); // after the burst of 8, never faster than configured
  });
});

describe('rate governor on a cold start', () => {
  it('paces concurrent callers that all wait for the first OAuth token: no 429 against Coupa\'s 25/s, burst 20', async () => {
    // Prepare: Coupa's documented limit, the client's defaults (20 req/s, burst 20), no warm-up
    emulator = await startEmulator({ seed: seedUsers(60), faults: { rateLimitPerSecond: 25, burst: 20, retryAfterSeconds: 1 } });
    const config: CoupaConfig = { ...parseConfig({}).coupa, format: 'json' };
    const directory = createUserDirectory({ baseUrl: emulator.url, config, credentials: emulator.credentials });
    // Act: 60 single lookups at once, before any token exists
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => directory.findByLogins([`rate.user${i}`])));
    // Assess
    const api = emulator.requests.filter((r) => r.path === '/api/users');
    // 0 on a quiet machine; a stalled event loop on a loaded 2-core CI box can bunch a couple of
    // sends. Without the fix (slot taken before the token) this was ~40 of 60.
    expect(api.filter((r) => r.status === 429).length).toBeLessThanOrEqual(3);
    expect(results.every((found) => found.size === 1)).toBe(true);
  });
});
