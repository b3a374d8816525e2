/**
 * The texts the sync writes into Coupa's integration monitoring. They name the row, the login, the
 * field and Coupa's own message, never another personal value (no names, e-mails or before → after
 * values: Coupa shows these texts to every admin who can see integrations).
 */
import { OUTCOMES, type CoupaMonitoringSummary, type RowOutcome, type Totals } from '../model';

/** Coupa's documents give no length for these texts: the emulator keeps 1024 characters; we stay under. */
export const MAX_MONITORING_TEXT = 1000;
/** Failed creates named in a run's text; the rest are counted. */
const MAX_LISTED_CREATES = 20;

export function fitText(text: string): string {
  return text.length <= MAX_MONITORING_TEXT ? text : `${text.slice(0, MAX_MONITORING_TEXT - 1)}…`;
}

function where(o: RowOutcome): string {
  return o.absent ? `absentee, login ${o.login}` : `row ${o.row}, login ${o.login}`;
}

/** `row 4, login jdoe, field email: Email has already been taken`. */
export function errorText(o: RowOutcome): string {
  const fields = o.changedFields?.length ? `, field ${o.changedFields.join(', ')}` : '';
  return fitText(`${where(o)}${fields}: ${(o.errors ?? []).join('; ') || 'failed'}`);
}

/** Every outcome's count, zeros included (an admin compares runs): `created 1, updated 2, …, failed 0`. */
export function describeMonitoredTotals(totals: Totals): string {
  const always = ['created', 'updated', 'deactivated', 'reactivated', 'unchanged', 'rejected', 'failed'];
  const counts = OUTCOMES.filter((o) => always.includes(o) || totals[o] > 0).map((o) => `${o} ${totals[o]}`);
  return counts.join(', ');
}

/** The failed creates (no Coupa record to hang an error on), named by row and login. */
export function failedCreatesText(failed: RowOutcome[]): string {
  const named = failed.slice(0, MAX_LISTED_CREATES).map(where).join('; ');
  const more = failed.length > MAX_LISTED_CREATES ? `; and ${failed.length - MAX_LISTED_CREATES} more` : '';
  return `${failed.length} failed create(s), not in Coupa: ${named}${more}`;
}

/**
 * The line the CLI summary and the digest give: `Coupa integration run 17: failed, 2 errors raised,
 * 1 resolved`; or the warning when monitoring could not write.
 */
export function describeCoupaMonitoring(summary: CoupaMonitoringSummary): string[] {
  const lines: string[] = [];
  if (summary.integrationRunId) {
    const status = summary.status ?? 'pending';
    lines.push(`Coupa integration run ${summary.integrationRunId}: ${status}, ${summary.raised} error${summary.raised === 1 ? '' : 's'} raised, ${summary.resolved} resolved${summary.url ? ` (${summary.url})` : ''}`);
  }
  if (summary.warning) lines.push(`Warning: ${summary.warning}`);
  return lines;
}
