/**
 * The client-side rate governor: one per client instance, shared by every concurrent call.
 *
 * Pacing. Callers wait in one FIFO queue; a single pacer releases them from a token bucket (`burst`
 * tokens, refilled at the current rate). Nobody holds a reservation while waiting, so a rate change
 * (a 429's decrease, a success's increase, a Retry-After pause) applies to the very next slot, and
 * concurrent callers never race for a token. (Reserving slots ahead, GCRA-style, froze the spacing of
 * every queued caller at the rate in force when it queued: with 40 callers waiting a recovery took
 * seconds to show, and the burst tolerance shrinking as the rate rose even pushed slots later.)
 *
 * Adapting. The limit that matters is the one Coupa enforces now: Coupa documents 25 req/s with a
 * burst of 20 per instance, but other integrations share that budget, so the real limit may be well
 * below the configured rate, and a 429 is the only signal we get. The shape is TCP's (slow start, a
 * remembered threshold, congestion avoidance), with the threshold measured rather than guessed:
 *
 *  - **The limit, from 429 spacing.** Coupa (and the emulator) throttle with a token bucket: a 429
 *    means that bucket was empty at that moment. Between two 429s at t1 and t2 the instance therefore
 *    let through `limit × (t2 − t1)` of our requests, ±1 (fewer if its bucket overflowed while we sent
 *    less than the limit). So `successes / (t2 − t1)` estimates the rate the instance grants us, to
 *    within one request over the span whatever its burst size, and it already nets out what other
 *    integrations take. The first 429 has no predecessor, so it gives no estimate (a cold-start burst
 *    larger than the instance's says nothing about its rate).
 *  - **On a congestion signal** (the first 429 of a burst; later 429s of requests sent before that
 *    decrease, or without a send time within `penaltyWindowMs` of it, are the same signal): with an estimate, settle `margin` under
 *    it (never up) and remember that rate as the *ceiling*; without one, halve (classic AIMD) and
 *    forget any ceiling. An estimate from a span in which callers sat idle measured our demand, not
 *    the limit: then the decrease stops at half. Either way burst credit is dropped and the whole
 *    bucket pauses for Retry-After.
 *  - **Recovering.** With no ceiling (slow start) every success adds `increasePerSuccess` (default
 *    rate/50: from half back to full in a second or two), so the next 429, and with it a measured
 *    limit, comes soon. With a ceiling every success adds only `probeIncreasePerSuccess` (default
 *    0.005 req/s: about +0.5 % per second when running at the limit), so the governor stays just under
 *    the limit for tens of seconds between probes, yet still finds budget other integrations free.
 *  - Never above the configured rate, never below `minRate`.
 */
import { systemClock, type Clock } from '../../core/ports';

export interface TokenBucketOptions {
  /** Lowest rate a run of 429s can push us to (req/s). */
  minRate?: number;
  /** Slow start: rate regained per success while no ceiling is measured (req/s); default ratePerSecond / 50. */
  increasePerSuccess?: number;
  /** Congestion avoidance: rate gained per success once a ceiling is measured (req/s); default 0.005. */
  probeIncreasePerSuccess?: number;
  /** How far under the measured limit to settle, as a fraction (default 0.03). */
  margin?: number;
  /**
   * 429s given no send time count as one congestion signal within this window (default 1000 ms);
   * also the shortest span between two 429s an estimate is taken over.
   */
  penaltyWindowMs?: number;
}

/** Tokens this close to 1 count as 1: a fake clock cannot step by less than a float's precision. */
const TOKEN_EPSILON = 1e-6;
const MIN_SLEEP_MS = 0.001;

export class TokenBucket {
  private rate: number;
  /** The bucket's level at `levelAt` (a Retry-After pause puts `levelAt` in the future). */
  private tokens: number;
  private levelAt: number;
  private readonly waiting: Array<() => void> = [];
  private pacing = false;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  /** Time of the latest 429 (any) and the successes since: the sample for the next estimate. */
  private last429At = Number.NEGATIVE_INFINITY;
  private successesSince429 = 0;
  /** Time since the latest 429 with nobody waiting (we sent less than the bucket allowed). */
  private idleMsSince429 = 0;
  private idleSince: number | undefined;
  /** The rate settled at under the last measured limit; undefined while slow-starting. */
  private measuredCeiling: number | undefined;
  private readonly minRate: number;
  private readonly increasePerSuccess: number;
  private readonly probeIncreasePerSuccess: number;
  private readonly margin: number;
  private readonly penaltyWindowMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock = systemClock,
    options: TokenBucketOptions = {},
  ) {
    if (!(ratePerSecond > 0) || !(burst >= 1)) throw new Error('TokenBucket needs ratePerSecond > 0 and burst >= 1');
    this.rate = ratePerSecond;
    this.tokens = burst;
    this.levelAt = clock.now().getTime();
    this.minRate = Math.min(options.minRate ?? 1, ratePerSecond);
    this.increasePerSuccess = options.increasePerSuccess ?? ratePerSecond / 50;
    this.probeIncreasePerSuccess = options.probeIncreasePerSuccess ?? 0.005;
    this.margin = options.margin ?? 0.03;
    this.penaltyWindowMs = options.penaltyWindowMs ?? 1000;
  }

  /** The rate the bucket currently grants (req/s). */
  get currentRate(): number {
    return this.rate;
  }

  /** The rate settled at under the last limit measured from 429 spacing (req/s); undefined before that. */
  get ceiling(): number | undefined {
    return this.measuredCeiling;
  }

  /** Waits until a request may be sent (first come, first served). */
  take(): Promise<void> {
    return new Promise((resolve) => {
      if (this.idleSince !== undefined) {
        const now = this.clock.now().getTime();
        this.idleMsSince429 += Math.max(0, now - Math.max(this.idleSince, this.last429At));
        this.idleSince = undefined;
      }
      this.waiting.push(resolve);
      if (!this.pacing) void this.pace();
    });
  }

  /**
   * A 429: decrease the rate (once per congestion burst), drop burst credit, pause for Retry-After.
   * `sentAt` (ms, this bucket's clock) is when the throttled request left. Given it, the burst is
   * exact: a 429 for a request sent before the last decrease belongs to the burst already answered,
   * one sent after it is a new signal. Without it, 429s within `penaltyWindowMs` are one burst.
   */
  penalize(retryAfterMs?: number, sentAt?: number): void {
    const now = this.clock.now().getTime();
    this.refill(now);
    const sameBurst = sentAt !== undefined ? sentAt <= this.lastDecreaseAt : now - this.lastDecreaseAt < this.penaltyWindowMs;
    if (!sameBurst) {
      this.rate = this.decreasedRate(now);
      this.lastDecreaseAt = now;
    }
    // Every 429 marks an empty instance bucket: the next estimate counts from here.
    this.last429At = now;
    this.successesSince429 = 0;
    this.idleMsSince429 = 0;
    // No burst after a 429; with Retry-After, nothing before it ends (a shorter one never cuts a pause short).
    this.tokens = Math.min(this.tokens, 1);
    const resumeAt = now + Math.max(0, retryAfterMs ?? 0);
    if (resumeAt > now && resumeAt >= this.levelAt) {
      this.levelAt = resumeAt;
      this.tokens = 1;
    }
  }

  /**
   * A success: slow start back toward the configured rate, or a slow probe above the measured
   * ceiling. A request sent before the last decrease went out at the old rate: it counts for the
   * next estimate but says nothing about the new rate, so it does not raise it.
   */
  reward(sentAt?: number): void {
    this.successesSince429++;
    if (this.rate >= this.ratePerSecond || (sentAt !== undefined && sentAt <= this.lastDecreaseAt)) return;
    this.refill(this.clock.now().getTime()); // the time so far refills at the old rate
    const step = this.measuredCeiling === undefined ? this.increasePerSuccess : this.probeIncreasePerSuccess;
    this.rate = Math.min(this.ratePerSecond, this.rate + step);
  }

  /** Releases waiters one by one as tokens allow; one pacer at a time, so FIFO holds. */
  private async pace(): Promise<void> {
    this.pacing = true;
    try {
      while (this.waiting.length > 0) {
        const now = this.clock.now().getTime();
        this.refill(now);
        if (now >= this.levelAt && this.tokens >= 1 - TOKEN_EPSILON) {
          this.tokens -= 1;
          this.waiting.shift()!();
          continue;
        }
        // Sleep one slot at most: a rate change while asleep counts from the next slot.
        const wait = Math.max(0, this.levelAt - now) + (Math.max(0, 1 - this.tokens) * 1000) / this.rate;
        await this.clock.sleep(Math.max(MIN_SLEEP_MS, wait));
      }
    } finally {
      this.pacing = false;
      this.idleSince = this.clock.now().getTime();
    }
  }

  private refill(now: number): void {
    if (now <= this.levelAt) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.levelAt) * this.rate) / 1000);
    this.levelAt = now;
  }

  /** The rate after a new congestion signal at `now` (see the header for the reasoning). */
  private decreasedRate(now: number): number {
    const halved = Math.max(this.minRate, this.rate / 2);
    const spanSeconds = (now - this.last429At) / 1000;
    // No previous 429, or one too recent: ±1 request over so short a span bounds nothing useful.
    if (!Number.isFinite(spanSeconds) || spanSeconds <= 0 || spanSeconds * 1000 < this.penaltyWindowMs) {
      this.measuredCeiling = undefined;
      return halved;
    }
    const granted = this.successesSince429 / spanSeconds;
    const idleMs = this.idleMsSince429 + (this.idleSince === undefined ? 0 : now - Math.max(this.idleSince, this.last429At));
    // Callers queued (nearly) all along: we offered more than the instance granted, so the sample
    // is its limit. Otherwise we were idle part of the time and the sample says little: halving
    // is then the floor, as in classic AIMD.
    const floor = idleMs <= 0.1 * spanSeconds * 1000 ? this.minRate : halved;
    const settled = Math.max(floor, Math.min(this.rate, granted) * (1 - this.margin));
    this.measuredCeiling = settled;
    return settled;
  }
}
