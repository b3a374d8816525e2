/**
 * The splitter's core: stream the HR file, queue each valid row as its own message, and
 * settle bad rows at once (rejected, with file, row and field named) so nothing is lost.
 */
import type { Readable } from 'node:stream';
import { HrFileError, readHrFile, type ReadOptions } from '../hr/read-hr-file';
import type { RowOutcome, RunRef, SyncMessage } from '../model';
import type { Notifier, OutcomeLedger, RecordQueue } from '../ports';
import { notifyFailures } from './notify';

export interface SplitDeps {
  queue: RecordQueue;
  ledger: OutcomeLedger;
  notifier: Notifier;
}

export interface SplitSummary {
  run: RunRef;
  rows: number;
  queued: number;
  rejected: RowOutcome[];
}

export interface SplitOptions {
  headerMap?: ReadOptions['headerMap'];
  /** Config hr: encoding, delimiter, field mapping, clear token, input limits. */
  hr?: ReadOptions['hr'];
  /** Config coupa.ownedCollections: an HR column for a collection not listed there fails the file. */
  ownedCollections?: ReadOptions['ownedCollections'];
  /** Messages handed to the queue adapter at once (it sizes its own API batches). */
  sendChunk?: number;
}

export async function splitHrFile(
  input: Readable,
  run: RunRef,
  deps: SplitDeps,
  options: SplitOptions = {},
): Promise<SplitSummary> {
  const chunkSize = options.sendChunk ?? 100;
  const summary: SplitSummary = { run, rows: 0, queued: 0, rejected: [] };
  let pending: SyncMessage[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    await deps.queue.send(pending);
    summary.queued += pending.length;
    pending = [];
  };

  try {
    for await (const { row, result } of readHrFile(input, {
      file: run.file,
      headerMap: options.headerMap,
      hr: options.hr,
      ownedCollections: options.ownedCollections,
    })) {
      summary.rows += 1;
      if (result.ok) {
        pending.push({ ...run, record: result.record });
        if (pending.length >= chunkSize) await flush();
      } else {
        summary.rejected.push({
          row,
          login: result.login,
          outcome: 'rejected',
          errors: result.errors.map((e) => `${run.file}, row ${row}: ${e}`),
        });
      }
    }
  } catch (err) {
    if (!(err instanceof HrFileError)) throw err;
    if (summary.rows === 0) throw err; // nothing read (bad header, empty file): the run never started
    // A file broken part-way: the rows read before the break are valid and (in AWS) some are already
    // queued, so queue them all and settle their rejects; the caller says exactly how far it got.
    await flush();
    await settleRejected(run, summary, deps);
    throw new SplitStoppedError(err, summary);
  }
  await flush();
  await settleRejected(run, summary, deps);
  return summary;
}

async function settleRejected(run: RunRef, summary: SplitSummary, deps: SplitDeps): Promise<void> {
  if (summary.rejected.length === 0) return;
  await deps.ledger.record(run, summary.rejected);
  await notifyFailures(run, summary.rejected, deps.notifier);
}

/** The file could not be read to its end; `summary` tells what was read and queued before that. */
export class SplitStoppedError extends HrFileError {
  constructor(
    cause: HrFileError,
    readonly summary: SplitSummary,
  ) {
    super(cause.file, cause.message.slice(cause.file.length + 2));
    this.name = 'SplitStoppedError';
  }
}
