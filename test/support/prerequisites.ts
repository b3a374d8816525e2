/**
 * Programs some tests need that npm cannot install: OpenSSH's sshd (SFTP tests) and Debian's
 * chromium (the report's browser test). On a developer's machine without them those tests are
 * skipped, with one line naming the install command; where `CI=true` they are required, so CI
 * never passes by skipping them (the test runs and fails with the same message).
 *
 * COUPA_SYNC_SSHD / COUPA_SYNC_CHROMIUM override where the programs are looked for: a way to run
 * them from elsewhere, and to check the skip path on a machine that has them.
 */
import { existsSync } from 'node:fs';

export interface Prerequisite {
  /** What it is, as a person would name it. */
  what: string;
  /** The program the tests start. */
  path: string;
  /** What to run to get it. */
  install: string;
}

export const SSHD: Prerequisite = {
  what: "OpenSSH's sshd",
  path: process.env.COUPA_SYNC_SSHD || '/usr/sbin/sshd',
  install: 'bash .ci/install-sshd.sh (or: sudo apt-get install -y openssh-server)',
};

export const CHROMIUM: Prerequisite = {
  what: "Debian's chromium",
  path: process.env.COUPA_SYNC_CHROMIUM || '/usr/bin/chromium',
  install: 'bash .ci/install-chromium.sh (or: sudo apt-get install -y chromium)',
};

/** Lines starting with this are read by the plain summary reporter (and kept out of vitest's log). */
export const SKIP_NOTICE = 'coupa-sync-test-skip:';

/** `CI=true` (GitHub, GitLab and most CIs set it): every prerequisite is required. */
export const inCi = (): boolean => /^(1|true)$/i.test(process.env.CI ?? '');

/** The message a test fails with, or a skip names, when the program is missing. */
export const missingMessage = (p: Prerequisite): string => `${p.what} not found at ${p.path}: install it with ${p.install}`;

/**
 * True when the tests that need `p` should be skipped: it is missing and this is not CI. Logs the
 * one-line notice then (call once per test file, at collection, for `describe.skipIf`).
 */
export function skipWithout(p: Prerequisite): boolean {
  if (existsSync(p.path) || inCi()) return false;
  console.log(`${SKIP_NOTICE} ${missingMessage(p)}`);
  return true;
}
