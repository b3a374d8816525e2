/**
 * Powertools Metrics for every handler: one namespace, dimensions `service` (the default, from
 * POWERTOOLS_SERVICE_NAME) and `channel` only. The handlers count what the core returns or
 * records (outcomes through the ledger, Coupa requests through the client's onRequest hook);
 * the core itself knows nothing of metrics. Flushed by the logMetrics middleware at the end of
 * every invocation (and by `flushMetrics` where one invocation spans both channels).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { RequestEvent } from '../../coupa/client-options';
import type { RowOutcome, RunRef } from '../../../core/model';
import type { OutcomeLedger } from '../../../core/ports';
import { M, METRICS_NAMESPACE, METRICS_SERVICE, OUTCOME_METRIC, type MetricChannel, type MetricName } from '../metric-names';
import { logger } from './runtime';

/**
 * Powertools' own messages go to our logger; "no application metrics to publish" (a scheduled pass
 * with nothing to do, every 5 minutes) is debug, not a warning.
 */
const metricsLog = {
  trace: (...args: unknown[]) => logger.trace(String(args[0]), ...args.slice(1).map((a) => ({ detail: a }))),
  debug: (...args: unknown[]) => logger.debug(String(args[0])),
  info: (...args: unknown[]) => logger.info(String(args[0])),
  warn: (...args: unknown[]) =>
    String(args[0]).startsWith('No application metrics to publish') ? logger.debug(String(args[0])) : logger.warn(String(args[0])),
  error: (...args: unknown[]) => logger.error(String(args[0])),
};

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE, logger: metricsLog });

/** The middlewares every handler uses: the Lambda context in every log line, and the metrics flushed after each invocation. */
export const observed = () => [injectLambdaContext(logger, { resetKeys: true }), logMetrics(metrics)];

/**
 * The channel every count from now on carries. Set anew, not added to: the channel is the only
 * dimension we add, and Powertools warns ("has already been added") when one is added twice.
 */
export function setChannel(channel: MetricChannel): void {
  metrics.clearDimensions();
  metrics.addDimension('channel', channel);
}

export function count(name: MetricName, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/** Publishes what is stored (with its channel) so the next counts can carry another channel. */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  else metrics.clearDimensions();
}

/** Counts outcomes by kind (created, updated, …, failed, rejected). */
export function countOutcomes(outcomes: RowOutcome[]): void {
  const byMetric = new Map<MetricName, number>();
  for (const o of outcomes) {
    const name = OUTCOME_METRIC[o.outcome];
    if (name) byMetric.set(name, (byMetric.get(name) ?? 0) + 1);
  }
  for (const [name, n] of byMetric) count(name, n);
}

/** The ledger, counting each outcome once it is recorded. */
export function countingLedger(ledger: OutcomeLedger): OutcomeLedger {
  return {
    async record(run: RunRef, outcomes: RowOutcome[]) {
      await ledger.record(run, outcomes);
      countOutcomes(outcomes);
    },
  };
}

/** A Coupa request (onRequest hook): latency, 429s, retries. Nothing of the request but its status and timing. */
export function countCoupaRequest(e: RequestEvent): void {
  count(M.coupaRequests);
  metrics.addMetric(M.coupaLatency, MetricUnit.Milliseconds, e.ms);
  if (e.status === 429) count(M.coupaThrottled);
  if (e.attempt > 1) count(M.coupaRetries);
}
