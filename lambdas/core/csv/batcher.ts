/**
 * The csv-batcher's core: one batch of SyncMessages → Coupa user-import file(s) dropped into
 * the sFTP folder, each with a manifest for the later read-back (results.ts).
 *
 * Only rows that cannot be sent (rejected) get their final outcome here; every other outcome
 * comes from Coupa's loader verdict. A failed delivery throws, so the queue retries the batch:
 * a retry may deliver a second copy of a file that already went (new timestamp, same changes).
 * Coupa's loader upserts by Login, so replaying a change is harmless; the read-back then records
 * those rows twice with the same outcome.
 */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../config';
import { isProtectedLogin, type RowOutcome, type RunRef, type SyncMessage } from '../model';
import type { Clock, FileDrop, Notifier, OutcomeLedger } from '../ports';
import { byRun, notifyFailures } from '../sync/notify';
import { importFileName, planImportFiles } from './file-splitter';
import type { CsvManifest, ManifestStore } from './manifest';
import { DEFAULT_HEADER_NAMES, type ImportColumn } from './user-import-format';
import { toImportRow, type ImportRow } from './user-import-row';

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
function batchTag(messages: SyncMessage[]): string {
  const hash = createHash('sha256');
  for (const m of messages) hash.update(`${m.runId}:${m.record.row}\n`);
  return hash.digest('hex').slice(0, 8);
}

function rejectedOutcome(message: SyncMessage, error: string): RowOutcome {
  return { row: message.record.row, login: message.record.login, outcome: 'rejected', errors: [error] };
}

/**
 * The order changes must apply in: runs in the order they first appear in the batch, and within a
 * run by HR row (a standard queue may deliver row 5 before row 2; the later HR row must win).
 */
export function inChangeOrder(messages: SyncMessage[]): SyncMessage[] {
  const runOrder = new Map<string, number>();
  for (const m of messages) if (!runOrder.has(m.runId)) runOrder.set(m.runId, runOrder.size);
  return [...messages].sort((a, b) => runOrder.get(a.runId)! - runOrder.get(b.runId)! || a.record.row - b.record.row);
}

export async function deliverCsvBatch(batch: SyncMessage[], deps: CsvBatchDeps): Promise<CsvManifest[]> {
  const { config } = deps;
  const messages = inChangeOrder(batch);
  const headerNames = { ...DEFAULT_HEADER_NAMES, ...config.csv.headerNames, ...deps.headerNames } as Record<string, string>;

  const sendable: Array<{ row: ImportRow; item: SyncMessage }> = [];
  const rejected: Array<{ message: SyncMessage; outcome: RowOutcome }> = [];
  for (const message of messages) {
    const { record } = message;
    if (isProtectedLogin(record.login, config.coupa.protectedLogins)) {
      const error = `"${record.login}" is a protected login (e.g. the integration's own user) and is never changed by the sync`;
      rejected.push({ message, outcome: rejectedOutcome(message, error) });
      continue;
    }
    const mapped = toImportRow(record, { ownedCollections: config.coupa.ownedCollections });
    if (mapped.ok) sendable.push({ row: mapped.row, item: message });
    else rejected.push({ message, outcome: rejectedOutcome(message, mapped.error) });
  }

  const files = planImportFiles(
    sendable,
    { maxRowsPerFile: config.csv.maxRowsPerFile, maxBytesPerFile: config.csv.maxBytesPerFile },
    headerNames,
  );
  const sentAt = deps.clock.now();
  const tag = batchTag(messages);
  const manifests: CsvManifest[] = [];
  for (const [index, file] of files.entries()) {
    const fileName = importFileName(sentAt, tag, index + 1);
    const { transferId } = await deps.drop.deliver(fileName, file.body, config.csv.remoteDirectory);
    const manifest: CsvManifest = {
      fileName,
      remoteDirectory: config.csv.remoteDirectory,
      sentAt: sentAt.toISOString(),
      transferId,
      rows: file.lines.flatMap((line, i) =>
        line.items.map((m) => ({
          line: i + 1,
          run: { runId: m.runId, file: m.file } satisfies RunRef,
          row: m.record.row,
          login: m.record.login,
          deactivate: line.row.deactivate,
        })),
      ),
    };
    await deps.manifests.save(manifest);
    manifests.push(manifest);
  }

  // Recorded only once every file went: a retried batch would otherwise record them twice.
  for (const { run, rows } of byRun(rejected)) {
    const outcomes = rows.map((r) => r.outcome);
    await deps.ledger.record(run, outcomes);
    await notifyFailures(run, outcomes, deps.notifier);
  }
  return manifests;
}
