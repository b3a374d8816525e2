/**
 * `npm run report:screenshot`: renders the sample held run (test/support/report-factories.ts) as
 * report.html and saves what Debian's headless chromium shows of it, 1200 px wide, to
 * docs/report-screenshot.png (the picture in the README). Needs /usr/bin/chromium
 * (`bash .ci/install-chromium.sh`). Run it again after changing the report's look.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderReportHtml } from '../lambdas/core/report/report-html';
import { startChromium } from '../test/support/chromium';
import { heldRunReport } from '../test/support/report-factories';

const OUTPUT = resolve('docs/report-screenshot.png');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'coupa-sync-report-screenshot-'));
  const browser = await startChromium({ width: 1200, height: 900 });
  try {
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReportHtml(heldRunReport()));
    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.screenshot({ path: OUTPUT, fullPage: true });
    console.log(`wrote ${OUTPUT}`);
  } finally {
    await browser.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
