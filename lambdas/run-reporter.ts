/** Every 5 minutes: writes runs/<runId>/report.{html,csv,json} and one digest for each run whose rows all have an outcome. */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { systemClock } from './core/ports';
import { reportPendingRuns, type ReportRunsResult } from './core/sync/report-runs';
import { M } from './adapters/aws/metric-names';
import { count, observed } from './adapters/aws/wiring/metrics';
import { config, logger } from './adapters/aws/wiring/runtime';
import { runStore, stateStore } from './adapters/aws/wiring/s3';
import { notifier } from './adapters/aws/wiring/sns';

export const handler = middy<ScheduledEvent, ReportRunsResult>()
  .use(observed())
  .handler(async (_event, context) => {
    const result = await reportPendingRuns({
      store: await runStore(),
      runs: await stateStore(),
      notifier: await notifier(),
      clock: systemClock,
      reportAfterHours: config().reports.reportAfterHours,
      expireAfterHours: config().approval.expireAfterHours,
      timeLeftMs: () => context.getRemainingTimeInMillis(),
    });
    count(M.runsReported, result.reported.length);
    count(M.runsExpired, result.expired.length);
    for (const r of result.reported) logger.info('run reported', { ...r });
    for (const runId of result.expired) logger.warn('held run expired', { runId });
    if (result.waiting.length > 0) logger.info('runs still waiting for outcomes', { runIds: result.waiting });
    if (result.deferred.length > 0) logger.warn('runs left for the next pass (out of time)', { runIds: result.deferred });
    if (result.errors.length > 0) {
      logger.error('runs not reported', { errors: result.errors });
      // Fail the invocation so the Errors metric (and its alarm) shows it; the runs stay pending.
      throw new Error(`${result.errors.length} run(s) could not be reported: ${result.errors.map((e) => e.runId).join(', ')}`);
    }
    return result;
  });
