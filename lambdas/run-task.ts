/**
 * The run state machine's tasks (lambdas/core/runs/contract.ts): one handler, dispatched by `task`
 * to the run's steps in lambdas/core/runs/. It only wires: the run table (DynamoDB), the bucket (S3),
 * the queues (SQS), the topic (SNS) and Coupa (at the lane's share of the rate budget); every count
 * carries the run's channel (the run funnel: adapters/aws/run-task-metrics.ts, the outcomes recorded).
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { TaskRequest } from './core/runs/contract';
import type { RunStepDeps } from './core/runs/deps';
import { runTask } from './core/runs/run-task';
import { systemClock } from './core/ports';
import { S3OutcomeLog } from './adapters/aws/s3-outcome-ledger';
import { listKeys } from './adapters/aws/s3-list';
import { integrationMonitoring, onCoupaRequest, referenceReader, userDirectory } from './adapters/aws/wiring/coupa';
import { ObjectStoreMonitoringState } from './adapters/aws/s3-monitoring-state';
import { RunMonitor } from './core/monitoring/run-monitor';
import { S3ReferenceListStore } from './adapters/aws/s3-reference-list-store';
import { runLine, runRecords, runBreakerStore } from './adapters/aws/wiring/dynamo';
import { runTaskCounts } from './adapters/aws/run-task-metrics';
import { count, countCoupaRequest, countingLedger, flushMetrics, observed, setChannel } from './adapters/aws/wiring/metrics';
import { config, logger, requireEnv } from './adapters/aws/wiring/runtime';
import { ledger, objectStore, s3Client, stateStore } from './adapters/aws/wiring/s3';
import { notifier } from './adapters/aws/wiring/sns';
import { recordQueue } from './adapters/aws/wiring/sqs';

onCoupaRequest(countCoupaRequest);

/** The commands an operator runs to approve or reject a held run of this stack (the held alert names them). */
export function approvalCommands(table: string): RunStepDeps['commands'] {
  return {
    approve: (runId) => `npx coupa-sync approve ${runId} --table ${table}`,
    reject: (runId) => `npx coupa-sync reject ${runId} --table ${table}`,
  };
}

async function stepDeps(context: Context): Promise<RunStepDeps> {
  const bucket = requireEnv('BUCKET_NAME');
  const objects = await objectStore();
  const s3 = await s3Client();
  const breakers = await runBreakerStore();
  return {
    records: await runRecords(),
    line: await runLine(),
    objects,
    state: await stateStore(),
    ledger: countingLedger(await ledger()),
    outcomes: new S3OutcomeLog(objects, (prefix) => listKeys(s3, bucket, prefix)),
    queue: recordQueue,
    directory: (lane) => userDirectory(lane === 'preview' ? 'preview' : 'turn'),
    references: async (lane) => {
      const reader = await referenceReader(lane === 'preview' ? 'preview' : 'turn');
      return reader && { reader, kept: new S3ReferenceListStore(objects) };
    },
    monitor: async (channel) => {
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
    },
    notifier: await notifier(),
    config: config(),
    clock: systemClock,
    log: (message, data) => logger.info(message, data ?? {}),
    timeLeft: () => context.getRemainingTimeInMillis(),
    breakerVerdict: (runId) => breakers.verdict(runId),
    commands: approvalCommands(requireEnv('RUN_TABLE')),
  };
}

export const handler = middy<TaskRequest, unknown>()
  .use(observed())
  .handler(async (request, context) => {
    logger.appendKeys({ runId: request.state.run.runId, task: request.task });
    setChannel(request.state.channel);
    const result = await runTask(request, await stepDeps(context));
    // Counted and published in one synchronous stretch, under the run's channel (set again: a process
    // running other handlers at once, as the tests do, may have flushed the dimension meanwhile).
    setChannel(request.state.channel);
    for (const [name, value] of runTaskCounts(request.task, result)) count(name, value);
    flushMetrics();
    return result;
  });
