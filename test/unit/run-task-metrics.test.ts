import { describe, expect, it } from 'vitest';
import { runTaskCounts } from '../../lambdas/adapters/aws/run-task-metrics';

describe('run-task counts (the run funnel)', () => {
  it('counts a planned file: received, rows read, plan size (queued now + held), held', () => {
    // Prepare: a held plan with part of it applied first ("apply-rest")
    const result = { outcome: 'held', toApply: 3, staged: 40, rows: 120, planSha256: 'x' };
    // Act
    const counts = runTaskCounts('plan', result);
    // Assess
    expect(Object.fromEntries(counts)).toEqual({ FilesReceived: 1, RowsRead: 120, PlanSize: 43, RunsHeld: 1 });
  });

  it('does not count a plan that asks for a full read of Coupa first (the next pass counts the file)', () => {
    expect(runTaskCounts('plan', { outcome: 'needs-full-read', toApply: 0, staged: 0, rows: 0 })).toEqual([]);
  });

  it('counts queued changes, refused files, reports and expired runs from their tasks', () => {
    expect(runTaskCounts('enqueue', { queued: 7 })).toEqual([['ChangesQueued', 7]]);
    expect(Object.fromEntries(runTaskCounts('refuse-file', {}))).toEqual({ FilesReceived: 1, FilesRejected: 1 });
    expect(runTaskCounts('report', { status: 'complete' })).toEqual([['RunsReported', 1]]);
    expect(runTaskCounts('report-held', { status: 'held' })).toEqual([]);
    expect(runTaskCounts('expire', {})).toEqual([['RunsExpired', 1]]);
    expect(runTaskCounts('check-apply', { done: true })).toEqual([]);
  });
});
