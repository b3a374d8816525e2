import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../lambdas/adapters/coupa';
import { systemClock } from '../../lambdas/core/ports';
import { FakeClock } from './coupa-support';

async function takeN(bucket: TokenBucket, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await bucket.take();
}

describe('TokenBucket', () => {
  it('grants the burst at once, then one token per 1/rate seconds', async () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 5, clock);
    const start = clock.t;
    // Act
    await takeN(bucket, 5);
    const afterBurst = clock.t - start;
    await takeN(bucket, 20);
    // Assess
    expect(afterBurst).toBe(0);
    expect(clock.t - start).toBeCloseTo(2000, 6); // 20 more tokens at 10/s
  });

  it('refills while idle, but never beyond the burst', async () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 5, clock);
    await takeN(bucket, 5);
    clock.advance(60_000);
    const start = clock.t;
    // Act
    await takeN(bucket, 6);
    // Assess: 5 from the refilled burst, the 6th waits one interval
    expect(clock.t - start).toBeCloseTo(100, 6);
  });

  it('halves the rate on a 429, drops the burst credit, and halves only once per window', async () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock);
    // Act
    bucket.penalize();
    bucket.penalize(); // same burst of 429s: one congestion signal
    const start = clock.t;
    await takeN(bucket, 11);
    // Assess
    expect(bucket.currentRate).toBe(10);
    expect(clock.t - start).toBeCloseTo(1000, 6); // first at once, then 10 × 100 ms: no burst
  });

  it('never goes below the floor rate', () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock, { minRate: 2 });
    // Act
    for (let i = 0; i < 10; i++) {
      bucket.penalize();
      clock.advance(1000);
    }
    // Assess
    expect(bucket.currentRate).toBe(2);
  });

  it('pauses the whole bucket for Retry-After', async () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock);
    const start = clock.t;
    // Act
    bucket.penalize(3000);
    await bucket.take();
    // Assess
    expect(clock.t - start).toBeCloseTo(3000, 6);
  });

  it('recovers additively after successes, up to the configured rate and no further', () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock, { increasePerSuccess: 0.5 });
    bucket.penalize();
    // Act
    for (let i = 0; i < 4; i++) bucket.reward();
    const partly = bucket.currentRate;
    for (let i = 0; i < 100; i++) bucket.reward();
    // Assess
    expect(partly).toBe(12);
    expect(bucket.currentRate).toBe(20);
  });

  it('paces concurrent callers sharing one bucket (real clock)', async () => {
    // Prepare
    const bucket = new TokenBucket(100, 10, systemClock);
    const start = performance.now();
    // Act
    await Promise.all(Array.from({ length: 30 }, () => bucket.take()));
    const elapsed = performance.now() - start;
    // Assess: 10 at once, 20 more at 100/s ≈ 200 ms
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1500);
  });

  it('re-spaces callers already waiting when a 429 pauses the bucket (real clock)', async () => {
    // Prepare
    const bucket = new TokenBucket(50, 1, systemClock);
    await bucket.take();
    const start = performance.now();
    const waiting = Array.from({ length: 3 }, () => bucket.take());
    // Act
    bucket.penalize(250);
    await Promise.all(waiting);
    // Assess: nobody went before the pause ended
    expect(performance.now() - start).toBeGreaterThanOrEqual(240);
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new TokenBucket(0, 5)).toThrow(/ratePerSecond/);
  });
});

/**
 * Coupa's throttle as the emulator models it: a bucket of `burst` tokens refilled at `limit`/s, and a
 * 429 when it is empty. Requests take no time, so one caller always waiting saturates the client.
 */
class ThrottledInstance {
  private tokens: number;
  private at: number;
  constructor(
    private readonly limit: number,
    private readonly burst: number,
    start: number,
  ) {
    this.tokens = burst;
    this.at = start;
  }
  admit(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.limit) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface Sent {
  at: number;
  ok: boolean;
}

/** Drives the bucket against the instance for `seconds` of fake time, as CoupaHttp does (reward / penalize with sentAt). */
async function driveAgainst(instance: ThrottledInstance, bucket: TokenBucket, clock: FakeClock, seconds: number, retryAfterMs?: number) {
  const sent: Sent[] = [];
  let fastest = 0;
  const end = clock.t + seconds * 1000;
  const most = seconds * bucket.ratePerSecond + bucket.burst; // a bucket that stops pacing ends the run, not the heap
  while (clock.t < end && sent.length < most) {
    await bucket.take();
    const at = clock.t;
    const ok = instance.admit(at);
    sent.push({ at, ok });
    if (ok) bucket.reward(at);
    else bucket.penalize(retryAfterMs, at);
    fastest = Math.max(fastest, bucket.currentRate);
  }
  return { sent, fastest };
}

function share(sent: Sent[], fromMs: number, toMs: number, limit: number) {
  const inside = sent.filter((s) => s.at >= fromMs && s.at < toMs);
  const ok = inside.filter((s) => s.ok).length;
  return { ofLimit: ok / (((toMs - fromMs) / 1000) * limit), throttled: (inside.length - ok) / inside.length };
}

describe('TokenBucket under an instance limit below the configured rate (fake clock)', () => {
  it.each([
    { rate: 20, burst: 20, limit: 10, limitBurst: 10, retryAfterMs: 1000 },
    { rate: 20, burst: 20, limit: 15, limitBurst: 15, retryAfterMs: 1000 },
    { rate: 25, burst: 20, limit: 8, limitBurst: 8, retryAfterMs: 1000 },
    { rate: 20, burst: 20, limit: 10, limitBurst: 10, retryAfterMs: undefined },
    { rate: 25, burst: 20, limit: 8, limitBurst: 8, retryAfterMs: undefined },
  ])(
    'client $rate/s vs instance $limit/s (Retry-After $retryAfterMs ms): measures the limit within 10 s, then holds ≥ 0.9 of it with ≤ 2 % 429s',
    async ({ rate, burst, limit, limitBurst, retryAfterMs }) => {
      // Prepare
      const clock = new FakeClock();
      const start = clock.t;
      const bucket = new TokenBucket(rate, burst, clock);
      const instance = new ThrottledInstance(limit, limitBurst, start);
      // Act
      const { sent, fastest } = await driveAgainst(instance, bucket, clock, 120, retryAfterMs);
      // Assess
      const first10s = share(sent, start, start + 10_000, limit);
      const steady = share(sent, start + 20_000, start + 120_000, limit);
      expect(first10s.ofLimit).toBeGreaterThanOrEqual(0.9);
      expect(bucket.ceiling).toBeGreaterThanOrEqual(0.85 * limit);
      expect(bucket.ceiling).toBeLessThanOrEqual(1.05 * limit);
      expect(steady.ofLimit).toBeGreaterThanOrEqual(0.9);
      expect(steady.throttled).toBeLessThanOrEqual(0.02);
      expect(fastest).toBeLessThanOrEqual(rate);
    },
  );

  it('settles just under the limit measured between two 429s, and probes slowly from there', () => {
    // Prepare: a first 429 (no estimate yet: halve), then 30 successes in the 3 s to the next one
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock, { margin: 0.03, probeIncreasePerSuccess: 0.005 });
    bucket.penalize();
    const afterFirst = { rate: bucket.currentRate, ceiling: bucket.ceiling };
    for (let i = 0; i < 30; i++) {
      clock.advance(100);
      bucket.reward();
    }
    // Act
    bucket.penalize();
    const settled = bucket.currentRate;
    for (let i = 0; i < 10; i++) bucket.reward();
    // Assess: 30 granted in 3 s → 10 req/s, settled 3 % under it; each success then adds 0.005
    expect(afterFirst).toEqual({ rate: 10, ceiling: undefined });
    expect(settled).toBeCloseTo(9.7, 9);
    expect(bucket.ceiling).toBeCloseTo(9.7, 9);
    expect(bucket.currentRate).toBeCloseTo(9.75, 9);
  });

  it('never cuts more than half on a sample from a span when callers were idle', async () => {
    // Prepare: the first 429, one request, then 3 s with nobody waiting and 3 successes
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock, { increasePerSuccess: 0 });
    bucket.penalize();
    await bucket.take();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      bucket.reward();
    }
    // Act
    bucket.penalize();
    // Assess: 1 req/s granted says we sent little, not that the instance allows little
    expect(bucket.currentRate).toBe(5);
  });

  it('with sentAt, a 429 of a request sent before the decrease is the burst already answered; one sent after is a new signal', () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock);
    const sentEarly = clock.t;
    clock.advance(10);
    bucket.penalize(undefined, sentEarly);
    // Act
    clock.advance(10);
    bucket.penalize(undefined, sentEarly); // in flight when the first 429 came back
    const afterSameBurst = bucket.currentRate;
    bucket.penalize(undefined, clock.t); // sent at the new rate, still refused
    // Assess
    expect(afterSameBurst).toBe(10);
    expect(bucket.currentRate).toBe(5);
  });

  it('a success of a request sent before the decrease counts for the estimate but does not raise the rate', () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock, { increasePerSuccess: 1 });
    const sentEarly = clock.t;
    clock.advance(10);
    bucket.penalize(undefined, sentEarly);
    // Act
    bucket.reward(sentEarly);
    const afterOld = bucket.currentRate;
    clock.advance(10);
    bucket.reward(clock.t);
    // Assess
    expect(afterOld).toBe(10);
    expect(bucket.currentRate).toBe(11);
  });

  it('a later 429 with a shorter Retry-After never cuts the pause short', async () => {
    // Prepare
    const clock = new FakeClock();
    const bucket = new TokenBucket(20, 20, clock);
    const start = clock.t;
    bucket.penalize(3000);
    // Act
    bucket.penalize(500);
    await bucket.take();
    // Assess
    expect(clock.t - start).toBeCloseTo(3000, 6);
  });

  it('applies a rate change to callers already waiting, from the next slot (real clock)', async () => {
    // Prepare: down to 2 req/s, burst 1: at that rate 5 waiting callers would need 2.5 s
    const bucket = new TokenBucket(100, 1, systemClock, { minRate: 2, increasePerSuccess: 98, penaltyWindowMs: 0 });
    for (let i = 0; i < 7; i++) bucket.penalize();
    const slowest = bucket.currentRate;
    await bucket.take();
    const start = performance.now();
    const waiting = Promise.all(Array.from({ length: 5 }, () => bucket.take()));
    // Act
    bucket.reward();
    await waiting;
    // Assess: one slot at the old rate (500 ms), then 100 req/s
    expect(slowest).toBe(2);
    expect(performance.now() - start).toBeLessThan(1200);
  });
});

