/**
 * What the run state machine's two functions share (lambdas/run-plan.ts, lambdas/run-task.ts): the
 * handler around a task — logged under the run and task, counted under the run's channel — and the
 * run's monitor in Coupa's integration monitoring. Each function wires only the stores its tasks use,
 * so neither bundle carries the other's code.
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
import { count, flushMetrics, observed, setChannel } from './metrics';
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

/** What every run function's deps share: the clock, the config, the log and the invocation's time left. */
export function basics(context: Context): Pick<RunStepDeps, 'config' | 'clock' | 'log' | 'timeLeft'> {
  return {
    config: config(),
    clock: systemClock,
    log: (message, data) => logger.info(message, data ?? {}),
    timeLeft: () => context.getRemainingTimeInMillis(),
  };
}
