/**
 * AttemptLog on S3: runs/<runId>/attempts/<login>.json holds one change's failed attempts. Written
 * only when an attempt fails (rare), so a healthy batch reads and writes nothing here. One message
 * per run and login, and a FIFO queue hands a group's messages out one batch at a time, so the
 * read-modify-write never races with itself.
 */
import type { Readable } from 'node:stream';
import type { RunRef } from '../../core/model';
import { systemClock, type AttemptLog, type Clock, type ObjectStore } from '../../core/ports';

export const attemptsKey = (runId: string, login: string) => `runs/${runId}/attempts/${encodeURIComponent(login)}.json`;

/** What one attempts object holds. */
export interface AttemptRecord {
  failures: number;
  lastError?: string;
  at: string;
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

async function readText(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export class S3AttemptLog implements AttemptLog {
  constructor(
    private readonly objects: ObjectStore,
    private readonly clock: Clock = systemClock,
  ) {}

  async addFailure(run: RunRef, login: string, reason: string): Promise<number> {
    const key = attemptsKey(run.runId, login);
    let failures = 0;
    try {
      failures = (JSON.parse(await readText(await this.objects.get(key))) as AttemptRecord).failures;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
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
