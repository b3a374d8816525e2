/** Every 5 minutes: reads Coupa's loader verdict on delivered files into the run ledgers (one pass, no waiting). */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { ScheduledEvent } from 'aws-lambda';
import { systemClock } from './core/ports';
import { collectCsvResults } from './core/csv/results';
import { dataFileSourceReader, ledger, logger, manifests, notifier } from './adapters/aws/context';

export const handler = middy<ScheduledEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const pending = await manifests().pending();
    if (pending.length === 0) return { settled: 0, pending: 0 };
    const deps = { reader: await dataFileSourceReader(), manifests: manifests(), ledger: ledger(), notifier: notifier(), clock: systemClock };
    const result = await collectCsvResults(pending, deps, {
      timeoutSeconds: 0,
      pollSeconds: 0,
      onProgress: (msg) => logger.info(msg),
    });
    logger.info('loader results collected', { settled: result.outcomes.length, stillPending: result.pending.length });
    return { settled: result.outcomes.length, pending: result.pending.length };
  });
