/**
 * OutcomeLedger on S3: every record() call is its own object under runs/<runId>/outcomes/, so
 * many Lambdas can record outcomes of one run concurrently without read-modify-write races.
 * The run report is the union of those objects.
 */
import { randomBytes } from 'node:crypto';
import type { RowOutcome, RunRef } from '../../core/model';
import { text } from 'node:stream/consumers';
import { systemClock, type Clock, type ObjectStore, type OutcomeLedger, type OutcomeLog, type RecordedOutcomes } from '../../core/ports';

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

/** Outcome objects fetched at once while reading a run back: quick, and far below S3's per-prefix rate. */
const READ_AHEAD = 16;

/**
 * A run's outcome objects read back in key order (their keys start with the time they were recorded),
 * READ_AHEAD at a time, one object in memory per fetch in flight: the report streams them.
 */
export class S3OutcomeLog implements OutcomeLog {
  constructor(
    private readonly store: ObjectStore,
    private readonly listKeys: (prefix: string) => Promise<string[]>,
  ) {}

  async *read(runId: string): AsyncIterable<RecordedOutcomes> {
    const keys = (await this.listKeys(outcomesPrefix(runId))).sort();
    const fetching: Array<Promise<RecordedOutcomes>> = [];
    const fetch = (key: string) => {
      const read = (async () => JSON.parse(await text(await this.store.get(key))) as OutcomeRecord)();
      read.catch(() => undefined); // awaited in turn below; not an unhandled rejection meanwhile
      return read;
    };
    let next = 0;
    while (next < keys.length && fetching.length < READ_AHEAD) fetching.push(fetch(keys[next++]));
    while (fetching.length > 0) {
      const record = await fetching.shift()!;
      if (next < keys.length) fetching.push(fetch(keys[next++]));
      yield { recordedAt: record.recordedAt, outcomes: record.outcomes };
    }
  }
}
