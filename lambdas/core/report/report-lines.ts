/**
 * The report as one flat list of lines, the shape report.csv and report.html both list: the HR
 * file's rows in row order, then the absentees (active Coupa users a full roster no longer lists,
 * which have no file row).
 */
import type { AbsenteeOutcome, FieldChange, Outcome, RowOutcome, RunReport } from '../model';
import { isSpooled, reportRows } from './report-rows';

export interface ReportLine {
  /** The 1-based data row of the HR file; undefined for an absentee. */
  row?: number;
  login: string;
  outcome: Outcome;
  /** Names of the fields changed (or that would change, or are held). */
  fields: string[];
  changes: FieldChange[];
  errors: string[];
  warnings: string[];
}

/** Outcomes that mean "not applied as asked": listed as failures. */
export const FAILURE_OUTCOMES: readonly Outcome[] = ['rejected', 'failed', 'skipped'];
/** Outcomes that changed a user in Coupa (or would, in a dry run): listed as changes. */
export const CHANGE_OUTCOMES: readonly Outcome[] = ['created', 'updated', 'deactivated', 'reactivated', 'applied'];

const fileLine = (r: RowOutcome): ReportLine => ({
  row: r.row,
  login: r.login,
  outcome: r.outcome,
  fields: r.changedFields ?? (r.changes ?? []).map((c) => c.field),
  changes: r.changes ?? [],
  errors: r.errors ?? [],
  warnings: r.warnings ?? [],
});

const absentLine = (a: AbsenteeOutcome): ReportLine => ({
  login: a.login,
  outcome: a.outcome,
  fields: (a.changes ?? []).map((c) => c.field),
  changes: a.changes ?? [],
  errors: a.errors ?? [],
  warnings: [],
});

/** The lines one at a time (a spooled report's rows are read as they are listed). */
export function* reportLineIter(report: RunReport): Iterable<ReportLine> {
  // A report's rows are in row order already (buildReport, a spool); sorting an array again costs
  // little and makes "row order" hold for any report handed in.
  const rows = isSpooled(report) ? reportRows(report) : [...report.rows].sort((a, b) => a.row - b.row);
  for (const r of rows) yield fileLine(r);
  for (const a of report.absentees) yield absentLine(a);
}

export function reportLines(report: RunReport): ReportLine[] {
  return [...reportLineIter(report)];
}

export function linesWithOutcome(lines: ReportLine[], outcomes: readonly Outcome[]): ReportLine[] {
  return lines.filter((l) => outcomes.includes(l.outcome));
}
