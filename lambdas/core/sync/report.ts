/** The run report: every row's final outcome and the totals, in HR-file row order. */
import { OUTCOMES, type RowOutcome, type RunRef, type RunReport, type Totals } from '../model';

export function totalsOf(rows: RowOutcome[]): Totals {
  const totals = { rows: rows.length, absentees: 0 } as Totals;
  for (const outcome of OUTCOMES) totals[outcome] = 0;
  for (const row of rows) totals[row.outcome] += 1;
  return totals;
}

export function buildReport(
  run: RunRef,
  startedAt: Date,
  finishedAt: Date,
  outcomes: RowOutcome[],
  extra: Partial<Pick<RunReport, 'dryRun'>> = {},
): RunReport {
  const rows = [...outcomes].sort((a, b) => a.row - b.row);
  return {
    runId: run.runId,
    file: run.file,
    status: extra.dryRun ? 'planned' : 'complete',
    ...extra,
    roster: { mode: 'delta', rows: rows.length, logins: new Set(rows.map((r) => r.login)).size },
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    totals: totalsOf(rows),
    guards: [],
    rows,
    absentees: [],
  };
}

/** Exit status contract of `coupa-sync run`: 0 all applied or unchanged, 1 some rows not applied. */
export function exitCodeFor(report: RunReport): 0 | 1 {
  return report.totals.rejected + report.totals.failed > 0 ? 1 : 0;
}
