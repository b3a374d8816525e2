/** SQS batch of planned changes → Coupa user-import CSV file(s) sent to the sFTP folder through Transfer Family. */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { systemClock } from './core/ports';
import { deliverInManagerOrder } from './core/csv/batcher';
import { M } from './adapters/aws/metric-names';
import { count, countingLedger, observed, setChannel } from './adapters/aws/wiring/metrics';
import { config, logger } from './adapters/aws/wiring/runtime';
import { manifests } from './adapters/aws/wiring/s3';
import { settledLogins } from './adapters/aws/wiring/dynamo';
import { settlingLedger } from './adapters/aws/wiring/settling';
import { notifier } from './adapters/aws/wiring/sns';
import { fileDrop } from './adapters/aws/wiring/transfer';
import { readChangeMessages, reportUnreadable } from './adapters/aws/sqs-messages';
import { comeBackSooner } from './adapters/aws/sqs-visibility';
import { sqsClient } from './adapters/aws/wiring/sqs';

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(observed())
  .handler(async (event) => {
    setChannel('csv');
    const { received, unreadable } = readChangeMessages(event.Records);
    await reportUnreadable(unreadable, notifier);
    const deps = {
      drop: await fileDrop(), manifests: await manifests(), ledger: countingLedger(await settlingLedger()), notifier: await notifier(), clock: systemClock, config: config(),
      settledLogins: await settledLogins(),
    };
    // A failed delivery throws: the whole batch returns to the queue (Coupa's loader upserts, so a resend is harmless).
    const sentAt = new Map(event.Records.map((r) => [r.messageId, Number(r.attributes.SentTimestamp)]));
    const queuedAt = new Map(received.map((r) => [r.message, sentAt.get(r.messageId) || 0]));
    const receiveCount = new Map(received.map((r) => [r.message, r.receiveCount]));
    const { sent, waiting } = await deliverInManagerOrder(received.map((r) => r.message), deps, { queuedAt, receiveCount }).catch((err: unknown) => {
      count(M.csvFilesFailed);
      throw err;
    });
    count(M.csvFilesSent, sent.length);
    for (const m of sent) logger.info('user-import file sent', { fileName: m.fileName, rows: m.rows.length, transferId: m.transferId });
    if (waiting.length === 0) return { batchItemFailures: [] };
    // Reports whose new manager another batch has not settled yet: back in 1, 2, 4… min, not the
    // queue's half-hour visibility timeout.
    const idOf = new Map(received.map((r) => [r.message, r.messageId]));
    const records = new Map(event.Records.map((r) => [r.messageId, r]));
    logger.info('changes wait for their manager', { count: waiting.length });
    const backoff = await comeBackSooner(await sqsClient(), waiting.map((m) => records.get(idOf.get(m)!)!));
    if (backoff) logger.warn('wait backoff not set; the queue timeout applies', { problem: backoff });
    return { batchItemFailures: waiting.map((m) => ({ itemIdentifier: idOf.get(m)! })) };
  });
