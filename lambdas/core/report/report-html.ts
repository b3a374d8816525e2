/**
 * report.html: the run report as one self-contained page for the HR operations people who check a
 * run. It loads nothing (inline CSS, an inline SVG chart, one small inline script to sort tables)
 * and so opens the same from a laptop, an e-mail attachment or an S3 download, offline.
 *
 * Content-Security-Policy (a meta tag, as the file has no server to send a header): `default-src
 * 'none'`, and the one stylesheet and one script allowed by their SHA-256 hashes rather than
 * 'unsafe-inline'. Every value is escaped (html.ts), but should a value ever slip through as
 * markup, a hash still refuses any script or style it brings; 'unsafe-inline' would run it. Hashes
 * cover <style>/<script> elements only, so the page uses no style="" or on…="" attributes.
 */
import { createHash } from 'node:crypto';
import { OUTCOMES, type CoupaMonitoringSummary, type Outcome, type RunReport } from '../model';
import { SafeHtml, formatCount, html } from './html';
import { outcomeChartSvg } from './outcome-chart';
import { CHANGE_OUTCOMES, FAILURE_OUTCOMES, reportLineIter, type ReportLine } from './report-lines';
import { REPORT_STYLE } from './report-style';
import { COLUMNS, MAX_TABLE_LINES, linesTable } from './report-tables';
import { nextSteps, statusClass, statusExplanation, statusWords } from './run-status-words';
import { SORT_SCRIPT } from './sort-script';

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const REPORT_CSP = [
  "default-src 'none'",
  `style-src ${sha256(REPORT_STYLE)}`,
  `script-src ${sha256(SORT_SCRIPT)}`,
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Outcome tiles shown even at 0: "0 failed" is news too. */
const ALWAYS_COUNTED: readonly Outcome[] = ['rejected', 'failed'];

/** `2026-03-02T07:15:04.123Z` → `2026-03-02 07:15:04 UTC`, the same wherever it is opened. */
function utc(iso: string): string {
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
}

function duration(fromIso: string, toIso: string): string {
  const seconds = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (Number.isNaN(seconds)) return '';
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/**
 * Where an admin finds the run in Coupa (Setup > Integrations > Integration Runs): a link, the
 * only one the page has, a navigation the reader chooses, never a resource the page loads.
 */
function coupaMonitoringEntry(summary: CoupaMonitoringSummary): SafeHtml {
  const status = `${summary.status ?? 'pending'}, ${summary.raised} error(s) raised, ${summary.resolved} resolved`;
  const name = `Coupa integration run ${summary.integrationRunId ?? ''}`;
  const link = summary.url && /^https?:\/\//.test(summary.url) ? html`<a id="coupa-integration-run" href="${summary.url}" rel="noreferrer">${name}</a>` : html`${name}`;
  return html`<dt>In Coupa</dt><dd id="coupa-monitoring">${summary.integrationRunId ? html`${link}: ${status}` : ''}${summary.warning ? html`<br><strong>Warning:</strong> ${summary.warning}` : ''}</dd>`;
}

function runHeader(report: RunReport): SafeHtml {
  const roster = report.roster.mode === 'full' ? 'full roster (users not in the file are deactivated)' : 'delta (only the users in the file)';
  return html`<header class="run ${statusClass(report)}">
<h1>Coupa user sync report</h1>
<div class="file">${report.file}</div>
<div class="status" id="status">${statusWords(report)}</div>
<dl class="meta">
<dt>Run</dt><dd><code>${report.runId}</code></dd>
<dt>Started</dt><dd>${utc(report.startedAt)}</dd>
<dt>Finished</dt><dd>${utc(report.finishedAt)} (${duration(report.startedAt, report.finishedAt)})</dd>
<dt>Mode</dt><dd>${roster}: ${formatCount(report.roster.rows)} row(s) naming ${formatCount(report.roster.logins)} distinct login(s)</dd>
${report.coupaMonitoring ? coupaMonitoringEntry(report.coupaMonitoring) : ''}
</dl>
</header>`;
}

/** What happened and what to do; the guard verdicts and the reason, whenever the report has them. */
function attention(report: RunReport): SafeHtml {
  const steps = nextSteps(report);
  const guards = report.guards.map(
    (g) => html`<li><span class="verdict ${g.held ? 'held' : 'passed'}">${g.held ? 'held' : 'passed'}</span><strong>${g.guard} guard</strong>: ${g.detail}</li>`,
  );
  return html`<section id="attention" class="attention ${statusClass(report)}">
<h2>${statusExplanation(report)}</h2>
${report.reason ? html`<p id="reason"><strong>Reason:</strong> ${report.reason}</p>` : ''}
${guards.length > 0 ? html`<h3>Guard verdicts</h3><ul class="guards" id="guards">${guards}</ul>` : ''}
${steps.length > 0 ? html`<h3>What to do</h3><ol id="next-steps">${steps.map((s) => html`<li>${s}</li>`)}</ol>` : ''}
</section>`;
}

function tile(count: number, what: string, outcome?: Outcome): SafeHtml {
  return html`<div class="tile${outcome ? html` outcome o-${outcome}` : ''}" data-total="${what}"><span class="count">${formatCount(count)}</span><span class="what">${what}</span></div>`;
}

function totalsSection(report: RunReport): SafeHtml {
  const t = report.totals;
  const outcomes = OUTCOMES.filter((o) => t[o] > 0 || ALWAYS_COUNTED.includes(o));
  return html`<div class="overview">
<section id="totals">
<h2>Totals</h2>
<div class="totals">
${tile(t.rows, 'rows in the file')}
${report.roster.mode === 'full' || t.absentees > 0 ? tile(t.absentees, 'absentees') : ''}
${outcomes.map((o) => tile(t[o], o, o))}
</div>
</section>
<section id="chart">
<h2>Outcomes</h2>
${outcomeChartSvg(t)}
</section>
</div>`;
}

/** A table's lines: the first MAX_TABLE_LINES (all the page shows) and how many there are. */
interface TableLines {
  lines: ReportLine[];
  total: number;
}

/**
 * The four tables' lines in one pass over the report, each kept only up to the page's cap: a
 * spooled report of a million rows is read once and never held whole.
 */
function tablesOf(report: RunReport): Record<'held' | 'failures' | 'changes' | 'absentees', TableLines> {
  const tables = { held: { lines: [], total: 0 }, failures: { lines: [], total: 0 }, changes: { lines: [], total: 0 }, absentees: { lines: [], total: 0 } };
  const keep = (table: TableLines, line: ReportLine) => {
    table.total += 1;
    if (table.lines.length < MAX_TABLE_LINES) table.lines.push(line);
  };
  for (const line of reportLineIter(report)) {
    if (line.outcome === 'held') keep(tables.held, line);
    if (FAILURE_OUTCOMES.includes(line.outcome)) keep(tables.failures, line);
    if (CHANGE_OUTCOMES.includes(line.outcome)) keep(tables.changes, line);
    if (line.row === undefined) keep(tables.absentees, line);
  }
  return tables;
}

function linesSection(id: string, title: string, intro: string, lines: TableLines, table: () => SafeHtml): SafeHtml {
  return html`<section id="${id}">
<h2>${title} <span class="muted">(${formatCount(lines.total)})</span></h2>
<p class="muted">${intro}</p>
${lines.total > 0 ? table() : html`<p>None.</p>`}
</section>`;
}

function heldSection(held: TableLines): SafeHtml {
  if (held.total === 0) return html``;
  return linesSection('held', 'Held changes', 'Not written to Coupa: each waits for the run to be approved.', held, () =>
    linesTable('held-table', held.lines, [COLUMNS.row, COLUMNS.login, COLUMNS.changes, { ...COLUMNS.problems, header: 'Warnings' }], 'held changes', held.total),
  );
}

function failuresSection(failures: TableLines): SafeHtml {
  return linesSection('failures', 'Failures', 'Rows rejected (bad input), failed (Coupa refused them or they could not be delivered) or skipped (a row the config leaves out, a duplicate row, or a held change Coupa overtook: the reason says which).', failures, () =>
    linesTable('failures-table', failures.lines, [COLUMNS.row, COLUMNS.login, COLUMNS.outcome, COLUMNS.problems], 'failures', failures.total),
  );
}

function changesSection(report: RunReport, changes: TableLines): SafeHtml {
  const planned = report.status === 'planned';
  return linesSection(
    'changes',
    planned ? 'Planned changes' : 'Changes',
    planned ? 'What a real run would write to Coupa, field by field.' : 'Users created, updated, deactivated or reactivated in Coupa, field by field.',
    changes,
    () => linesTable('changes-table', changes.lines, [COLUMNS.row, COLUMNS.login, COLUMNS.outcome, COLUMNS.changes, COLUMNS.problems], 'changes', changes.total),
  );
}

function absenteesSection(report: RunReport, absentees: TableLines): SafeHtml {
  if (report.roster.mode !== 'full' && report.absentees.length === 0) return html``;
  return linesSection('absentees', 'Absentees', 'Active Coupa users the file no longer lists.', absentees, () =>
    linesTable('absentees-table', absentees.lines, [COLUMNS.login, COLUMNS.outcome, COLUMNS.changes, COLUMNS.problems], 'absentees', absentees.total),
  );
}

export function renderReportHtml(report: RunReport): string {
  const tables = tablesOf(report);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${statusWords(report)} · ${report.file} · Coupa user sync</title>
<style>${new SafeHtml(REPORT_STYLE)}</style>
</head>
<body>
<main>
${runHeader(report)}
${attention(report)}
${totalsSection(report)}
${heldSection(tables.held)}
${failuresSection(tables.failures)}
${changesSection(report, tables.changes)}
${absenteesSection(report, tables.absentees)}
<footer>
<p>Run ${report.runId}. Every table lists at most ${formatCount(MAX_TABLE_LINES)} lines, so that large runs stay quick to open: report.csv beside this page has one line per row, report.json the full detail.</p>
<p>This page is self-contained: it loads nothing from the network. Click a column header to sort a table.</p>
</footer>
</main>
<script>${new SafeHtml(SORT_SCRIPT)}</script>
</body>
</html>
`;
  return page.markup;
}
