import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // CDK synthesis and real sshd are heavy; two cores in CI.
    maxWorkers: 2,
    // Drops only the AWS SDK's Node-20 support notice, printed once per test file otherwise.
    setupFiles: ['./test/support/quiet-sdk-warning.ts'],
    reporters: ['default', './test/support/plain-summary-reporter.ts'],
  },
});
