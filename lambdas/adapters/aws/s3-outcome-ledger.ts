/**
 * OutcomeLedger on S3: every record() call is its own object under runs/<runId>/outcomes/, so
 * many Lambdas can record outcomes of one run concurrently without read-modify-write races.
 * The run report is the union of those objects.
 */
import { randomBytes } from 'node:crypto';
import type { RowOutcome, RunRef } from '../../core/model';
import { systemClock, type Clock, type ObjectStore, type OutcomeLedger } from '../../core/ports';

/** What one outcome object holds. */
export interface OutcomeRecord {
  runId: string;
  file: string;
  recordedAt: string;
  outcomes: RowOutcome[];
}

export function outcomesPrefix(runId: string): string {
  return `runs/${runId}/outcomes/`;
}

export class S3OutcomeLedger implements OutcomeLedger {
  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock = systemClock,
    private readonly random: () => string = () => randomBytes(4).toString('hex'),
  ) {}

  async record(run: RunRef, outcomes: RowOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const recordedAt = this.clock.now().toISOString();
    // ISO time first: the objects list in the order they were written.
    const key = `${outcomesPrefix(run.runId)}${recordedAt}-${this.random()}.json`;
    const body: OutcomeRecord = { runId: run.runId, file: run.file, recordedAt, outcomes };
    await this.store.put(key, JSON.stringify(body), 'application/json');
  }
}
