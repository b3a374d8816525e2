/** The human-readable end-of-run summary printed by `coupa-sync run` and `npm start`. */
import { OUTCOMES, type RowOutcome, type RunReport } from '../../lambdas/core/model';
import { reportRows, skippedOnPurpose } from '../../lambdas/core/report/report-rows';
import { describeCoupaMonitoring } from '../../lambdas/core/monitoring/monitoring-text';
import { statusWords } from '../../lambdas/core/report/run-status-words';

/** Always shown; the others (CSV channel, reactivations, held runs) only when they occur. */
const ALWAYS = new Set(['created', 'updated', 'deactivated', 'unchanged', 'rejected', 'failed']);
/** Outcomes that changed (or would change, or wait to change) a user. */
const CHANGED = new Set(['created', 'updated', 'deactivated', 'reactivated', 'applied', 'submitted', 'held']);
/** Longer lists are cut here: the report file has every row. */
const MAX_LISTED = 50;

/** The first MAX_LISTED of a list, and how many there are (a spooled report's rows are read, not held). */
interface Listed<T> {
  first: T[];
  count: number;
}

function listed<T>(rows: Listed<T>, line: (r: T) => string): string[] {
  const lines = rows.first.map(line);
  if (rows.count > MAX_LISTED) lines.push(`  … and ${rows.count - MAX_LISTED} more (see the report)`);
  return lines;
}

const all = <T>(rows: T[]): Listed<T> => ({ first: rows.slice(0, MAX_LISTED), count: rows.length });

/** The rows the summary lists, in one pass over the report's rows. */
function listedRows(report: RunReport): { changed: Listed<RowOutcome>; bad: Listed<RowOutcome>; warned: Listed<RowOutcome> } {
  const changed: Listed<RowOutcome> = { first: [], count: 0 };
  const bad: Listed<RowOutcome> = { first: [], count: 0 };
  const warned: Listed<RowOutcome> = { first: [], count: 0 };
  const keep = (list: Listed<RowOutcome>, r: RowOutcome) => {
    list.count += 1;
    if (list.first.length < MAX_LISTED) list.first.push(r);
  };
  for (const r of reportRows(report)) {
    if (CHANGED.has(r.outcome) && r.changedFields && r.changedFields.length > 0) keep(changed, r);
    if (r.outcome === 'rejected' || r.outcome === 'failed') keep(bad, r);
    else if (r.warnings?.length) keep(warned, r);
  }
  return { changed, bad, warned };
}

/** What to do next: the commands that approve or reject a held run, or how to apply a plan. */
function nextLines(report: RunReport, embedded: boolean): string[] {
  const wouldHold = report.guards.some((g) => g.held);
  if (report.status === 'planned') {
    return [`To apply it, run the same command with "run" instead of "plan"${wouldHold ? ' (a guard will hold it for approval)' : ''}.`];
  }
  if (report.status !== 'held') return [];
  if (report.commands) {
    return [
      'Check the plan (--report FILE.html shows each change, before → after), then approve it:',
      `  ${report.commands.approve}`,
      'or reject it (add --why TEXT to say why):',
      `  ${report.commands.reject}`,
    ];
  }
  if (embedded) return ['The embedded emulator stopped with this run, so nothing is left to approve: to try approval, run against coupa-sync emulator with --coupa-url.'];
  return [`Check the plan, then approve it: coupa-sync approve ${report.runId} (with the run's --coupa-url, --config and --state-dir)`];
}

export function formatSummary(report: RunReport, seconds: number, context: { embedded?: boolean } = {}): string {
  const t = report.totals;
  const counts = OUTCOMES.filter((k) => ALWAYS.has(k) || t[k] > 0).map((k) => `${k} ${t[k]}`);
  const lines = [
    `${report.dryRun ? 'Dry run (nothing written) ' : 'Run '}${report.runId} of ${report.file}: ${t.rows} row(s) naming ${report.roster.logins} distinct login(s), in ${seconds.toFixed(1)} s`,
    `  ${statusWords(report)}: ${counts.join(' · ')}`,
  ];
  if (t.rows === 0) lines.push('  The file has no data rows: nothing to do (is it the right export?)');
  if (t.skipped > 0) {
    const { byRule, duplicates } = skippedOnPurpose(report);
    if (byRule > 0) lines.push(`  ${byRule} row${byRule === 1 ? '' : 's'} skipped by hr.rows.skip`);
    if (duplicates > 0) lines.push(`  ${duplicates} row${duplicates === 1 ? '' : 's'} skipped as duplicates of another row of their login (hr.duplicates)`);
  }
  if (report.coupaMonitoring) lines.push(...describeCoupaMonitoring(report.coupaMonitoring).map((line) => `  ${line}`));
  // Held or stopped: why, and what to do (the approve command for a held run).
  if (report.reason) lines.push(`  ${report.status === 'held' ? 'Held' : report.status === 'stopped' ? 'Stopped' : 'Note'}: ${report.reason}`);
  const { changed, bad, warned } = listedRows(report);
  if (changed.count > 0) {
    // Field names only: the values (before → after) are personal data, kept in the report files.
    lines.push(report.dryRun ? 'Would change (before → after of each field in the report):' : report.status === 'held' ? 'Held for approval:' : 'Changed:');
    lines.push(...listed(changed, (r) => `  row ${r.row}  ${r.login}  ${r.outcome}: ${r.changedFields!.join(', ')}`));
  }
  if (report.absentees.length > 0) {
    lines.push(`Absent from the full roster (${report.absentees.length}):`);
    lines.push(...listed(all(report.absentees), (a) => `  ${a.login}  ${a.outcome}${a.errors?.length ? `: ${a.errors.join('; ')}` : ''}`));
  }
  if (bad.count > 0) {
    lines.push('Not applied:');
    lines.push(...listed(bad, (r) => `  row ${r.row}  ${r.login || '(no login)'}  ${r.outcome}: ${(r.errors ?? []).join('; ')}`));
  }
  if (warned.count > 0) {
    // Applied (or unchanged) but not all of it: easy to miss in a run that exits 0.
    lines.push(`With warnings (${warned.count}): ${report.dryRun ? 'would be applied' : 'applied'} without the part each warning names; fix it in HR and run the file again:`);
    lines.push(...listed(warned, (r) => `  row ${r.row}  ${r.login}  ${r.outcome}: ${r.warnings!.join('; ')}`));
  }
  lines.push(...nextLines(report, context.embedded ?? false));
  return lines.join('\n');
}
