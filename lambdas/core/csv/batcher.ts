/**
 * The csv-batcher's core: one batch of SyncMessages → Coupa user-import file(s) dropped into
 * the sFTP folder, each with a manifest for the later read-back (results.ts).
 *
 * Rows that cannot be sent get their final outcome here (rejected); the rows of delivered files
 * are recorded `submitted` (the run counts them as handed to Coupa's loader), and their final
 * outcome comes from the loader's verdict (results.ts), recorded later. A failed delivery throws, so the queue retries the batch:
 * a retry may deliver a second copy of a file that already went (new timestamp, same changes).
 * Coupa's loader upserts by Login, so replaying a change is harmless; the read-back then records
 * those rows twice with the same outcome.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../config';
import { isProtectedLogin, type ChangeMessage, type RowOutcome, type RunRef } from '../model';
import type { Clock, FileDrop, Notifier, OutcomeLedger, SettledLogins } from '../ports';
import { resultOf, rowOutcomesOf } from '../apply/outcomes';
import { byRun, notifyFailures } from '../sync/notify';

import { importFileName, planImportFiles } from './file-splitter';
import { deliveryWarningsOf, holdForManagers, managerWaitReceives, receivedOf, settledManagers } from './manager-order';
import type { CsvManifest, CsvManifestRow, ManifestStore } from './manifest';
import { DEFAULT_HEADER_NAMES } from './user-import-format';
import { importRowOf, type ImportRow } from './user-import-row';

export interface CsvBatchDeps {
  drop: FileDrop;
  manifests: ManifestStore;
  ledger: OutcomeLedger;
  notifier: Notifier;
  clock: Clock;
  config: SyncConfig;
  /** Column spelling of the instance's template (headerNamesFromTemplate); documented defaults otherwise. */
  headerNames?: Record<string, string>;
}

/** Short, stable id of a batch's content: two batches sent in the same millisecond get different names. */
export function batchTag(messages: ChangeMessage[]): string {
  const hash = createHash('sha256');
  for (const m of messages) hash.update(`${m.runId}:${m.change.login}\n`);
  return hash.digest('hex').slice(0, 8);
}

/**
 * The order changes must apply in: runs in the order they were queued (the earliest `queuedAt` of
 * each run's messages in the batch: the planner queues a run in one go, so an older run's changes
 * come before a newer run's, whatever order the standard queue hands them out in; without times,
 * the order runs first appear in the batch), then the plan's levels (a manager created in the run
 * before its reports), then HR row.
 */
export function inChangeOrder(messages: ChangeMessage[], queuedAt?: ReadonlyMap<ChangeMessage, number>): ChangeMessage[] {
  const runOrder = new Map<string, [number, number]>();
  for (const m of messages) {
    const at = queuedAt?.get(m) ?? 0;
    const seen = runOrder.get(m.runId);
    runOrder.set(m.runId, seen ? [Math.min(seen[0], at), seen[1]] : [at, runOrder.size]);
  }
  const runKey = (m: ChangeMessage) => runOrder.get(m.runId)!;
  const firstRow = (m: ChangeMessage) => m.change.rows[0] ?? Number.MAX_SAFE_INTEGER;
  return [...messages].sort(
    (a, b) => runKey(a)[0] - runKey(b)[0] || runKey(a)[1] - runKey(b)[1] || a.change.level - b.change.level || firstRow(a) - firstRow(b),
  );
}

/** `queuedAt`: when each message was queued (SQS's SentTimestamp), to order runs by age. */
export async function deliverCsvBatch(batch: ChangeMessage[], deps: CsvBatchDeps, queuedAt?: ReadonlyMap<ChangeMessage, number>): Promise<CsvManifest[]> {
  const { config } = deps;
  const messages = inChangeOrder(batch, queuedAt);
  const headerNames = { ...DEFAULT_HEADER_NAMES, ...config.csv.headerNames, ...deps.headerNames } as Record<string, string>;

  const rejected: Array<{ message: RunRef; outcome: RowOutcome }> = [];
  const reject = (m: ChangeMessage, error: string) => {
    for (const outcome of rowOutcomesOf(resultOf(m.change, 'rejected', [error]))) rejected.push({ message: { runId: m.runId, file: m.file }, outcome });
  };
  const files = [];
  // Level by level: every file of a level sorts before the next level's files.
  for (const level of [...new Set(messages.map((m) => m.change.level))].sort((a, b) => a - b)) {
    const sendable: Array<{ row: ImportRow; item: ChangeMessage }> = [];
    for (const message of messages.filter((m) => m.change.level === level)) {
      if (isProtectedLogin(message.change.login, config.coupa.protectedLogins)) {
        reject(message, `"${message.change.login}" is a protected login (e.g. the integration's own user) and is never changed by the sync`);
        continue;
      }
      const mapped = importRowOf(message.change);
      if (mapped.ok) sendable.push({ row: mapped.row, item: message });
      else reject(message, mapped.error);
    }
    files.push(...planImportFiles(sendable, { maxRowsPerFile: config.csv.maxRowsPerFile, maxBytesPerFile: config.csv.maxBytesPerFile }, headerNames));
  }
  const sentAt = deps.clock.now();
  const tag = batchTag(messages);
  const manifests: CsvManifest[] = [];
  for (const [index, file] of files.entries()) {
    const fileName = importFileName(sentAt, tag, index + 1);
    const { transferId } = await deps.drop.deliver(fileName, file.body, config.csv.remoteDirectory);
    const manifest = manifestOf(fileName, config.csv.remoteDirectory, sentAt, transferId, file.lines);
    await deps.manifests.save(manifest);
    manifests.push(manifest);
  }

  // Recorded only once every file went: a retried batch would otherwise record them twice.
  const submitted = files.flatMap((file) => file.lines.flatMap((line) => line.items));
  const recorded = [
    ...rejected,
    ...submitted.flatMap((m) => rowOutcomesOf(resultOf(m.change, 'submitted')).map((outcome) => ({ message: { runId: m.runId, file: m.file }, outcome }))),
  ];
  // One record per run for the batch.
  for (const { run, rows } of byRun(recorded)) {
    const outcomes = rows.map((r) => r.outcome);
    await deps.ledger.record(run, outcomes);
    await notifyFailures(run, outcomes, deps.notifier);
  }
  return manifests;
}

/**
 * deliverCsvBatch, with managers first across batches (manager-order.ts): a change whose manager
 * (created or reactivated in its run) is neither in this batch nor settled by an earlier one is
 * not sent but returned in `waiting`, for the caller to hand back to the queue. The logins of the
 * managers this batch settled are recorded only once its files went (a failed delivery throws and
 * records nothing), so no report can pass its manager.
 * `receiveCount`: each message's SQS receive count, which bounds the wait (managerWaitReceives).
 */
export async function deliverInManagerOrder(
  batch: ChangeMessage[],
  deps: CsvBatchDeps & { settledLogins: SettledLogins },
  times: { queuedAt?: ReadonlyMap<ChangeMessage, number>; receiveCount?: ReadonlyMap<ChangeMessage, number> } = {},
): Promise<{ sent: CsvManifest[]; waiting: ChangeMessage[] }> {
  const waitReceives = managerWaitReceives(deps.config.api.maxReceiveCount);
  const { ready, waiting } = await holdForManagers(batch, deps.settledLogins, (m) => times.receiveCount?.get(m) ?? 1, waitReceives);
  if (ready.length === 0) return { sent: [], waiting };
  const queuedAt = times.queuedAt && new Map(ready.map((m) => [m, times.queuedAt!.get(receivedOf(m)) ?? 0]));
  const sent = await deliverCsvBatch(ready, deps, queuedAt);
  const tag = batchTag(ready);
  for (const [runId, logins] of settledManagers(ready)) await deps.settledLogins.add(runId, tag, logins);
  return { sent, waiting };
}

/** What a delivered file holds, line by line, for the read-back to map Coupa's verdict to HR rows. */
export function manifestOf(
  fileName: string,
  remoteDirectory: string,
  sentAt: Date,
  transferId: string,
  lines: ReadonlyArray<{ items: readonly Pick<ChangeMessage, 'runId' | 'file' | 'change'>[] }>,
): CsvManifest {
  return {
    fileName,
    remoteDirectory,
    sentAt: sentAt.toISOString(),
    transferId,
    rows: lines.flatMap((line, i) => line.items.flatMap((m) => manifestRows(m, i + 1))),
  };
}

/** One manifest row per HR row the change settles (an absentee: one row 0, marked absent). */
function manifestRows(m: Pick<ChangeMessage, 'runId' | 'file' | 'change'>, line: number): CsvManifestRow[] {
  const run = { runId: m.runId, file: m.file };
  const deactivate = m.change.kind === 'deactivate';
  // Only the batcher's own warnings: the planner's are in the run's plan already.
  const added = deliveryWarningsOf(m.change);
  const warnings = added ? { warnings: added } : {};
  if (m.change.rows.length === 0) return [{ line, run, row: 0, login: m.change.login, deactivate, absent: true, ...warnings }];
  return m.change.rows.map((row) => ({ line, run, row, login: m.change.login, deactivate, ...warnings }));
}
