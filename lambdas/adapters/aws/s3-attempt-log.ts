/**
 * AttemptLog on S3: runs/<runId>/attempts/<login>.json holds one change's failed attempts. Written
 * only when an attempt fails (rare), so a healthy batch reads and writes nothing here. One message
 * per run and login, and a FIFO queue hands a group's messages out one batch at a time, so the
 * read-modify-write never races with itself.
 */
import type { RunRef } from '../../core/model';
import { systemClock, type AttemptLog, type Clock, type ObjectStore } from '../../core/ports';
import { readJsonIfPresent } from './s3-read';

export const attemptsKey = (runId: string, login: string) => `runs/${runId}/attempts/${encodeURIComponent(login)}.json`;

/** What one attempts object holds. */
export interface AttemptRecord {
  failures: number;
  lastError?: string;
  at: string;
}

export class S3AttemptLog implements AttemptLog {
  constructor(
    private readonly objects: ObjectStore,
    private readonly clock: Clock = systemClock,
  ) {}

  async addFailure(run: RunRef, login: string, reason: string): Promise<number> {
    const key = attemptsKey(run.runId, login);
    const failures = (await readJsonIfPresent<AttemptRecord>(this.objects, key))?.failures ?? 0;
    const next: AttemptRecord = { failures: failures + 1, lastError: reason, at: this.clock.now().toISOString() };
    await this.objects.put(key, JSON.stringify(next), 'application/json');
    return next.failures;
  }

  /** Overwritten with zero rather than deleted: the consumer needs no delete permission. */
  async forget(run: RunRef, login: string): Promise<void> {
    const reset: AttemptRecord = { failures: 0, at: this.clock.now().toISOString() };
    await this.objects.put(attemptsKey(run.runId, login), JSON.stringify(reset), 'application/json');
  }
}
