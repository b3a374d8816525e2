/** Test data and fakes for the CSV channel's unit tests. */
import type { DataFileSourceReader, DataFileSourceResult } from '../../lambdas/core/ports';
import { parseConfig, type SyncConfig } from '../../lambdas/core/config';
import type { ChangeMessage, HrRecord, PlannedChange, RowOutcome, RunRef, UserFields } from '../../lambdas/core/model';
import { changeMessageIn, plannedChange } from '../support/factories';
import type { Clock, FileDrop, Notification, Notifier, OutcomeLedger } from '../../lambdas/core/ports';

export const aRun = (overrides: Partial<RunRef> = {}): RunRef => ({ runId: 'run-1', file: 'incoming/csv/hr.csv', ...overrides });

export const aRecord = (overrides: Partial<HrRecord> = {}): HrRecord => ({
  row: 1,
  login: 'jdoe',
  action: 'update',
  fields: { email: 'jdoe@example.com', firstname: 'Jane', lastname: 'Doe' },
  ...overrides,
});

/**
 * A queued change for the CSV channel: an update of jdoe (HR row 1) setting e-mail and names,
 * unless told otherwise.
 */
export const aMessage = (
  change: Partial<PlannedChange> & { was?: UserFields } = {},
  run: RunRef = aRun(),
): ChangeMessage =>
  changeMessageIn(run, plannedChange({ login: 'jdoe', send: { email: 'jdoe@example.com', firstname: 'Jane', lastname: 'Doe' }, ...change }));

export const aConfig = (csv: Record<string, unknown> = {}, coupa: Record<string, unknown> = {}): SyncConfig =>
  parseConfig({ delivery: 'csv', csv, coupa });

/** A FileDrop that keeps what it was given. */
export function fakeDrop(): FileDrop & { files: Array<{ name: string; body: Buffer; dir: string }>; failOn?: string } {
  const drop = {
    files: [] as Array<{ name: string; body: Buffer; dir: string }>,
    failOn: undefined as string | undefined,
    async deliver(name: string, body: Buffer, dir: string) {
      if (drop.failOn && name.endsWith(drop.failOn)) throw new Error(`connection reset while sending ${name}`);
      drop.files.push({ name, body, dir });
      return { transferId: `t-${drop.files.length}` };
    },
  };
  return drop;
}

export function fakeLedger(): OutcomeLedger & { entries: Array<{ run: RunRef; outcomes: RowOutcome[] }> } {
  const entries: Array<{ run: RunRef; outcomes: RowOutcome[] }> = [];
  return {
    entries,
    async record(run, outcomes) {
      entries.push({ run, outcomes });
    },
  };
}

export function fakeNotifier(): Notifier & { sent: Notification[] } {
  const sent: Notification[] = [];
  return {
    sent,
    async publish(n) {
      sent.push(n);
    },
  };
}

/** A clock that only moves when slept on: waits take no real time. */
export function fakeClock(start = new Date('2026-11-23T04:05:06.789Z')): Clock & { slept: number[] } {
  let now = start.getTime();
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(now),
    async sleep(ms) {
      slept.push(ms);
      now += ms;
    },
  };
}

/** A reader that answers from a script: one answer per call per file, the last one repeating. */
export function scriptedReader(script: Record<string, Array<DataFileSourceResult | undefined | Error>>): DataFileSourceReader & {
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    async findByFileName(fileName) {
      calls.push(fileName);
      const answers = script[fileName] ?? [undefined];
      const answer = answers.length > 1 ? answers.shift() : answers[0];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

export const aLoad = (overrides: Partial<DataFileSourceResult> = {}): DataFileSourceResult => ({
  fileName: 'users_x.csv',
  status: 'Done',
  recordsCreated: 0,
  recordsUpdated: 0,
  errors: [],
  ...overrides,
});
