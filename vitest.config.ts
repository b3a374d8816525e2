import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // CDK synthesis and real sshd are heavy; two cores in CI.
    maxWorkers: 2,
    setupFiles: ['./test/support/quiet-sdk-warning.ts'],
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
    // Why a test file was skipped for a missing program (sshd, chromium) is told once, in the plain
    // summary reporter's lines, not as a console log under each file. The prefix is SKIP_NOTICE in
    // test/support/prerequisites.ts (not imported: Vite's config loader warns on extensionless imports).
    onConsoleLog: (log) => !log.startsWith('coupa-sync-test-skip:'),
  },
});
