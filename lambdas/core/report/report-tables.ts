/**
 * The report's tables of lines (held changes, failures, changes, absentees): one generic table,
 * sortable by clicking a header (sort-script.ts), capped at MAX_TABLE_LINES lines so a
 * 500,000-row report still opens in a browser; report.csv lists every line.
 */
import type { FieldChange, FieldValue } from '../model';
import { formatCount, html, type SafeHtml } from './html';
import type { ReportLine } from './report-lines';
import { describeValue } from './report-values';

/** Lines rendered per table at most; the rest are in report.csv. */
export const MAX_TABLE_LINES = 5_000;

export interface Column {
  header: string;
  /** How the header sorts the table when clicked; absent: not sortable. */
  sort?: 'number' | 'text';
  cell: (line: ReportLine) => SafeHtml;
}

const outcomeTag = (outcome: string): SafeHtml => html`<span class="tag o-${outcome}">${outcome}</span>`;

/** A value that was not set reads in grey: a new user's "(not set)" is no loss worth red. */
function valueSpan(value: FieldValue | undefined, role: 'before' | 'after'): SafeHtml {
  return html`<span class="${value === undefined ? 'unset' : role}">${describeValue(value)}</span>`;
}

function changeItem(change: FieldChange): SafeHtml {
  return html`<li><span class="field">${change.field}:</span> ${valueSpan(change.before, 'before')}<span class="arrow">→</span>${valueSpan(change.after, 'after')}</li>`;
}

function problemItems(line: ReportLine): SafeHtml[] {
  return [
    ...line.errors.map((e) => html`<li>${e}</li>`),
    ...line.warnings.map((w) => html`<li class="warning">warning: ${w}</li>`),
  ];
}

export const COLUMNS = {
  row: {
    header: 'Row',
    sort: 'number',
    cell: (l) => (l.row === undefined ? html`<td class="num muted">absentee</td>` : html`<td class="num">${l.row}</td>`),
  },
  login: { header: 'Login', sort: 'text', cell: (l) => html`<td class="login">${l.login || '(no login)'}</td>` },
  outcome: { header: 'Outcome', sort: 'text', cell: (l) => html`<td>${outcomeTag(l.outcome)}</td>` },
  changes: {
    header: 'Before → after',
    sort: 'text',
    cell: (l) => html`<td><ul class="plain">${l.changes.map(changeItem)}</ul></td>`,
  },
  problems: { header: 'Errors and warnings', sort: 'text', cell: (l) => html`<td><ul class="plain">${problemItems(l)}</ul></td>` },
} satisfies Record<string, Column>;

function headerCell(column: Column, initiallySorted: boolean): SafeHtml {
  if (!column.sort) return html`<th scope="col">${column.header}</th>`;
  return html`<th scope="col" data-sort="${column.sort}"${initiallySorted ? html` aria-sort="ascending"` : ''}><button type="button">${column.header}</button></th>`;
}

/**
 * A sortable table of `lines` (already in row order, so the first column starts sorted), with a
 * note when the cap cut it. `noun` names what the lines are ("failures"); `total` how many there
 * are when `lines` holds only the first of them.
 */
export function linesTable(id: string, lines: ReportLine[], columns: Column[], noun: string, total = lines.length): SafeHtml {
  const shown = lines.slice(0, MAX_TABLE_LINES);
  const cut =
    total > shown.length
      ? html`<p class="cap">Showing the first ${formatCount(shown.length)} of ${formatCount(total)} ${noun}, to keep this page quick to open. report.csv, written beside this report, lists every one.</p>`
      : '';
  return html`<table id="${id}" class="sortable">
<thead><tr>${columns.map((c, i) => headerCell(c, i === 0))}</tr></thead>
<tbody>
${shown.map((line) => html`<tr>${columns.map((c) => c.cell(line))}</tr>\n`)}</tbody>
</table>${cut}`;
}
