/**
 * Failure notifications: one message per run and batch, naming file, row, login and
 * Coupa's own error text, so whoever reads it can act without opening a log. Plus the one
 * digest per finished run (AWS: the run's Report step) that repeats the totals and every row not applied.
 */
import { OUTCOMES, type RowOutcome, type RunRef, type RunReport, type Totals } from '../model';
import type { Notification, Notifier } from '../ports';
import { reportRows } from '../report/report-rows';
import { describeCoupaMonitoring } from '../monitoring/monitoring-text';

export interface SettledRow {
  message: RunRef;
  outcome: RowOutcome;
}

export function byRun(settled: SettledRow[]): Array<{ run: RunRef; rows: SettledRow[] }> {
  const runs = new Map<string, { run: RunRef; rows: SettledRow[] }>();
  for (const s of settled) {
    const entry = runs.get(s.message.runId) ?? { run: { runId: s.message.runId, file: s.message.file }, rows: [] };
    entry.rows.push(s);
    runs.set(s.message.runId, entry);
  }
  return [...runs.values()];
}

/** The digest lists the first failures (issue 10: the first 20); the report has them all. */
export const MAX_LISTED = 20;

export function describeFailure(o: RowOutcome): string {
  // A row that never reported back has no known login (the split keeps counts, not rosters).
  // The fields it tried to change name where Coupa's message points (a rejected row's errors name theirs).
  const fields = o.outcome === 'failed' && o.changedFields?.length ? ` (fields ${o.changedFields.join(', ')})` : '';
  return `row ${o.row}, login ${o.login || '(unknown)'}${fields}: ${o.outcome} — ${(o.errors ?? []).join('; ')}`;
}

const notApplied = (o: RowOutcome) => o.outcome === 'failed' || o.outcome === 'rejected';

/** One line per bad row, at most MAX_LISTED (the first of `count`), then a pointer to the report. */
function failureLines(bad: RowOutcome[], count = bad.length): string[] {
  const lines = bad.slice(0, MAX_LISTED).map(describeFailure);
  if (count > MAX_LISTED) lines.push(`… and ${count - MAX_LISTED} more (see the run report)`);
  return lines;
}

/** `6 rows: 1 created, 1 updated, 1 failed` (outcomes that did not occur are left out); a full roster's absentees named too. */
export function describeTotals(totals: Totals): string {
  const counts = OUTCOMES.filter((o) => totals[o] > 0).map((o) => `${totals[o]} ${o}`);
  const absentees = totals.absentees > 0 ? ` and ${totals.absentees} absentee(s)` : '';
  return `${totals.rows} row(s)${absentees}${counts.length ? `: ${counts.join(', ')}` : ''}`;
}

/**
 * The one digest of a finished run: totals, where its report files are (one `Report:` line each,
 * in the order given), then every row and absentee not applied (severity failure if any).
 */
export function runDigest(report: RunReport, reportLocations: string[] = []): Notification {
  const run = { runId: report.runId, file: report.file };
  // One pass over the rows (a spooled report's are read, not held): the first few, the count, the logins.
  const bad: RowOutcome[] = [];
  let badCount = 0;
  const badLogins = new Set<string>();
  const skippedBy = { 'hr.rows.skip': 0, 'hr.duplicates': 0 };
  let warned = 0;
  for (const o of reportRows(report)) {
    if (o.outcome === 'skipped' && o.skippedBy) skippedBy[o.skippedBy] += 1;
    if (!notApplied(o) && o.warnings?.length) warned += 1;
    if (!notApplied(o)) continue;
    badCount += 1;
    if (bad.length < MAX_LISTED) bad.push(o);
    if (o.login) badLogins.add(o.login);
  }
  const badAbsentees = report.absentees.filter((a) => a.outcome === 'failed' || a.outcome === 'rejected');
  const where = reportLocations.map((location) => `Report: ${location}`);
  const notDone = [badCount > 0 ? `${badCount} row(s)` : '', badAbsentees.length > 0 ? `${badAbsentees.length} absentee(s)` : ''].filter(Boolean);
  const absenteeLines = badAbsentees.slice(0, MAX_LISTED).map((a) => `absentee ${a.login}: ${a.outcome} — ${(a.errors ?? []).join('; ')}`);
  if (badAbsentees.length > MAX_LISTED) absenteeLines.push(`… and ${badAbsentees.length - MAX_LISTED} more absentee(s) (see the run report)`);
  const logins = [...new Set([...badLogins, ...badAbsentees.map((a) => a.login)].filter(Boolean))];
  return {
    kind: 'digest',
    severity: notDone.length > 0 ? 'failure' : 'info',
    subject: `Coupa user sync report: ${report.file}: ${subjectOf(report, notDone)}`,
    message: [
      `Run ${report.runId}, file ${report.file}: ${describeTotals(report.totals)}.`,
      ...(report.status === 'complete' || !report.reason ? [] : [`Status ${report.status}: ${report.reason}`]),
      ...skippedLines(skippedBy),
      ...(warned > 0 ? [`${warned} row(s) with warnings: applied without the part each warning names (e.g. a manager that exists nowhere); see the report.`] : []),
      ...where,
      ...(report.coupaMonitoring ? describeCoupaMonitoring(report.coupaMonitoring) : []),
      ...failureLines(bad, badCount),
      ...absenteeLines,
    ].join('\n'),
    run,
    ...(notDone.length > 0 ? { logins } : {}),
  };
}

/** Rows the config left out on purpose, counted (they are no failure: the report names each one's rule or row). */
function skippedLines(counts: Record<'hr.rows.skip' | 'hr.duplicates', number>): string[] {
  const lines: string[] = [];
  if (counts['hr.rows.skip'] > 0) lines.push(`${counts['hr.rows.skip']} row(s) skipped by hr.rows.skip.`);
  if (counts['hr.duplicates'] > 0) lines.push(`${counts['hr.duplicates']} row(s) skipped as duplicates of another row of their login (hr.duplicates).`);
  return lines;
}

/** What the digest's subject says of the run: a decision still to take, or what was not applied. */
function subjectOf(report: RunReport, notDone: string[]): string {
  if (report.status === 'rejected') return 'run rejected';
  if (report.status === 'expired') return 'held run expired, nothing of it written';
  const held = report.status === 'held' ? `held for approval (${report.totals.held} row(s) wait)` : '';
  const bad = notDone.length > 0 ? `${notDone.join(' and ')} not applied` : '';
  return [held, bad].filter(Boolean).join('; ') || 'all rows done';
}

/** Publishes the rejected and failed rows of one run (nothing when all went well). */
export async function notifyFailures(run: RunRef, outcomes: RowOutcome[], notifier: Notifier): Promise<void> {
  const bad = outcomes.filter(notApplied);
  if (bad.length === 0) return;
  const lines = failureLines(bad);
  await notifier.publish({
    kind: 'failures',
    severity: 'failure',
    subject: `Coupa user sync: ${bad.length} row(s) not applied from ${run.file}`,
    message: [`Run ${run.runId}, file ${run.file}:`, ...lines].join('\n'),
    run,
    logins: [...new Set(bad.map((o) => o.login))],
  });
}
