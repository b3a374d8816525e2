/**
 * The circuit breaker: when more than `apply.maxFailureShare` of the first `apply.breakerWindow`
 * writes fail, something is wrong with the run as a whole (a bad mapping, a wrong instance, a
 * department that does not exist): stop instead of failing thousands of users one by one.
 * It trips as soon as the failures already decide it, and stays quiet once the window passed.
 */
import type { SyncConfig } from '../config';

/** Writes counted towards the window, and how many of them failed. */
export interface BreakerCounts {
  writes: number;
  failures: number;
}

export class CircuitBreaker {
  private writes: number;
  private failures: number;
  /** What this breaker itself counted (not the seed): what a shared breaker adds to the run's tally. */
  readonly own: BreakerCounts = { writes: 0, failures: 0 };
  private trippedAt?: string;

  /**
   * `seed`: writes other processes already counted for the run (AWS: concurrent consumers share one
   * tally, run-breaker.ts). `label`: what stopped, for the reason ("the run", "run <runId>").
   */
  constructor(
    private readonly options: SyncConfig['apply'],
    seed: BreakerCounts = { writes: 0, failures: 0 },
    private readonly label?: string,
  ) {
    this.writes = seed.writes;
    this.failures = seed.failures;
    this.check();
  }

  /** Counts one finished write (in completion order). */
  record(ok: boolean): void {
    if (this.writes >= this.options.breakerWindow || this.trippedAt) return;
    this.writes += 1;
    this.own.writes += 1;
    if (!ok) {
      this.failures += 1;
      this.own.failures += 1;
    }
    this.check();
  }

  /** Trips it from outside: another process decided the run's verdict. */
  trip(counts: BreakerCounts): void {
    this.trippedAt ??= `${counts.failures} of the first ${counts.writes} writes failed`;
  }

  private check(): void {
    if (!this.trippedAt && this.failures > this.options.maxFailureShare * this.options.breakerWindow) {
      this.trippedAt = `${this.failures} of the first ${this.writes} writes failed`;
    }
  }

  get tripped(): boolean {
    return this.trippedAt !== undefined;
  }

  /** The window is full and the breaker did not trip: it stays quiet for the rest of the run. */
  get passed(): boolean {
    return !this.trippedAt && this.writes >= this.options.breakerWindow;
  }

  get counts(): BreakerCounts {
    return { writes: this.writes, failures: this.failures };
  }

  /** Why it tripped, in words for the report and the alert. */
  get reason(): string | undefined {
    if (!this.trippedAt) return undefined;
    const { maxFailureShare, breakerWindow } = this.options;
    const what = this.label ? `the circuit breaker stopped ${this.label} after ${this.trippedAt}` : `the circuit breaker stopped the run: ${this.trippedAt}`;
    return `${what} (apply.maxFailureShare ${maxFailureShare} of apply.breakerWindow ${breakerWindow}); the first failures say what is wrong`;
  }
}
