/**
 * report.html in a real browser: Debian's chromium, headless, opens the rendered file the way an
 * HR operations person would (file://) and we check what they would see and that nothing else
 * happens: no console error, no request but the file, sorting works, HR text stays text.
 * Needs /usr/bin/chromium (`bash .ci/install-chromium.sh`); without it every test here fails.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOMES, type RunReport } from '../../lambdas/core/model';
import { renderReportHtml } from '../../lambdas/core/report/report-html';
import { startChromium, type HeadlessChromium } from '../support/chromium';
import { CHROMIUM, skipWithout } from '../support/prerequisites';
import { heldRunReport } from '../support/report-factories';

/** Payloads that would set window.pwned if the page ever ran them. */
const SCRIPT_PAYLOAD = '<script>window.pwned = "script"</script>';
const IMG_PAYLOAD = '<img src=x onerror="window.pwned = \'img\'">';

function reportWithPayloads(): RunReport {
  const sample = heldRunReport();
  return heldRunReport({
    rows: [
      ...sample.rows,
      { row: 11, login: `mallory${IMG_PAYLOAD}`, outcome: 'failed', errors: [SCRIPT_PAYLOAD] },
      { row: 12, login: 'zoe.adams', outcome: 'updated', changedFields: ['lastname'], changes: [{ field: 'lastname', before: IMG_PAYLOAD, after: SCRIPT_PAYLOAD }] },
    ],
  });
}

interface OpenedPage {
  page: Page;
  requests: string[];
  errors: string[];
}

let browser: HeadlessChromium;
let dir: string;
let fileUrl: string;
let report: RunReport;

const noChromium = skipWithout(CHROMIUM);

beforeAll(async () => {
  if (noChromium) return;
  report = reportWithPayloads();
  dir = mkdtempSync(join(tmpdir(), 'coupa-sync-report-html-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, renderReportHtml(report));
  fileUrl = pathToFileURL(file).href;
  browser = await startChromium();
});

afterAll(async () => {
  await browser?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens the report in a new tab, recording every request, console error and uncaught page error. */
async function openReport(): Promise<OpenedPage> {
  const page = await browser.context.newPage();
  const opened: OpenedPage = { page, requests: [], errors: [] };
  page.on('request', (r) => opened.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') opened.errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => opened.errors.push(`pageerror: ${e.message}`));
  await page.goto(fileUrl, { waitUntil: 'load' });
  return opened;
}

/** The texts of one column (1-based) of a table, top to bottom, as shown. */
const columnTexts = (page: Page, table: string, column: number) => page.locator(`#${table} tbody td:nth-child(${column})`).allInnerTexts();

describe.skipIf(noChromium)('report.html in headless chromium', () => {
  it('opens with no console error and requests nothing but the file itself', async () => {
    // Act
    const { page, requests, errors } = await openReport();
    await page.locator('#changes-table th button', { hasText: 'Outcome' }).click();

    // Assess
    expect(errors).toEqual([]);
    expect(requests).toEqual([fileUrl]);
    await page.close();
  });

  it('shows the status, the totals and the guard verdicts, styled by its inline stylesheet', async () => {
    // Act
    const { page } = await openReport();

    // Assess
    expect(await page.locator('#status').innerText()).toBe('Held: waiting for approval');
    expect(await page.locator('#status').isVisible()).toBe(true);
    for (const what of ['created', 'updated', 'held', 'failed'] as const) {
      expect(await page.locator(`[data-total="${what}"] .count`).innerText()).toBe(String(report.totals[what]));
    }
    expect(await page.locator('[data-total="rows in the file"] .count').innerText()).toBe('12');
    expect(await page.locator('#guards').innerText()).toContain('would deactivate 3 users');
    expect(await page.locator('#next-steps').innerText()).toContain(`coupa-sync approve ${report.runId}`);
    // The CSP hash let the stylesheet apply: the status badge has its colour, not the default.
    expect(await page.locator('#status').evaluate((el) => el.ownerDocument.defaultView.getComputedStyle(el).backgroundColor)).toBe('rgb(230, 81, 0)');
    await page.close();
  });

  it('draws one visible chart bar per outcome that occurred', async () => {
    // Act
    const { page } = await openReport();

    // Assess
    const bars = await page.$$eval('svg.chart g.bar', (groups) =>
      groups.map((g) => ({ outcome: g.getAttribute('data-outcome'), width: g.querySelector('rect').getBBox().width as number })),
    );
    expect(bars.map((b) => b.outcome)).toEqual(OUTCOMES.filter((o) => report.totals[o] > 0));
    // Lengths in proportion to the counts, as laid out by the browser.
    const widest = Math.max(...bars.map((b) => b.width));
    const most = Math.max(...OUTCOMES.map((o) => report.totals[o]));
    expect(bars.map((b) => Math.round((b.width / widest) * most))).toEqual(bars.map((b) => report.totals[b.outcome as keyof typeof report.totals]));
    await page.close();
  });

  it('sorts a table by the clicked column, the other way on a second click', async () => {
    // Prepare
    const { page } = await openReport();
    const outcome = page.locator('#changes-table th button', { hasText: 'Outcome' });
    const rowHeader = page.locator('#changes-table th button', { hasText: 'Row' });
    expect(await columnTexts(page, 'changes-table', 1)).toEqual(['1', '2', '5', '8', '10', '12']);

    // Act / Assess
    await outcome.click();
    expect(await columnTexts(page, 'changes-table', 3)).toEqual(['created', 'created', 'reactivated', 'updated', 'updated', 'updated']);
    expect(await columnTexts(page, 'changes-table', 1)).toEqual(['1', '10', '5', '2', '8', '12']);
    await outcome.click();
    expect(await columnTexts(page, 'changes-table', 1)).toEqual(['2', '8', '12', '5', '1', '10']);
    await rowHeader.click();
    expect(await columnTexts(page, 'changes-table', 1)).toEqual(['1', '2', '5', '8', '10', '12']);
    await page.locator('#failures-table th button', { hasText: 'Row' }).click();
    expect(await columnTexts(page, 'failures-table', 1)).toEqual(['11', '7', '6']);
    expect(await page.locator('#failures-table th[data-sort="number"]').getAttribute('aria-sort')).toBe('descending');
    await page.close();
  });

  it('shows script and markup typed into a login, an error or a field value as text, and runs none of it', async () => {
    // Act
    const { page, errors } = await openReport();

    // Assess
    expect(await page.evaluate(() => (globalThis as { pwned?: string }).pwned)).toBeUndefined();
    expect(await page.locator('#failures-table').innerText()).toContain(`mallory${IMG_PAYLOAD}`);
    expect(await page.locator('#failures-table').innerText()).toContain(SCRIPT_PAYLOAD);
    expect(await page.locator('#changes-table').innerText()).toContain(`${IMG_PAYLOAD}→${SCRIPT_PAYLOAD}`);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
