/** SQS batch of planned changes → Coupa user-import CSV file(s) sent to the sFTP folder through Transfer Family. */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { systemClock } from './core/ports';
import { deliverCsvBatch } from './core/csv/batcher';
import { M } from './adapters/aws/metric-names';
import { count, countingLedger, observed, setChannel } from './adapters/aws/wiring/metrics';
import { config, logger } from './adapters/aws/wiring/runtime';
import { ledger, manifests } from './adapters/aws/wiring/s3';
import { notifier } from './adapters/aws/wiring/sns';
import { fileDrop } from './adapters/aws/wiring/transfer';
import { readChangeMessages, reportUnreadable } from './adapters/aws/sqs-messages';

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(observed())
  .handler(async (event) => {
    setChannel('csv');
    const { received, unreadable } = readChangeMessages(event.Records);
    await reportUnreadable(unreadable, notifier);
    const deps = { drop: await fileDrop(), manifests: await manifests(), ledger: countingLedger(await ledger()), notifier: await notifier(), clock: systemClock, config: config() };
    // A failed delivery throws: the whole batch returns to the queue (Coupa's loader upserts, so a resend is harmless).
    const sentAt = new Map(event.Records.map((r) => [r.messageId, Number(r.attributes.SentTimestamp)]));
    const queuedAt = new Map(received.map((r) => [r.message, sentAt.get(r.messageId) || 0]));
    const sent = await deliverCsvBatch(received.map((r) => r.message), deps, queuedAt).catch((err: unknown) => {
      count(M.csvFilesFailed);
      throw err;
    });
    count(M.csvFilesSent, sent.length);
    for (const m of sent) logger.info('user-import file sent', { fileName: m.fileName, rows: m.rows.length, transferId: m.transferId });
    return { batchItemFailures: [] };
  });
