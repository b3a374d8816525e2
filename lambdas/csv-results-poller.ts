/** Every 5 minutes: reads Coupa's loader verdict on delivered files into the run ledgers (one pass, no waiting). */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { systemClock } from './core/ports';
import { collectCsvResults } from './core/csv/results';
import { dataFileSourceReader } from './adapters/aws/wiring/coupa';
import { logger } from './adapters/aws/wiring/runtime';
import { ledger, manifests } from './adapters/aws/wiring/s3';
import { notifier } from './adapters/aws/wiring/sns';

export const handler = middy<ScheduledEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const pending = await (await manifests()).pending();
    if (pending.length === 0) return { settled: 0, pending: 0 };
    const deps = { reader: await dataFileSourceReader(), manifests: await manifests(), ledger: await ledger(), notifier: await notifier(), clock: systemClock };
    const result = await collectCsvResults(pending, deps, {
      timeoutSeconds: 0,
      pollSeconds: 0,
      onProgress: (msg) => logger.info(msg),
    });
    logger.info('loader results collected', { settled: result.outcomes.length, stillPending: result.pending.length });
    return { settled: result.outcomes.length, pending: result.pending.length };
  });
