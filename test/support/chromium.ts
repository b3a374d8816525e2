/**
 * Debian's Chromium, headless, through playwright-core: for the report's browser test and the
 * docs screenshot. Never a browser Playwright downloads (playwright-core has no download step and
 * `executablePath` points at the Debian package). Each start gets a fresh, throw-away profile.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM, missingMessage } from './prerequisites';

export const CHROMIUM_PATH = CHROMIUM.path;

/** Quiet, offline, no sandbox (CI runs as root): nothing but the page under test talks. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface HeadlessChromium {
  context: BrowserContext;
  stop(): Promise<void>;
}

export async function startChromium(viewport = { width: 1200, height: 900 }): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${missingMessage(CHROMIUM)}. The report's browser test needs a real browser.`);
  }
  // launch() refuses a --user-data-dir argument; a persistent context on a new temp dir is the way to a fresh profile.
  const profile = mkdtempSync(join(tmpdir(), 'coupa-sync-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
    });
    return {
      context,
      stop: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
