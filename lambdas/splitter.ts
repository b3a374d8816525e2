/**
 * The splitter (S3 ObjectCreated under incoming/ or plan/): starts the run's state machine execution,
 * named by the run id, with the file's exact version. A duplicate event finds the execution started
 * (ExecutionAlreadyExists) and is ignored. Everything else — the turn, reading Coupa, the plan, the
 * queue, the report — is the execution's (lambdas/run-plan.ts, lambdas/run-task.ts, lambdas/core/runs/).
 */
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { runStartOf } from './core/runs/start';
import { objectKeyOf, objectVersionOf } from './adapters/aws/s3-event';
import { startRunExecution } from './adapters/aws/run-executions';
import { observed } from './adapters/aws/wiring/metrics';
import { config, logger, requireEnv } from './adapters/aws/wiring/runtime';
import { sfnClient } from './adapters/aws/wiring/sfn';

export const handler = middy<S3Event>()
  .use(observed())
  .handler(async (event) => {
    for (const record of event.Records) {
      const dropped = {
        bucket: record.s3.bucket.name,
        key: objectKeyOf(record),
        version: objectVersionOf(record),
        ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
        eventTime: record.eventTime,
      };
      const start = runStartOf(dropped, config());
      if (!start) {
        logger.warn('object outside incoming/ and plan/: no run started', { key: dropped.key });
        continue;
      }
      const outcome = await startRunExecution(await sfnClient(), requireEnv('STATE_MACHINE_ARN'), start.run.runId, start);
      logger.info(outcome === 'started' ? 'run started' : 'run started already: duplicate event ignored', { runId: start.run.runId, file: start.run.file });
    }
  });
