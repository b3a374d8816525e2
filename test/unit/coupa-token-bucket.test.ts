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
