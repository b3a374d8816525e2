/**
 * The CSV channel's applier: planned changes → Coupa user-import files in /Incoming/Users, named so
 * Coupa's alphanumeric order is the plan's order (level by level: managers before their reports),
 * then Coupa's loader verdict read back into one result per change. Only planned changes are sent:
 * an unchanged user never reaches a file.
 */
import type { SyncConfig } from '../config';
import type { PlannedChange, RowOutcome, RunRef } from '../model';
import type { Clock, DataFileSourceReader, FileDrop, Notifier } from '../ports';
import type { Applier } from '../run/run-sync';
import { resultOf, type ChangeResult } from '../apply/outcomes';
import { importFileName, planImportFiles } from './file-splitter';
import { manifestOf } from './batcher';
import { createMemoryManifestStore, type CsvManifest } from './manifest';
import { collectCsvResults } from './results';
import { DEFAULT_HEADER_NAMES, type ImportColumn } from './user-import-format';
import { importRowOf, type ImportRow } from './user-import-row';

export interface CsvApplierDeps {
  run: RunRef;
  drop: FileDrop;
  reader: DataFileSourceReader;
  notifier: Notifier;
  clock: Clock;
  config: Pick<SyncConfig, 'csv' | 'coupa'>;
  /** Seconds to wait for Coupa's loader (0 = do not wait: changes end as `submitted`). */
  waitSeconds: number;
  pollSeconds?: number;
  onProgress?: (message: string) => void;
}

export function csvApplier(deps: CsvApplierDeps): Applier {
  return {
    async apply(changes: PlannedChange[], onResult: (r: ChangeResult) => void) {
      const { config } = deps;
      const headerNames = { ...DEFAULT_HEADER_NAMES, ...config.csv.headerNames } as Record<ImportColumn, string>;
      const manifests = createMemoryManifestStore();
      const byLogin = new Map(changes.map((c) => [c.login.toLowerCase(), c]));
      const sentAt = deps.clock.now();
      const tag = deps.run.runId.slice(-8);
      const sent: CsvManifest[] = [];
      let seq = 0;

      for (const level of [...new Set(changes.map((c) => c.level))].sort((a, b) => a - b)) {
        const entries: Array<{ row: ImportRow; item: PlannedChange }> = [];
        for (const change of changes.filter((c) => c.level === level)) {
          const mapped = importRowOf(change);
          if (mapped.ok) entries.push({ row: mapped.row, item: change });
          else onResult(resultOf(change, 'rejected', [mapped.error]));
        }
        const files = planImportFiles(entries, { maxRowsPerFile: config.csv.maxRowsPerFile, maxBytesPerFile: config.csv.maxBytesPerFile }, headerNames);
        for (const file of files) {
          const fileName = importFileName(sentAt, tag, ++seq);
          const lines = file.lines.map((line) => ({ items: line.items.map((change) => ({ ...deps.run, change })) }));
          try {
            const { transferId } = await deps.drop.deliver(fileName, file.body, config.csv.remoteDirectory);
            const manifest = manifestOf(fileName, config.csv.remoteDirectory, sentAt, transferId, lines);
            await manifests.save(manifest);
            sent.push(manifest);
          } catch (err) {
            for (const line of file.lines) for (const change of line.items) onResult(resultOf(change, 'failed', [`could not deliver the user-import file ${fileName}: ${(err as Error).message}`]));
          }
        }
      }
      if (sent.length === 0) return {};

      const settled = new Set<string>();
      const settle = (o: RowOutcome, extra?: string) => {
        const change = byLogin.get(o.login.toLowerCase());
        if (!change || settled.has(change.login)) return;
        settled.add(change.login);
        // The loader answers applied or deactivated; a create or update it accepted keeps its planned before → after.
        onResult(resultOf(change, o.outcome, o.errors ?? (extra ? [extra] : undefined)));
      };
      let unconfirmed = (m: CsvManifest) =>
        deps.waitSeconds === 0
          ? `delivered as ${m.fileName}; not waiting for Coupa's loader (--wait-results 0)`
          : `delivered as ${m.fileName}; Coupa had not loaded it after ${deps.waitSeconds} s (see /data_sources in Coupa)`;
      try {
        const { outcomes } = await collectCsvResults(
          sent,
          { reader: deps.reader, manifests, notifier: deps.notifier, clock: deps.clock, ledger: { record: async () => undefined } },
          { timeoutSeconds: deps.waitSeconds, pollSeconds: deps.pollSeconds ?? 5, onProgress: deps.onProgress },
        );
        for (const o of outcomes) settle(o);
      } catch (err) {
        const why = (err as Error).message;
        unconfirmed = (m) => `delivered as ${m.fileName}; its load result could not be read: ${why}`;
      }
      for (const m of await manifests.pending()) {
        for (const r of m.rows) settle({ row: r.row, login: r.login, outcome: 'submitted' }, unconfirmed(m));
      }
      return {};
    },
  };
}
