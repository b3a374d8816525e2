/**
 * The client-side rate governor: one per client instance, shared by every concurrent call.
 * Implemented as GCRA (a token bucket expressed as a "theoretical arrival time"), so each
 * take() reserves its slot synchronously and concurrent callers never race for a token.
 *
 * Adaptive (AIMD): a 429 halves the effective rate (never below minRate) and drops the burst
 * credit; Retry-After pauses the whole bucket; every success adds a small step back until the
 * configured rate is reached again. Coupa documents 25 req/s with a burst of 20 per instance,
 * but other integrations share that budget, so the server's 429 is the truth we adapt to.
 */
import { systemClock, type Clock } from '../../core/ports';

export interface TokenBucketOptions {
  /** Lowest rate a run of 429s can push us to (req/s). */
  minRate?: number;
  /** Rate regained per successful request (req/s); default ratePerSecond / 1000. */
  increasePerSuccess?: number;
  /** Several 429s from one burst are one congestion signal: halve at most once per this window. */
  penaltyWindowMs?: number;
}

export class TokenBucket {
  private rate: number;
  private tat = Number.NEGATIVE_INFINITY;
  private epoch = 0;
  private lastHalvingAt = Number.NEGATIVE_INFINITY;
  private readonly minRate: number;
  private readonly increasePerSuccess: number;
  private readonly penaltyWindowMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock = systemClock,
    options: TokenBucketOptions = {},
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new Error('TokenBucket needs ratePerSecond > 0 and burst >= 1');
    this.rate = ratePerSecond;
    this.minRate = Math.min(options.minRate ?? 1, ratePerSecond);
    this.increasePerSuccess = options.increasePerSuccess ?? ratePerSecond / 1000;
    this.penaltyWindowMs = options.penaltyWindowMs ?? 1000;
  }

  /** The rate the bucket currently grants (req/s). */
  get currentRate(): number {
    return this.rate;
  }

  /** Waits until a request may be sent. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now().getTime();
      const interval = 1000 / this.rate;
      const tolerance = (this.burst - 1) * interval;
      const tat = Math.max(this.tat, now);
      const wait = tat - tolerance - now;
      this.tat = tat + interval; // reserve the slot before sleeping
      if (wait <= 0) return;
      const epoch = this.epoch;
      await this.clock.sleep(wait);
      // A penalty while we slept re-spaced the schedule: our old reservation is void.
      if (epoch === this.epoch) return;
    }
  }

  /** A 429: halve the rate (once per window), drop burst credit, pause for Retry-After. */
  penalize(retryAfterMs?: number): void {
    const now = this.clock.now().getTime();
    if (now - this.lastHalvingAt >= this.penaltyWindowMs) {
      this.rate = Math.max(this.minRate, this.rate / 2);
      this.lastHalvingAt = now;
    }
    const interval = 1000 / this.rate;
    const tolerance = (this.burst - 1) * interval;
    const resumeAt = now + Math.max(0, retryAfterMs ?? 0);
    // Next slot is no earlier than resumeAt, and no burst right after the pause.
    // Old reservations are void (the epoch bump makes their holders re-reserve).
    this.tat = resumeAt + tolerance;
    this.epoch++;
  }

  /** A success: additive increase back toward the configured rate. */
  reward(): void {
    if (this.rate < this.ratePerSecond) {
      this.rate = Math.min(this.ratePerSecond, this.rate + this.increasePerSuccess);
    }
  }
}
