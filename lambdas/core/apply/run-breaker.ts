/**
 * The circuit breaker of a run applied by many processes at once (AWS: api-consumer Lambdas that
 * share nothing). Each batch starts from the run's shared tally, counts its own writes with a local
 * CircuitBreaker seeded with that tally (so it stops mid-batch as soon as the failures decide it),
 * and adds what it counted afterwards. The first process that sees the window decided records the
 * verdict (a conditional create: exactly one wins, and it alone alerts); from then on a batch reads
 * only the verdict, which the adapter caches per warm Lambda.
 *
 * The window is "the first N writes the consumers report", not a strict order: two batches that
 * start while the window is open each count up to what was left of it, so the tally can overshoot
 * N by a batch. The trip rule is the CLI's (more than maxFailureShare × breakerWindow failures),
 * so an overshoot never trips a run the CLI would have let pass on the same failures.
 */
import type { SyncConfig } from '../config';
import type { Notification, RunBreakerStore } from '../ports';
import { CircuitBreaker } from './breaker';

export interface RunBreakersDeps {
  store: RunBreakerStore;
  options: SyncConfig['apply'];
  now: () => Date;
}

/** The breakers of the runs in one batch: what apply-changes asks per change, and what to publish afterwards. */
export class RunBreakers {
  private readonly breakers = new Map<string, CircuitBreaker>();
  /** Runs decided before this batch: nothing to add for them. */
  private readonly decided = new Set<string>();

  private constructor(private readonly deps: RunBreakersDeps) {}

  /** Reads each run's verdict, or, while its window is open, its tally. */
  static async open(runIds: Iterable<string>, deps: RunBreakersDeps): Promise<RunBreakers> {
    const breakers = new RunBreakers(deps);
    for (const runId of new Set(runIds)) {
      const verdict = await deps.store.verdict(runId);
      const breaker = new CircuitBreaker(deps.options, verdict ?? (await deps.store.tally(runId)), `run ${runId}`);
      if (verdict) {
        breakers.decided.add(runId);
        if (verdict.state === 'tripped') breaker.trip(verdict);
      }
      breakers.breakers.set(runId, breaker);
    }
    return breakers;
  }

  /** The run's breaker (undefined once the run passed its window: nothing left to count). */
  of(runId: string): CircuitBreaker | undefined {
    const breaker = this.breakers.get(runId);
    return breaker && !(this.decided.has(runId) && breaker.passed) ? breaker : undefined;
  }

  /**
   * Adds what this batch counted to each open run's tally and decides the runs whose window is now
   * decided. Returns the "stopped" alert of each run this call tripped (exactly one process gets it).
   */
  async close(fileOf: (runId: string) => string): Promise<Notification[]> {
    const alerts: Notification[] = [];
    for (const [runId, breaker] of this.breakers) {
      if (this.decided.has(runId)) continue;
      if (breaker.own.writes > 0) await this.deps.store.add(runId, breaker.own);
      // The tally again: concurrent batches may have added theirs meanwhile.
      const tally = breaker.own.writes > 0 ? await this.deps.store.tally(runId) : breaker.counts;
      const total = new CircuitBreaker(this.deps.options, tally, `run ${runId}`);
      if (!total.tripped && !total.passed) continue;
      const state = total.tripped ? 'tripped' : 'passed';
      const won = await this.deps.store.decide(runId, { state, ...tally, at: this.deps.now().toISOString(), ...(total.reason ? { reason: total.reason } : {}) });
      if (won && state === 'tripped') {
        const run = { runId, file: fileOf(runId) };
        alerts.push({
          kind: 'stopped',
          severity: 'failure',
          subject: `Coupa user sync stopped: ${run.file}`,
          message: `${run.file}: ${total.reason}. The rest of the run is not applied (each row "failed" with this reason); fix the cause, then upload the file again.`,
          run,
        });
      }
    }
    return alerts;
  }
}
