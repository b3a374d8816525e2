import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OUTCOMES, type RowOutcome, type RunStatus } from '../../lambdas/core/model';
import { escapeHtml } from '../../lambdas/core/report/html';
import { renderReportHtml } from '../../lambdas/core/report/report-html';
import { MAX_TABLE_LINES } from '../../lambdas/core/report/report-tables';
import { heldRunReport, runReport } from '../support/report-factories';

const XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>';

/** The markup of one element with this id (tables and sections do not nest their own kind). */
function elementById(page: string, tag: 'table' | 'section', id: string): string | undefined {
  return new RegExp(`<${tag} id="${id}"[\\s\\S]*?</${tag}>`).exec(page)?.[0];
}

const bodyRows = (table: string | undefined): number => (table?.split('<tbody>')[1]?.match(/<tr>/g) ?? []).length;

function failedRows(count: number): RowOutcome[] {
  return Array.from({ length: count }, (_, i) => ({ row: i + 1, login: `user${i + 1}`, outcome: 'failed', errors: ['Email has already been taken'] }));
}

describe('report.html', () => {
  it('renders HR-typed values as text: a script in a login, an error, a field value, the file name or the reason is escaped', () => {
    // Prepare
    const report = heldRunReport({
      file: `incoming/${XSS}.csv`,
      reason: XSS,
      guards: [{ guard: 'deactivation', held: true, detail: XSS }],
      rows: [
        { row: 1, login: XSS, outcome: 'failed', errors: [XSS], warnings: [XSS] },
        { row: 2, login: 'x', outcome: 'updated', changedFields: ['lastname'], changes: [{ field: XSS, before: XSS, after: [XSS] }] },
        { row: 3, login: 'y', outcome: 'held', changes: [{ field: 'lastname', after: { [XSS]: XSS } }] },
      ],
    });

    // Act
    const page = renderReportHtml(report);

    // Assess: the page's own script is the only one, no payload tag or attribute survives, and the text is there
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<script>alert');
    expect(page).toContain(escapeHtml(XSS));
    expect(page).toContain(`<td class="login">${escapeHtml(XSS)}</td>`);
  });

  it('holds its one stylesheet and one script to a Content-Security-Policy by hash, and references nothing outside', () => {
    // Act
    const page = renderReportHtml(heldRunReport());

    // Assess
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)![1];
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1];
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)![1].replaceAll('&#39;', "'");
    expect(csp).toBe(`default-src 'none'; style-src ${hash(style)}; script-src ${hash(script)}; base-uri 'none'; form-action 'none'`);
    expect(page).not.toMatch(/\s(src|href|style|on\w+)=|url\(|@import/);
  });

  it('links the run to its Coupa integration run, and shows a monitoring warning as text', () => {
    // Prepare
    const linked = runReport({ coupaMonitoring: { integrationRunId: '17', status: 'failed', raised: 2, resolved: 1, url: 'https://acme.coupahost.com/integration_runs/17' } });
    const refused = runReport({ coupaMonitoring: { raised: 0, resolved: 0, warning: 'grant the OAuth client <core.integration.write>' } });
    // Act
    const linkedPage = renderReportHtml(linked);
    const refusedPage = renderReportHtml(refused);
    // Assess
    expect(linkedPage).toContain('<a id="coupa-integration-run" href="https://acme.coupahost.com/integration_runs/17" rel="noreferrer">Coupa integration run 17</a>: failed, 2 error(s) raised, 1 resolved');
    expect(refusedPage).not.toContain('coupa-integration-run');
    expect(refusedPage).toContain('<strong>Warning:</strong> grant the OAuth client &lt;core.integration.write&gt;');
  });

  it('names the status in words, with the guards, the reason and the approve command when held', () => {
    // Act
    const page = renderReportHtml(heldRunReport());

    // Assess
    expect(page).toContain('<div class="status" id="status">Held: waiting for approval</div>');
    expect(elementById(page, 'section', 'attention')).toEqual(expect.stringContaining('would deactivate 3 users, more than roster.maxDeactivations (2)'));
    expect(page).toContain('<p id="reason"><strong>Reason:</strong> The deactivation guard held 3 deactivations');
    expect(page).toContain('<code>coupa-sync approve workday-2026-03-02-3f9a1c2b7d4e</code>');
    expect(page).toContain('2026-03-02 07:15:04 UTC');
  });

  it('gives the approve and reject commands whole when the run that held them knows them', () => {
    // Prepare
    const commands = { approve: "coupa-sync approve r-1 --coupa-url https://acme.coupahost.com --state-dir '/srv/my state'", reject: "coupa-sync reject r-1 --state-dir '/srv/my state'" };
    // Act
    const steps = elementById(renderReportHtml(heldRunReport({ commands })), 'section', 'attention');
    // Assess
    expect(steps).toContain(`<code>${escapeHtml(commands.approve)}</code>`);
    expect(steps).toContain(`<code>${escapeHtml(commands.reject)}</code>`);
  });

  it('says "Completed with N failures" (not the green Complete) when a complete run has rows not applied', () => {
    // Act
    const page = renderReportHtml(runReport({ status: 'complete', rows: [{ row: 1, login: 'a', outcome: 'updated' }, ...failedRows(2)] }));
    // Assess
    expect(page).toContain('<div class="status" id="status">Completed with 2 failures</div>');
    expect(page).toContain('<header class="run s-complete-failures">');
    expect(page).not.toContain('s-complete"');
    expect(page).toContain('<title>Completed with 2 failures · ');
  });

  it.each<[RunStatus, string]>([
    ['complete', 'Complete'],
    ['planned', 'Planned (dry run): nothing written'],
    ['stopped', 'Stopped part-way'],
    ['expired', 'Expired: held and not approved in time'],
    ['rejected', 'Rejected by an operator'],
  ])('says %s in words', (status, words) => {
    // Act
    const page = renderReportHtml(runReport({ status }));

    // Assess
    expect(page).toContain(`<div class="status" id="status">${words}</div>`);
    expect(page).not.toContain('coupa-sync approve');
  });

  it.each<[string, RowOutcome, string]>([
    ['every row went through', { row: 1, login: 'a', outcome: 'updated' }, 'The run finished: every row was applied or needed no change.'],
    ['a row failed', { row: 1, login: 'a', outcome: 'failed' }, 'The run finished, but some rows were not applied: see the failures below.'],
    ['a row is submitted', { row: 1, login: 'a', outcome: 'submitted' }, "The run finished; some rows were delivered but Coupa&#39;s verdict on them was not read back yet (submitted)."],
    ['a footer row was skipped by hr.rows.skip', { row: 1, login: '', outcome: 'skipped', skippedBy: 'hr.rows.skip', errors: ['skipped by hr.rows.skip[0] (column "Type" equals "Total")'] }, 'The run finished: every row was applied or needed no change.'],
    ['a stale held change was skipped', { row: 1, login: 'a', outcome: 'skipped', errors: ['Coupa changed meanwhile'] }, 'The run finished, but some rows were not applied: see the failures below.'],
  ])('sums up a complete run in which %s', (_case, row, sentence) => {
    // Act
    const page = renderReportHtml(runReport({ rows: [row] }));

    // Assess
    expect(elementById(page, 'section', 'attention')).toContain(`<h2>${sentence}</h2>`);
  });

  it('lists held changes with before → after only when some are held', () => {
    // Act
    const held = renderReportHtml(heldRunReport());
    const complete = renderReportHtml(runReport({ rows: [{ row: 1, login: 'a', outcome: 'updated', changes: [{ field: 'lastname', before: 'Doe', after: 'Roe' }] }] }));

    // Assess
    const heldTable = elementById(held, 'table', 'held-table');
    expect(bodyRows(heldTable)).toBe(3);
    expect(heldTable).toContain('dmitri.ivanov');
    expect(heldTable).toContain('<span class="field">active:</span> <span class="before">true</span><span class="arrow">→</span><span class="after">false</span>');
    expect(held).toContain('<section id="held">');
    expect(complete).not.toContain('<section id="held">');
    expect(complete).toContain('<span class="before">Doe</span><span class="arrow">→</span><span class="after">Roe</span>');
  });

  it('lists failures and changes in tables sortable by their headers, absentees after the rows', () => {
    // Act
    const page = renderReportHtml(heldRunReport());

    // Assess
    const failures = elementById(page, 'table', 'failures-table');
    expect(bodyRows(failures)).toBe(2);
    expect(failures).toContain('Email has already been taken');
    expect(failures).toContain('<th scope="col" data-sort="number" aria-sort="ascending"><button type="button">Row</button></th>');
    expect(bodyRows(elementById(page, 'table', 'changes-table'))).toBe(5);
    expect(elementById(page, 'table', 'held-table')?.indexOf('absentee')).toBeGreaterThan(elementById(page, 'table', 'held-table')!.indexOf('dmitri.ivanov'));
    expect(bodyRows(elementById(page, 'table', 'absentees-table'))).toBe(2);
  });

  it('calls the changes of a dry run planned', () => {
    // Act
    const page = renderReportHtml(heldRunReport({ status: 'planned', dryRun: true, guards: [], reason: undefined }));

    // Assess
    expect(elementById(page, 'section', 'changes')).toContain('<h2>Planned changes');
  });

  it('draws one chart bar per outcome that occurred', () => {
    // Prepare
    const report = heldRunReport();

    // Act
    const page = renderReportHtml(report);

    // Assess
    const drawn = [...page.matchAll(/<g class="bar" data-outcome="(\w+)">/g)].map((m) => m[1]);
    expect(drawn).toEqual(OUTCOMES.filter((o) => report.totals[o] > 0));
    expect(drawn).toEqual(['created', 'updated', 'reactivated', 'unchanged', 'held', 'rejected', 'failed']);
  });

  it(`caps each table at ${MAX_TABLE_LINES} lines and says report.csv has them all`, () => {
    // Prepare
    const report = runReport({ rows: failedRows(MAX_TABLE_LINES + 1) });

    // Act
    const page = renderReportHtml(report);

    // Assess
    expect(bodyRows(elementById(page, 'table', 'failures-table'))).toBe(MAX_TABLE_LINES);
    expect(page).toContain('Showing the first 5,000 of 5,001 failures, to keep this page quick to open. report.csv, written beside this report, lists every one.');
    expect(renderReportHtml(runReport({ rows: failedRows(MAX_TABLE_LINES) }))).not.toContain('Showing the first');
  });

  it('keeps a 500,000-row report to a page a browser opens', () => {
    // Prepare: half failed, half updated
    const rows: RowOutcome[] = Array.from({ length: 500_000 }, (_, i) =>
      i % 2 === 0
        ? { row: i + 1, login: `user${i + 1}`, outcome: 'failed', errors: ['Email has already been taken'] }
        : { row: i + 1, login: `user${i + 1}`, outcome: 'updated', changes: [{ field: 'lastname', before: 'Doe', after: 'Roe' }] },
    );

    // Act
    const started = Date.now();
    const page = renderReportHtml(runReport({ rows }));

    // Assess
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(page.length).toBeLessThan(8_000_000);
    expect(page).toContain('<span class="count">250,000</span><span class="what">failed</span>');
  });
});
