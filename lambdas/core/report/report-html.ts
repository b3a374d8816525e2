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
import { OUTCOMES, type Outcome, type RunReport } from '../model';
import { SafeHtml, formatCount, html } from './html';
import { outcomeChartSvg } from './outcome-chart';
import { CHANGE_OUTCOMES, FAILURE_OUTCOMES, linesWithOutcome, reportLines, type ReportLine } from './report-lines';
import { REPORT_STYLE } from './report-style';
import { COLUMNS, MAX_TABLE_LINES, linesTable } from './report-tables';
import { STATUS_WORDS, nextSteps, statusExplanation } from './run-status-words';
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

function runHeader(report: RunReport): SafeHtml {
  const roster = report.roster.mode === 'full' ? 'full roster (users not in the file are deactivated)' : 'delta (only the users in the file)';
  return html`<header class="run s-${report.status}">
<h1>Coupa user sync report</h1>
<div class="file">${report.file}</div>
<div class="status" id="status">${STATUS_WORDS[report.status]}</div>
<dl class="meta">
<dt>Run</dt><dd><code>${report.runId}</code></dd>
<dt>Started</dt><dd>${utc(report.startedAt)}</dd>
<dt>Finished</dt><dd>${utc(report.finishedAt)} (${duration(report.startedAt, report.finishedAt)})</dd>
<dt>Mode</dt><dd>${roster}: ${formatCount(report.roster.rows)} row(s), ${formatCount(report.roster.logins)} login(s)</dd>
</dl>
</header>`;
}

/** What happened and what to do; the guard verdicts and the reason, whenever the report has them. */
function attention(report: RunReport): SafeHtml {
  const steps = nextSteps(report);
  const guards = report.guards.map(
    (g) => html`<li><span class="verdict ${g.held ? 'held' : 'passed'}">${g.held ? 'held' : 'passed'}</span><strong>${g.guard} guard</strong>: ${g.detail}</li>`,
  );
  return html`<section id="attention" class="attention s-${report.status}">
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

function linesSection(id: string, title: string, intro: string, lines: ReportLine[], table: () => SafeHtml): SafeHtml {
  return html`<section id="${id}">
<h2>${title} <span class="muted">(${formatCount(lines.length)})</span></h2>
<p class="muted">${intro}</p>
${lines.length > 0 ? table() : html`<p>None.</p>`}
</section>`;
}

function heldSection(lines: ReportLine[]): SafeHtml {
  const held = linesWithOutcome(lines, ['held']);
  if (held.length === 0) return html``;
  return linesSection('held', 'Held changes', 'Not written to Coupa: each waits for the run to be approved.', held, () =>
    linesTable('held-table', held, [COLUMNS.row, COLUMNS.login, COLUMNS.changes, { ...COLUMNS.problems, header: 'Why held' }], 'held changes'),
  );
}

function failuresSection(lines: ReportLine[]): SafeHtml {
  const failures = linesWithOutcome(lines, FAILURE_OUTCOMES);
  return linesSection('failures', 'Failures', 'Rows rejected (bad input), failed (Coupa refused them or they could not be delivered) or skipped.', failures, () =>
    linesTable('failures-table', failures, [COLUMNS.row, COLUMNS.login, COLUMNS.outcome, COLUMNS.problems], 'failures'),
  );
}

function changesSection(report: RunReport, lines: ReportLine[]): SafeHtml {
  const changes = linesWithOutcome(lines, CHANGE_OUTCOMES);
  const planned = report.status === 'planned';
  return linesSection(
    'changes',
    planned ? 'Planned changes' : 'Changes',
    planned ? 'What a real run would write to Coupa, field by field.' : 'Users created, updated, deactivated or reactivated in Coupa, field by field.',
    changes,
    () => linesTable('changes-table', changes, [COLUMNS.row, COLUMNS.login, COLUMNS.outcome, COLUMNS.changes, COLUMNS.problems], 'changes'),
  );
}

function absenteesSection(report: RunReport, lines: ReportLine[]): SafeHtml {
  if (report.roster.mode !== 'full' && report.absentees.length === 0) return html``;
  const absentees = lines.filter((l) => l.row === undefined);
  return linesSection('absentees', 'Absentees', 'Active Coupa users the file no longer lists.', absentees, () =>
    linesTable('absentees-table', absentees, [COLUMNS.login, COLUMNS.outcome, COLUMNS.changes, COLUMNS.problems], 'absentees'),
  );
}

export function renderReportHtml(report: RunReport): string {
  const lines = reportLines(report);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${STATUS_WORDS[report.status]} · ${report.file} · Coupa user sync</title>
<style>${new SafeHtml(REPORT_STYLE)}</style>
</head>
<body>
<main>
${runHeader(report)}
${attention(report)}
${totalsSection(report)}
${heldSection(lines)}
${failuresSection(lines)}
${changesSection(report, lines)}
${absenteesSection(report, lines)}
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
