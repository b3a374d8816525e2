/** The human-readable end-of-run summary printed by `coupa-sync run` and `npm start`. */
import type { RunReport } from '../../lambdas/core/model';

const SHOWN = ['created', 'updated', 'deactivated', 'unchanged', 'applied', 'submitted', 'rejected', 'failed'] as const;
/** Shown only when they occur: they belong to the CSV channel. */
const CSV_ONLY = new Set(['applied', 'submitted']);

export function formatSummary(report: RunReport, seconds: number): string {
  const t = report.totals;
  const counts = SHOWN.filter((k) => !CSV_ONLY.has(k) || t[k] > 0).map((k) => `${k} ${t[k]}`);
  const lines = [
    `${report.dryRun ? 'Dry run (nothing written) ' : 'Run '}${report.runId} of ${report.file}: ${t.rows} row(s) in ${seconds.toFixed(1)} s`,
    `  ${counts.join(' · ')}`,
  ];
  const changed = report.rows.filter((r) => r.changedFields && r.changedFields.length > 0);
  if (changed.length > 0) {
    lines.push(report.dryRun ? 'Would change:' : 'Changed:');
    for (const r of changed) lines.push(`  row ${r.row}  ${r.login}  ${r.outcome}: ${r.changedFields!.join(', ')}`);
  }
  const bad = report.rows.filter((r) => r.outcome === 'rejected' || r.outcome === 'failed');
  if (bad.length > 0) {
    lines.push('Not applied:');
    for (const r of bad) lines.push(`  row ${r.row}  ${r.login || '(no login)'}  ${r.outcome}: ${(r.errors ?? []).join('; ')}`);
  }
  return lines.join('\n');
}
