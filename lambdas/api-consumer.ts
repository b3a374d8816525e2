/** SQS FIFO batch → Coupa Users API. Retryable rows go back to the queue; the rest are settled. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { CoupaAuthError } from './core/coupa/directory';
import { consumeBatch } from './core/sync/consume';
import { config, forgetCoupaClient, ledger, logger, notifier, userDirectory } from './adapters/aws/context';
import { readSyncMessages, reportUnreadable } from './adapters/aws/sqs-messages';

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const { received, unreadable } = readSyncMessages(event.Records);
    await reportUnreadable(unreadable, notifier());
    if (received.length === 0) return { batchItemFailures: [] };
    const idOf = new Map(received.map((r) => [r.message, r.messageId]));
    logger.appendKeys({ runIds: [...new Set(received.map((r) => r.message.runId))] });
    try {
      const deps = { directory: await userDirectory(), ledger: ledger(), notifier: notifier(), config: config() };
      const result = await consumeBatch([...idOf.keys()], deps);
      if (result.retry.length) logger.warn('rows sent back for retry', { count: result.retry.length, reason: result.retryReason });
      logger.info('batch applied', { outcomes: result.outcomes.length, retry: result.retry.length });
      return { batchItemFailures: result.retry.map((m) => ({ itemIdentifier: idOf.get(m)! })) };
    } catch (err) {
      // Bad credentials fail the whole batch; re-read the secret next time in case it was fixed.
      if (err instanceof CoupaAuthError) forgetCoupaClient();
      throw err;
    }
  });
