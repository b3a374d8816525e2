import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorFaults, type RunningEmulator } from '../../emulator/server';
import { fetchToken } from './emulator-helpers';

const started: RunningEmulator[] = [];
async function emulatorWith(faults: EmulatorFaults): Promise<RunningEmulator> {
  const emulator = await startEmulator({ faults });
  started.push(emulator);
  return emulator;
}

/** Sends `count` GETs one after the other; a destroyed socket shows as 'reset'. */
async function statuses(emulator: RunningEmulator, token: string, count: number): Promise<Array<number | 'reset'>> {
  const out: Array<number | 'reset'> = [];
  for (let i = 0; i < count; i++) {
    try {
      const response = await fetch(`${emulator.url}/api/users/281`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', connection: 'close' },
        signal: AbortSignal.timeout(5000),
      });
      await response.arrayBuffer();
      out.push(response.status);
    } catch {
      out.push('reset');
    }
  }
  return out;
}

describe('emulator fault injection', () => {
  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.close()));
  });

  it('injects the same 503s and resets for the same seed, and others for another seed', async () => {
    // Prepare
    const faults = { errorRate: 0.3, resetRate: 0.15 };
    const [a, b, c] = await Promise.all([emulatorWith({ ...faults, seed: 42 }), emulatorWith({ ...faults, seed: 42 }), emulatorWith({ ...faults, seed: 7 })]);
    // Act
    const runA = await statuses(a, await fetchToken(a), 30);
    const runB = await statuses(b, await fetchToken(b), 30);
    const runC = await statuses(c, await fetchToken(c), 30);
    // Assess
    expect(runA).toEqual(runB);
    expect(runA).not.toEqual(runC);
    expect(runA).toContain(503);
    expect(runA).toContain('reset');
    expect(runA).toContain(200);
    const logged = a.requests.filter((r) => r.path.startsWith('/api/')).map((r) => r.status);
    expect(logged).toEqual(runA.map((s) => (s === 'reset' ? 0 : s)));
  });

  it('rate-limits /api with a token bucket: 429 with Retry-After and an error body once the burst is spent', async () => {
    // Prepare: 1 request/s, burst of 3; six quick requests fit well inside one second
    const emulator = await emulatorWith({ rateLimitPerSecond: 1, burst: 3, retryAfterSeconds: 2 });
    const token = await fetchToken(emulator);
    // Act
    const responses: Response[] = [];
    for (let i = 0; i < 6; i++) {
      responses.push(await fetch(`${emulator.url}/api/users/281`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }));
    }
    // Assess
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429, 429]);
    expect(responses[3].headers.get('retry-after')).toBe('2');
    expect(await responses[3].json()).toEqual({ errors: { user: ['Rate limit exceeded'] } });
  });

  it('never applies faults to /oauth2/token', async () => {
    // Prepare
    const emulator = await emulatorWith({ errorRate: 1, seed: 3 });
    // Act
    const token = await fetchToken(emulator);
    const [status] = await statuses(emulator, token, 1);
    // Assess
    expect(token.length).toBeGreaterThan(10);
    expect(status).toBe(503);
  });

  it('adds latency to every /api response', async () => {
    // Prepare
    const emulator = await emulatorWith({ latencyMs: 150 });
    const token = await fetchToken(emulator);
    // Act
    const started = performance.now();
    const [status] = await statuses(emulator, token, 1);
    const elapsed = performance.now() - started;
    // Assess
    expect(status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(145);
  });
});
