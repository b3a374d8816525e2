/**
 * What the run state machine's two functions share (lambdas/run-plan.ts, lambdas/run-task.ts): the
 * handler around a task — logged under the run and task, counted under the run's channel — and the
 * deps both wire alike (the run table, the bucket, the run's monitor in Coupa's integration
 * monitoring). Each function adds only the stores its own tasks use, so neither bundle carries the
 * other's code.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { TaskRequest } from '../../../core/runs/contract';
import type { RunStepDeps } from '../../../core/runs/deps';
import { systemClock, type ObjectStore } from '../../../core/ports';
import { RunMonitor } from '../../../core/monitoring/run-monitor';
import { ObjectStoreMonitoringState } from '../s3-monitoring-state';
import { runTaskCounts } from '../run-task-metrics';
import { integrationMonitoring } from './coupa';
import { runLine, runRecords } from './dynamo';
import { count, countingLedger, flushMetrics, observed, setChannel } from './metrics';
import { ledger, objectStore } from './s3';
import { config, logger } from './runtime';

/** A run function's handler: `dispatch` does the task with the deps `wire` builds for this invocation. */
export function runStepHandler<D>(dispatch: (request: TaskRequest, deps: D) => Promise<unknown>, wire: (context: Context) => Promise<D>) {
  return middy<TaskRequest, unknown>()
    .use(observed())
    .handler(async (request, context) => {
      logger.appendKeys({ runId: request.state.run.runId, task: request.task });
      setChannel(request.state.channel);
      const result = await dispatch(request, await wire(context));
      // Counted and published in one synchronous stretch, under the run's channel (set again: a process
      // running other handlers at once, as the tests do, may have flushed the dimension meanwhile).
      setChannel(request.state.channel);
      for (const [name, value] of runTaskCounts(request.task, result)) count(name, value);
      flushMetrics();
      return result;
    });
}

/** The run in Coupa's integration monitoring (coupa.monitoring), its state kept with the run's objects. */
export function runMonitor(objects: ObjectStore): NonNullable<RunStepDeps['monitor']> {
  return async (channel) => {
    const cfg = config();
    if (!cfg.coupa.monitoring.enabled || cfg.coupa.flavor === 'cso' || !cfg.coupa.url) return undefined;
    return new RunMonitor({
      api: await integrationMonitoring(),
      state: new ObjectStoreMonitoringState(objects),
      config: cfg.coupa.monitoring,
      channel,
      instanceUrl: cfg.coupa.url,
      clock: systemClock,
    });
  };
}

/** What both run functions' deps share: the run table, the bucket, the run's monitor, the clock, the config, the log, the time left. */
export type SharedRunDeps = Pick<RunStepDeps, 'records' | 'line' | 'objects' | 'ledger' | 'monitor' | 'config' | 'clock' | 'log' | 'timeLeft'>;

export async function sharedRunDeps(context: Context): Promise<SharedRunDeps> {
  const objects = await objectStore();
  return {
    records: await runRecords(),
    line: await runLine(),
    objects,
    ledger: countingLedger(await ledger()),
    monitor: runMonitor(objects),
    config: config(),
    clock: systemClock,
    log: (message, data) => logger.info(message, data ?? {}),
    timeLeft: () => context.getRemainingTimeInMillis(),
  };
}
