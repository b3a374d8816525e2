/**
 * What an invocation of a run function (run-plan, run-task) counts (the run funnel on the dashboard, lib/constructs/dashboard.ts),
 * read from what its task returned: the core steps know nothing of metrics. The channel dimension
 * is the run's (set by the handler before the task runs, so the outcomes the task records and the
 * Coupa requests it makes carry it too).
 *
 * Counted only once a task has returned: a task that throws (and is retried by its Task state)
 * counts nothing, so a retried step is not counted twice.
 */
import type { PlanResult, RunTask, EnqueueResult } from '../../core/runs/contract';
import { M, type MetricName } from './metric-names';

export type TaskCount = [MetricName, number];

export function runTaskCounts(task: RunTask, result: unknown): TaskCount[] {
  switch (task) {
    case 'plan': {
      const planned = result as PlanResult;
      // Not planned yet: the plan runs again after a full read of Coupa (that pass counts the file).
      if (planned.outcome === 'needs-full-read') return [];
      return [
        [M.filesReceived, 1],
        [M.rowsRead, planned.rows],
        // The plan's changes: those to queue now and those held for approval.
        [M.planSize, planned.toApply + planned.staged],
        [M.runsHeld, planned.outcome === 'held' ? 1 : 0],
      ];
    }
    case 'enqueue':
      return [[M.changesQueued, (result as EnqueueResult).queued]];
    case 'refuse-file':
      // The Plan step threw HrFileError before it returned: the file has not been counted as received.
      return [
        [M.filesReceived, 1],
        [M.filesRejected, 1],
      ];
    case 'report':
      return [[M.runsReported, 1]];
    case 'expire':
      return [[M.runsExpired, 1]];
    default:
      return [];
  }
}
