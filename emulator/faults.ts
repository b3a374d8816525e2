/**
 * Fault injection for /api/* requests: token-bucket rate limit (429), added latency, random 503s and
 * connection resets. Faults never touch /oauth2/token, so a test's token fetch is never the thing
 * that fails. Randomness comes from a seeded PRNG: the same seed gives the same sequence of faults.
 */
import type { EmulatorFaults } from './server';

export type FaultDecision = 'ok' | 'rate-limited' | 'error' | 'reset';

/** mulberry32: tiny, fast, good enough for fault dice; deterministic for a seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private readonly random: () => number;
  private tokens: number;
  private lastRefill: number;

  constructor(
    private readonly faults: EmulatorFaults = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.random = mulberry32(faults.seed ?? 1);
    this.tokens = this.capacity();
    this.lastRefill = this.now();
  }

  get latencyMs(): number {
    return this.faults.latencyMs ?? 0;
  }
  get retryAfterSeconds(): number | undefined {
    return this.faults.retryAfterSeconds;
  }

  /**
   * Decides the fate of one /api request. Both dice are thrown for every request, whatever the
   * outcome, so the sequence of random faults depends only on the seed and the request count.
   */
  decide(): FaultDecision {
    const resetDie = this.random();
    const errorDie = this.random();
    if (!this.takeToken()) return 'rate-limited';
    if (resetDie < (this.faults.resetRate ?? 0)) return 'reset';
    if (errorDie < (this.faults.errorRate ?? 0)) return 'error';
    return 'ok';
  }

  private capacity(): number {
    return this.faults.burst ?? this.faults.rateLimitPerSecond ?? Infinity;
  }

  private takeToken(): boolean {
    const rate = this.faults.rateLimitPerSecond;
    if (!rate) return true;
    const now = this.now();
    this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.lastRefill) / 1000) * rate);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
