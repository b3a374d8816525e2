/**
 * What was sent in one user-import file, so Coupa's per-line verdict (read back later, maybe by
 * another Lambda) can be turned into per-HR-row outcomes.
 */
import type { RunRef } from '../model';

export interface CsvManifestRow {
  /** Data line in the file, 1-based, header excluded (Coupa's upload-error row − 1). */
  line: number;
  run: RunRef;
  /** The HR row (1-based data row of the HR file). */
  row: number;
  login: string;
  deactivate: boolean;
  /** A full-roster absentee (row 0): its outcome is listed under the report's absentees. */
  absent?: boolean;
  /** What the batcher changed in the row on its way (e.g. a manager that did not arrive in time): added to its outcome. */
  warnings?: string[];
}

export interface CsvManifest {
  fileName: string;
  remoteDirectory: string;
  sentAt: string;
  transferId: string;
  /** Transfers started for this file so far (1 = the first); the results poller re-sends a failed one. */
  attempts?: number;
  /** One entry per HR row settled by the file; superseded rows share their survivor's line. */
  rows: CsvManifestRow[];
}

export interface ManifestStore {
  save(m: CsvManifest): Promise<void>;
  /** Manifests not completed yet, oldest file first. */
  pending(): Promise<CsvManifest[]>;
  complete(fileName: string): Promise<void>;
}

/** A ManifestStore in memory (tests, one-shot local runs). */
export function createMemoryManifestStore(): ManifestStore & { completed: string[] } {
  const open = new Map<string, CsvManifest>();
  const completed: string[] = [];
  return {
    completed,
    async save(m) {
      open.set(m.fileName, structuredClone(m));
    },
    async pending() {
      return [...open.values()].sort((a, b) => a.fileName.localeCompare(b.fileName)).map((m) => structuredClone(m));
    },
    async complete(fileName) {
      if (open.delete(fileName)) completed.push(fileName);
    },
  };
}
