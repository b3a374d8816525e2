/**
 * A message in a dead-letter queue is a change that will not be applied: record it as failed in its
 * run. People are told without a storm: the DLQ alarm fires once, and the run's single digest lists
 * every failed row. SQS does not carry the consumer's last error, so the outcome says where to look.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { resultOf, rowOutcomesOf } from './core/apply/outcomes';
import { M } from './adapters/aws/metric-names';
import { count, countingLedger, observed, setChannel } from './adapters/aws/wiring/metrics';
import { logger } from './adapters/aws/wiring/runtime';
import { ledger } from './adapters/aws/wiring/s3';
import { notifier } from './adapters/aws/wiring/sns';
import { queueNameOf, readChangeMessages, reportUnreadable } from './adapters/aws/sqs-messages';

/** The api queue and its DLQ are FIFO; the csv ones are standard. */
const consumerOf = (queue: string) => (queue.endsWith('.fifo') ? 'api-consumer' : 'csv-batcher');

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(observed())
  .handler(async (event) => {
    const { received, unreadable } = readChangeMessages(event.Records);
    await reportUnreadable(unreadable, notifier);
    const queueOf = new Map(event.Records.map((r) => [r.messageId, queueNameOf(r)]));
    // One event source mapping per DLQ: a batch comes from one queue, so from one channel.
    const first = event.Records[0];
    setChannel(first && consumerOf(queueNameOf(first)) === 'api-consumer' ? 'api' : 'csv');
    count(M.deadLetters, event.Records.length);
    const deadLedger = countingLedger(await ledger());
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const { messageId, message, receiveCount } of received) {
      const why = `not applied after ${receiveCount} deliveries: see the ${consumerOf(queueOf.get(messageId) ?? '')} logs`;
      try {
        await deadLedger.record({ runId: message.runId, file: message.file }, rowOutcomesOf(resultOf(message.change, 'failed', [why])));
      } catch (err) {
        // Kept in the DLQ for the next attempt (recording again is harmless: the last outcome wins).
        logger.error('could not record a dead message', { runId: message.runId, error: (err as Error).message });
        batchItemFailures.push({ itemIdentifier: messageId });
      }
    }
    if (received.length > 0) logger.warn('dead messages recorded as failed', { count: received.length - batchItemFailures.length });
    return { batchItemFailures };
  });
