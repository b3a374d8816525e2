/**
 * The circuit breaker: when more than `apply.maxFailureShare` of the first `apply.breakerWindow`
 * writes fail, something is wrong with the run as a whole (a bad mapping, a wrong instance, a
 * department that does not exist): stop instead of failing thousands of users one by one.
 * It trips as soon as the failures already decide it, and stays quiet once the window passed.
 */
import type { SyncConfig } from '../config';

export class CircuitBreaker {
  private writes = 0;
  private failures = 0;
  private trippedAt?: string;

  constructor(private readonly options: SyncConfig['apply']) {}

  /** Counts one finished write (in completion order). */
  record(ok: boolean): void {
    if (this.writes >= this.options.breakerWindow || this.trippedAt) return;
    this.writes += 1;
    if (!ok) this.failures += 1;
    if (this.failures > this.options.maxFailureShare * this.options.breakerWindow) {
      this.trippedAt = `${this.failures} of the first ${this.writes} writes failed`;
    }
  }

  get tripped(): boolean {
    return this.trippedAt !== undefined;
  }

  /** Why it tripped, in words for the report and the alert. */
  get reason(): string | undefined {
    if (!this.trippedAt) return undefined;
    const { maxFailureShare, breakerWindow } = this.options;
    return (
      `the circuit breaker stopped the run: ${this.trippedAt} (apply.maxFailureShare ${maxFailureShare} of ` +
      `apply.breakerWindow ${breakerWindow}); the first failures say what is wrong`
    );
  }
}
