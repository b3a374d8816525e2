/** A message in a dead-letter queue is a row that will not be applied: record it as failed and tell people. */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ledger, logger, notifier } from './adapters/aws/context';
import { queueNameOf, readSyncMessages, reportUnreadable } from './adapters/aws/sqs-messages';

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const { received, unreadable } = readSyncMessages(event.Records);
    await reportUnreadable(unreadable, notifier());
    const attemptsOf = new Map(event.Records.map((r) => [r.messageId, r.attributes.ApproximateReceiveCount]));
    const queueOf = new Map(event.Records.map((r) => [r.messageId, queueNameOf(r)]));
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const { messageId, message } of received) {
      const { runId, file, record } = message;
      const why = `gave up after ${attemptsOf.get(messageId)} attempts: message moved to ${queueOf.get(messageId)}`;
      try {
        await ledger().record({ runId, file }, [{ row: record.row, login: record.login, outcome: 'failed', errors: [why] }]);
        await notifier().publish({
          subject: `Coupa user sync: row ${record.row} (${record.login}) failed`,
          message: `Run ${runId}, file ${file}, row ${record.row}, login ${record.login}: ${why}.`,
          severity: 'failure',
          run: { runId, file },
          logins: [record.login],
        });
        logger.warn('dead message recorded', { runId, login: record.login, row: record.row });
      } catch (err) {
        logger.error('could not record dead message', { runId, error: (err as Error).message });
        batchItemFailures.push({ itemIdentifier: messageId });
      }
    }
    return { batchItemFailures };
  });
