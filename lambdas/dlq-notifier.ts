/**
 * A message in a dead-letter queue is a row that will not be applied: record it as failed in its
 * run. People are told without a storm: the DLQ-depth alarm fires at once (one alert, however many
 * rows), and the run reporter's single digest per run lists every failed row. Publishing here too
 * would mean one SNS message per FIFO batch of 10 — 2,000 for a 20,000-row run with bad credentials.
 * SQS does not carry the consumer's last error, so the outcome says where to look.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { SyncMessage } from './core/model';
import type { SettledRow } from './core/sync/notify';
import { settle } from './core/sync/consume';
import { ledger, logger, notifier } from './adapters/aws/context';
import { queueNameOf, readSyncMessages, reportUnreadable } from './adapters/aws/sqs-messages';

/** The api queue and its DLQ are FIFO; the csv ones are standard. */
const consumerOf = (queue: string) => (queue.endsWith('.fifo') ? 'api-consumer' : 'csv-batcher');

function deadRow(message: SyncMessage, record: SQSRecord): SettledRow {
  const { row, login } = message.record;
  const deliveries = record.attributes.ApproximateReceiveCount;
  const why = `not applied after ${deliveries} deliveries: see the ${consumerOf(queueNameOf(record))} logs`;
  return { message, outcome: { row, login, outcome: 'failed', errors: [why] } };
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    const { received, unreadable } = readSyncMessages(event.Records);
    await reportUnreadable(unreadable, notifier());
    const recordOf = new Map(event.Records.map((r) => [r.messageId, r]));
    const runs = new Map<string, { messageIds: string[]; rows: SettledRow[] }>();
    for (const { messageId, message } of received) {
      const run = runs.get(message.runId) ?? { messageIds: [], rows: [] };
      run.messageIds.push(messageId);
      run.rows.push(deadRow(message, recordOf.get(messageId)!));
      runs.set(message.runId, run);
    }
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const [runId, { messageIds, rows }] of runs) {
      try {
        await settle(rows, { ledger: ledger(), notifier: notifier() }, { notify: false });
        logger.warn('dead messages recorded as failed', { runId, rows: rows.length });
      } catch (err) {
        // Kept in the DLQ for the next attempt (recording again is harmless: the last outcome wins).
        logger.error('could not record dead messages', { runId, rows: rows.length, error: (err as Error).message });
        batchItemFailures.push(...messageIds.map((itemIdentifier) => ({ itemIdentifier })));
      }
    }
    return { batchItemFailures };
  });
