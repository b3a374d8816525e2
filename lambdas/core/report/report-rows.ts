/**
 * A report's file rows, wherever they are: in `report.rows`, or — a report whose rows were spooled
 * to a file while the run decided them (run/row-outcomes.ts) — read back one at a time, in row
 * order. The writers, the summary and the digest iterate `reportRows(report)`, never `report.rows`,
 * so a spooled report of a million rows never holds a million row objects at once.
 *
 * A spooled report still has `rows`: reading it reads every row into an array, once (a program or
 * a test that wants the rows gets them; the CLI's own path never asks).
 */
import type { RowOutcome, RunReport } from '../model';

const SOURCES = new WeakMap<RunReport, () => Iterable<RowOutcome>>();

/** The report's file rows as stored: row order for a report from buildReport or a spooled one. */
export function reportRows(report: RunReport): Iterable<RowOutcome> {
  return SOURCES.get(report)?.() ?? report.rows;
}

/** True while the report's rows are read from its spool (not yet turned into an array). */
export function isSpooled(report: RunReport): boolean {
  return SOURCES.has(report);
}

/**
 * Gives `report` (whose `rows` key is a placeholder, so it keeps its place in the key order and in
 * report.json) rows read from `source` on demand.
 */
export function spoolRows(report: RunReport, source: () => Iterable<RowOutcome>): RunReport {
  const settle = (rows: RowOutcome[]) => {
    SOURCES.delete(report);
    Object.defineProperty(report, 'rows', { value: rows, writable: true, enumerable: true, configurable: true });
    return rows;
  };
  Object.defineProperty(report, 'rows', {
    get: () => settle([...source()]),
    set: (rows: RowOutcome[]) => settle(rows),
    enumerable: true,
    configurable: true,
  });
  SOURCES.set(report, source);
  return report;
}

/**
 * Rows the config left out on purpose (hr.rows.skip, hr.duplicates): `skipped`, but no failure of
 * the run. One pass over the rows, only when the report has skipped rows at all.
 */
export function skippedOnPurpose(report: RunReport): { total: number; byRule: number; duplicates: number } {
  let byRule = 0;
  let duplicates = 0;
  if (report.totals.skipped > 0) {
    for (const row of reportRows(report)) {
      if (row.outcome !== 'skipped') continue;
      if (row.skippedBy === 'hr.rows.skip') byRule += 1;
      else if (row.skippedBy === 'hr.duplicates') duplicates += 1;
    }
  }
  return { total: byRule + duplicates, byRule, duplicates };
}
