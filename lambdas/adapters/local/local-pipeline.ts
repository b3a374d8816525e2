/**
 * Runs one HR file through the same splitter → queue → consumer code the Lambdas run, with
 * in-process adapters: a FIFO memory queue with SQS-like redelivery, a memory ledger and a
 * console notifier. Rows that never succeed end as `failed`, as the DLQ path does in AWS.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SyncConfig } from '../../core/config';
import type { DataFileSourceReader, UserDirectory } from '../../core/ports';
import { deliverCsvBatch } from '../../core/csv/batcher';
import { createMemoryManifestStore, type CsvManifest } from '../../core/csv/manifest';
import { collectCsvResults } from '../../core/csv/results';
import type { RunRef, RunReport, SyncMessage } from '../../core/model';
import { systemClock, type Clock, type FileDrop, type Notifier, type OutcomeLedger } from '../../core/ports';
import { consumeBatch, settle } from '../../core/sync/consume';
import { buildReport } from '../../core/sync/report';
import { runIdFor } from '../../core/sync/route';
import { splitHrFile, type SplitOptions } from '../../core/sync/split';
import { ConsoleNotifier } from './console-notifier';
import { MemoryLedger } from './memory-ledger';
import { MemoryQueue, type Delivery } from './memory-queue';

/** The CSV channel: user-import files dropped to sFTP (or a folder), Coupa's verdict read back. */
export interface LocalCsvChannel {
  drop: FileDrop;
  reader: DataFileSourceReader;
  /** Seconds to wait for Coupa's loader (0 = do not wait: rows end as `submitted`). */
  waitSeconds: number;
  pollSeconds?: number;
  onProgress?: (message: string) => void;
}

export interface LocalRunOptions {
  /** Path of the HR file. */
  file: string;
  config: SyncConfig;
  /** Coupa users (API channel, and every dry run: a plan needs the current state). */
  directory: UserDirectory;
  /** Deliver through the CSV channel instead of the API (ignored in a dry run). */
  csv?: LocalCsvChannel;
  notifier?: ConsoleNotifier;
  dryRun?: boolean;
  /** Messages per consumer batch (one bulk lookup each); default config.coupa.lookupBatchSize. */
  batchSize?: number;
  /** Pause before a redelivery, times the receive count (SQS visibility timeout stand-in). */
  redeliveryDelayMs?: number;
  clock?: Clock;
  split?: SplitOptions;
  onProgress?: (done: number, queued: number) => void;
}

export interface LocalRunResult {
  report: RunReport;
  notifier: ConsoleNotifier;
}

export async function localRunRef(file: string): Promise<RunRef> {
  const path = resolve(file);
  const info = await stat(path);
  return { runId: runIdFor('local', path, `${info.size}-${info.mtimeMs}`), file };
}

export async function runLocalPipeline(options: LocalRunOptions): Promise<LocalRunResult> {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const run = await localRunRef(options.file);
  const notifier = options.notifier ?? new ConsoleNotifier();
  const ledger = new MemoryLedger();
  const queue = new MemoryQueue();

  const split = await splitHrFile(createReadStream(options.file), run, { queue, ledger, notifier }, {
    ...options.split,
    // An HR column for a collection the config does not own fails the file (Coupa replaces whole sets).
    ownedCollections: options.split?.ownedCollections ?? options.config.coupa.ownedCollections,
    hr: options.split?.hr ?? options.config.hr,
  });
  if (options.csv && !options.dryRun) {
    await drainToCsv(queue, options.csv, { config: options.config, clock, ledger, notifier });
  } else {
    await drainToApi(queue, split.queued, options, { clock, ledger, notifier });
  }

  const report = buildReport(run, startedAt, clock.now(), ledger.outcomes(run.runId), options.dryRun ? { dryRun: true } : {});
  return { report, notifier };
}

interface Sinks {
  clock: Clock;
  ledger: OutcomeLedger;
  notifier: Notifier;
}

/** The same final outcome for a set of messages (give-ups, undeliverable batches, unconfirmed files). */
function settleAll(messages: SyncMessage[], outcome: 'failed' | 'submitted', error: string, sinks: Sinks): Promise<void> {
  return settle(
    messages.map((message) => ({ message, outcome: { row: message.record.row, login: message.record.login, outcome, errors: [error] } })),
    sinks,
  );
}

async function drainToApi(queue: MemoryQueue, queued: number, options: LocalRunOptions, sinks: Sinks): Promise<void> {
  const batchSize = options.batchSize ?? options.config.coupa.lookupBatchSize;
  const maxReceives = options.config.api.maxReceiveCount;
  const deps = { ...sinks, directory: options.directory, config: options.config, dryRun: options.dryRun };
  let done = 0;
  while (queue.size > 0) {
    const batch = queue.receive(batchSize);
    const result = await consumeBatch(batch.map((d) => d.message), deps);
    done += result.outcomes.length;
    if (result.fatal) {
      // Credentials went bad mid-run: nothing more can be applied; every row left ends failed.
      const left = [...result.retry, ...queue.receive(queue.size).map((d) => d.message)];
      await settleAll(left, 'failed', `not applied: ${result.fatal.message}`, sinks);
      options.onProgress?.(queued, queued);
      return;
    }
    const retry = batch.filter((d) => result.retry.includes(d.message));
    const dead = await redeliverOrGiveUp(retry, maxReceives, result.retryReason, queue, sinks);
    done += dead;
    options.onProgress?.(done, queued);
    if (retry.length > dead) await sinks.clock.sleep((options.redeliveryDelayMs ?? 1000) * Math.max(...retry.map((d) => d.receiveCount)));
  }
}

/**
 * CSV channel: batches as the csv-batcher Lambda gets them, then one read-back of every file.
 * A batch that cannot be delivered ends as `failed`; files whose verdict cannot be read (Coupa
 * has not loaded them when the wait ends, or the read-back itself fails) leave their rows
 * `submitted` with the reason, so every row still has an outcome.
 */
async function drainToCsv(queue: MemoryQueue, csv: LocalCsvChannel, sinks: Sinks & { config: SyncConfig }): Promise<void> {
  const manifests = createMemoryManifestStore();
  const sent: CsvManifest[] = [];
  while (queue.size > 0) {
    const batch = queue.receive(sinks.config.csv.batchSize).map((d) => d.message);
    try {
      sent.push(...(await deliverCsvBatch(batch, { ...sinks, drop: csv.drop, manifests })));
    } catch (err) {
      await settleAll(batch, 'failed', `could not deliver the user-import file: ${(err as Error).message}`, sinks);
    }
  }
  if (sent.length === 0) return;
  let unconfirmed: (m: CsvManifest) => string = (m) =>
    csv.waitSeconds === 0
      ? `delivered as ${m.fileName}; not waiting for Coupa's loader (--wait-results 0)`
      : `delivered as ${m.fileName}; Coupa had not loaded it after ${csv.waitSeconds} s (see /data_sources in Coupa)`;
  try {
    await collectCsvResults(sent, { ...sinks, reader: csv.reader, manifests }, {
      timeoutSeconds: csv.waitSeconds,
      pollSeconds: csv.pollSeconds ?? 5,
      onProgress: csv.onProgress,
    });
  } catch (err) {
    const why = (err as Error).message;
    unconfirmed = (m) => `delivered as ${m.fileName}; its load result could not be read: ${why}`;
  }
  // Files settled by the read-back are complete in the store; the others are pending still.
  for (const m of await manifests.pending()) {
    await settleAll(m.rows.map((r) => ({ ...r.run, record: { row: r.row, login: r.login, fields: {} } })), 'submitted', unconfirmed(m), sinks);
  }
}

/** Like SQS with a redrive policy: back to the head of the queue, or dead after maxReceives. Returns the dead count. */
async function redeliverOrGiveUp(
  retry: Delivery[],
  maxReceives: number,
  reason: string | undefined,
  queue: MemoryQueue,
  sinks: Sinks,
): Promise<number> {
  const dead = retry.filter((d) => d.receiveCount >= maxReceives);
  queue.returnToHead(retry.filter((d) => d.receiveCount < maxReceives));
  if (dead.length > 0) {
    const why = `not applied after ${maxReceives} attempts: ${reason ?? 'Coupa did not answer'}`;
    await settleAll(dead.map((d) => d.message), 'failed', why, sinks);
  }
  return dead.length;
}
