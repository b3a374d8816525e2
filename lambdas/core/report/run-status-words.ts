/**
 * A run's status in words for the people who read the report: what happened, and what to do next.
 * The commands named are the CLI's; in AWS the same steps apply to the dropped file.
 */
import type { RunReport, RunStatus } from '../model';
import { html, type SafeHtml } from './html';
import { CHANGE_OUTCOMES } from './report-lines';
import { reportRows, skippedOnPurpose } from './report-rows';

export const STATUS_WORDS: Record<RunStatus, string> = {
  complete: 'Complete',
  planned: 'Planned (dry run): nothing written',
  held: 'Held: waiting for approval',
  stopped: 'Stopped part-way',
  expired: 'Expired: held and not approved in time',
  rejected: 'Rejected by an operator',
};

/**
 * The run's status in words for the badge, the page title and the CLI: a complete run with rows not
 * applied says so with the count, never a plain "Complete".
 */
export function statusWords(report: RunReport): string {
  const failures = failedRows(report);
  if (report.status === 'complete' && failures > 0) return `Completed with ${failures} failure${failures === 1 ? '' : 's'}`;
  return STATUS_WORDS[report.status];
}

/** The badge's colour class: a complete run with failures is not green. */
export function statusClass(report: RunReport): string {
  return report.status === 'complete' && failedRows(report) > 0 ? 's-complete-failures' : `s-${report.status}`;
}

function somethingApplied(report: RunReport): boolean {
  for (const r of reportRows(report)) if (CHANGE_OUTCOMES.includes(r.outcome)) return true;
  return false;
}

/** Rows not applied as asked; rows the config skips on purpose (skip rules, duplicates) are not among them. */
function failedRows(report: RunReport): number {
  return report.totals.failed + report.totals.rejected + report.totals.skipped - skippedOnPurpose(report).total;
}

/** What happened, in one sentence. */
export function statusExplanation(report: RunReport): string {
  switch (report.status) {
    case 'complete':
      if (failedRows(report) > 0) return 'The run finished, but some rows were not applied: see the failures below.';
      // CSV channel: delivered to Coupa's sFTP, the loader's verdict not read back in time.
      if (report.totals.submitted > 0) return "The run finished; some rows were delivered but Coupa's verdict on them was not read back yet (submitted).";
      return 'The run finished: every row was applied or needed no change.';
    case 'planned':
      return 'A dry run: nothing was written to Coupa. The changes below are what a real run would do.';
    case 'held':
      return somethingApplied(report)
        ? 'A guard held the run: the held changes below were NOT written; the other changes were applied.'
        : 'A guard held the run before anything was written to Coupa.';
    case 'stopped':
      return 'The circuit breaker stopped the run because too many writes to Coupa failed; the rows after the stop were not written.';
    case 'expired':
      return 'The run was held and not approved in time: none of its held changes were written.';
    case 'rejected':
      return 'The run was held and an operator refused it: none of its held changes were written.';
  }
}

/** The next steps, as a list of items (empty when there is nothing to do). */
export function nextSteps(report: RunReport): SafeHtml[] {
  const dropAgain = 'Once fixed, drop the same HR file again: rows already applied come out unchanged.';
  switch (report.status) {
    case 'held':
      return [
        html`Check the held changes below, with the guard verdicts and the reason above.`,
        html`If they are right, approve the run: <code>${report.commands?.approve ?? `coupa-sync approve ${report.runId}`}</code>`,
        report.commands
          ? html`If they are wrong, reject it: <code>${report.commands.reject}</code>, then correct the HR file and run it again. An unapproved run expires without writing its held changes.`
          : html`If they are wrong, do not approve: correct the HR file and drop it again. An unapproved run expires without writing its held changes.`,
      ];
    case 'stopped':
      return [html`Find the cause in the failures below (often Coupa unreachable, or refusing the credentials).`, html`${dropAgain}`];
    case 'expired':
    case 'rejected':
      return [html`To apply these changes after all, drop the HR file again: it starts a new run, checked by the guards again.`];
    case 'planned':
      return [html`To apply these changes, run the same file again without the dry run.`];
    case 'complete':
      return failedRows(report) > 0
        ? [html`Fix each failed or rejected row as its message says, in the HR file or in Coupa.`, html`${dropAgain}`]
        : [];
  }
}
