/**
 * The Users API applier for one process (the CLI): applies planned changes, pauses and applies
 * again what hit transient trouble (as SQS would redeliver), up to `api.maxReceiveCount` attempts,
 * then fails it with the last reason. Bad credentials end every change left as failed.
 */
import type { SyncConfig } from '../config';
import type { PlannedChange } from '../model';
import type { Clock, UserDirectory } from '../ports';
import type { Applier } from '../run/run-sync';
import { applyChanges } from './apply-changes';
import { CircuitBreaker } from './breaker';
import { resultOf, type ChangeResult } from './outcomes';

export interface ApiApplierDeps {
  directory: UserDirectory;
  config: Pick<SyncConfig, 'coupa' | 'api' | 'apply'>;
  clock: Clock;
  /** Pause before attempt n+1 is n times this (an SQS visibility timeout stand-in). */
  retryDelayMs?: number;
}

export function apiApplier(deps: ApiApplierDeps): Applier {
  return {
    async apply(changes: PlannedChange[], onResult: (r: ChangeResult) => void) {
      const breaker = new CircuitBreaker(deps.config.apply);
      let todo = changes;
      for (let attempt = 1; todo.length > 0; attempt++) {
        const result = await applyChanges(todo, { directory: deps.directory, maxInFlight: deps.config.coupa.maxInFlight, breaker, onResult });
        if (result.fatal) {
          for (const c of result.retry) onResult(resultOf(c, 'failed', [`not applied: ${result.fatal.message}`]));
          break;
        }
        if (result.retry.length > 0 && attempt >= deps.config.api.maxReceiveCount) {
          const why = `not applied after ${attempt} attempts: ${result.retryReason ?? 'Coupa did not answer'}`;
          for (const c of result.retry) onResult(resultOf(c, 'failed', [why]));
          break;
        }
        todo = result.retry;
        if (todo.length > 0) await deps.clock.sleep((deps.retryDelayMs ?? 1000) * attempt);
      }
      return breaker.tripped ? { stopped: breaker.reason } : {};
    },
  };
}
