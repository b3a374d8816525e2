/**
 * Prints one plain closing line, `Tests: N passed, N failed, N skipped`, after vitest's own
 * summary, so any CI that reads a plain "passed/failed" line understands the run. Before it, one
 * line per test file skipped for a missing program (test/support/prerequisites.ts logs why at
 * collection; vitest.config.ts keeps that log out of the default reporter), so the summary says
 * how many tests were skipped and what to install to run them.
 */
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import type { UserConsoleLog } from 'vitest';
import { SKIP_NOTICE } from './prerequisites';

export default class PlainSummaryReporter implements Reporter {
  /** Test file id → why its tests that need a missing program were skipped. */
  private readonly missing = new Map<string, string[]>();

  onUserConsoleLog(log: UserConsoleLog): void {
    if (!log.taskId || !log.content.startsWith(SKIP_NOTICE)) return;
    const why = log.content.slice(SKIP_NOTICE.length).trim();
    // Logged at collection, so the task is the file itself.
    const reasons = this.missing.get(log.taskId) ?? [];
    if (!reasons.includes(why)) reasons.push(why);
    this.missing.set(log.taskId, reasons);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let skippedForPrograms = 0;
    const lines: string[] = [];
    for (const module of testModules) {
      let failedHere = 0;
      let skippedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failedHere += 1;
        else skippedHere += 1;
      }
      skipped += skippedHere;
      // A file that failed without a failed test (an import or a beforeAll threw, e.g. chromium or
      // sshd missing under CI=true, and vitest marks its tests skipped) counts as one failure, not as skips.
      failed += failedHere === 0 && module.state() === 'failed' ? 1 : failedHere;
      const reasons = this.missing.get(module.id);
      if (reasons && skippedHere > 0) {
        skippedForPrograms += skippedHere;
        const file = relative(process.cwd(), module.moduleId);
        lines.push(`Skipped ${skippedHere} test(s) in ${file}: ${reasons.join('; ')}`);
      }
    }
    this.missing.clear();
    const why = skippedForPrograms > 0 ? ` (${skippedForPrograms} because a program they need is not installed, see above)` : '';
    process.stdout.write(`\n${lines.map((l) => `${l}\n`).join('')}Tests: ${passed} passed, ${failed} failed, ${skipped} skipped${why}\n`);
  }
}
