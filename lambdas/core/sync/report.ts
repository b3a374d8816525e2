/** The run report: every row's final outcome, the absentees, the totals and the guards' verdicts. */
import {
  OUTCOMES,
  type AbsenteeOutcome,
  type GuardVerdict,
  type RowOutcome,
  type RunRef,
  type RunReport,
  type RunStatus,
  type Totals,
} from '../model';
import { skippedOnPurpose } from '../report/report-rows';

export function totalsOf(rows: readonly RowOutcome[], absentees: readonly AbsenteeOutcome[] = []): Totals {
  const totals = { rows: rows.length, absentees: absentees.length } as Totals;
  for (const outcome of OUTCOMES) totals[outcome] = 0;
  for (const row of rows) totals[row.outcome] += 1;
  for (const a of absentees) totals[a.outcome] += 1;
  return totals;
}

export interface ReportDetails {
  status?: RunStatus;
  dryRun?: boolean;
  mode?: 'delta' | 'full';
  guards?: GuardVerdict[];
  reason?: string;
}

/** A ledger's absentee outcome (row 0, `absent`) as the report lists it. */
export function absenteeEntry(o: RowOutcome): AbsenteeOutcome {
  const { row: _row, absent: _absent, changedFields: _fields, warnings: _warnings, ...entry } = o;
  return entry;
}

/** Absentees by login. */
export function sortAbsentees(absentees: AbsenteeOutcome[]): AbsenteeOutcome[] {
  return absentees.sort((a, b) => a.login.localeCompare(b.login));
}

/**
 * Builds the report from the ledger's outcomes: file rows in row order (the last outcome of a row
 * wins), absentees (ledger entries with `absent`) by login.
 */
export function buildReport(run: RunRef, startedAt: Date, finishedAt: Date, outcomes: readonly RowOutcome[], details: ReportDetails = {}): RunReport {
  const byRow = new Map<number, RowOutcome>();
  const absent = new Map<string, AbsenteeOutcome>();
  for (const o of outcomes) {
    if (o.absent) absent.set(o.login, absenteeEntry(o));
    else byRow.set(o.row, o);
  }
  const rows = [...byRow.values()].sort((a, b) => a.row - b.row);
  const absentees = sortAbsentees([...absent.values()]);
  return {
    runId: run.runId,
    file: run.file,
    status: details.status ?? (details.dryRun ? 'planned' : 'complete'),
    ...(details.dryRun ? { dryRun: true } : {}),
    roster: { mode: details.mode ?? 'delta', rows: rows.length, logins: new Set(rows.filter((r) => r.login).map((r) => r.login.toLowerCase())).size },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    totals: totalsOf(rows, absentees),
    guards: details.guards ?? [],
    ...(details.reason ? { reason: details.reason } : {}),
    rows,
    absentees,
  };
}

/**
 * Exit status of `coupa-sync run|plan|approve`: 3 the run is held (nothing, or only the rest,
 * written: approve it), 1 some rows rejected, failed or skipped (other than rows the config leaves
 * out: hr.rows.skip, duplicates), or the run stopped part-way (the
 * breaker, or a file that broke), 0 otherwise.
 */
export function exitCodeFor(report: RunReport): 0 | 1 | 3 {
  if (report.status === 'held') return 3;
  if (report.status === 'stopped') return 1;
  const skipped = report.totals.skipped - skippedOnPurpose(report).total;
  return report.totals.rejected + report.totals.failed + skipped > 0 ? 1 : 0;
}

