/** The human-readable end-of-run summary printed by `coupa-sync run` and `npm start`. */
import { OUTCOMES, type RowOutcome, type RunReport } from '../../lambdas/core/model';

/** Always shown; the others (CSV channel, reactivations, held runs) only when they occur. */
const ALWAYS = new Set(['created', 'updated', 'deactivated', 'unchanged', 'rejected', 'failed']);
/** Outcomes that changed (or would change, or wait to change) a user. */
const CHANGED = new Set(['created', 'updated', 'deactivated', 'reactivated', 'applied', 'submitted', 'held']);
/** Longer lists are cut here: the report file has every row. */
const MAX_LISTED = 50;

function listed(rows: RowOutcome[], line: (r: RowOutcome) => string): string[] {
  const lines = rows.slice(0, MAX_LISTED).map(line);
  if (rows.length > MAX_LISTED) lines.push(`  … and ${rows.length - MAX_LISTED} more (see the report)`);
  return lines;
}

export function formatSummary(report: RunReport, seconds: number): string {
  const t = report.totals;
  const counts = OUTCOMES.filter((k) => ALWAYS.has(k) || t[k] > 0).map((k) => `${k} ${t[k]}`);
  const lines = [
    `${report.dryRun ? 'Dry run (nothing written) ' : 'Run '}${report.runId} of ${report.file}: ${t.rows} row(s) in ${seconds.toFixed(1)} s`,
    `  ${counts.join(' · ')}`,
  ];
  if (t.rows === 0) lines.push('  The file has no data rows: nothing to do (is it the right export?)');
  // Held or stopped: why, and what to do (the approve command for a held run).
  if (report.reason) lines.push(`  ${report.status === 'held' ? 'Held' : report.status === 'stopped' ? 'Stopped' : 'Note'}: ${report.reason}`);
  const changed = report.rows.filter((r) => CHANGED.has(r.outcome) && r.changedFields && r.changedFields.length > 0);
  if (changed.length > 0) {
    // Field names only: the values (before → after) are personal data, kept in the report files.
    lines.push(report.dryRun ? 'Would change (before → after of each field in the report):' : report.status === 'held' ? 'Held for approval:' : 'Changed:');
    lines.push(...listed(changed, (r) => `  row ${r.row}  ${r.login}  ${r.outcome}: ${r.changedFields!.join(', ')}`));
  }
  if (report.absentees.length > 0) {
    lines.push(`Absent from the full roster (${report.absentees.length}):`);
    lines.push(...listed(report.absentees.map((a) => ({ row: 0, ...a })), (a) => `  ${a.login}  ${a.outcome}${a.errors?.length ? `: ${a.errors.join('; ')}` : ''}`));
  }
  const bad = report.rows.filter((r) => r.outcome === 'rejected' || r.outcome === 'failed');
  if (bad.length > 0) {
    lines.push('Not applied:');
    lines.push(...listed(bad, (r) => `  row ${r.row}  ${r.login || '(no login)'}  ${r.outcome}: ${(r.errors ?? []).join('; ')}`));
  }
  return lines.join('\n');
}
