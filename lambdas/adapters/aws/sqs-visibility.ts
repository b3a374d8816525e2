/**
 * Handed-back messages come back sooner than the queue's visibility timeout (6× the consumer's
 * timeout: over half an hour for the api queue), with exponential backoff: 1, 2, 4, 8, 16 min, then
 * 30 min. A Coupa hiccup of a minute then costs a minute, not half an hour, while the default
 * api.maxReceiveCount of 10 still spans about 2.5 hours of outage before a row is dead-lettered.
 */
import type { SQSRecord } from 'aws-lambda';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsSdk } from './sdk';

const BASE_SECONDS = 60;
const MAX_SECONDS = 30 * 60;
const BATCH_LIMIT = 10;

/** How long a message handed back after its n-th delivery stays invisible. */
export function retryDelaySeconds(receiveCount: number): number {
  return Math.min(MAX_SECONDS, BASE_SECONDS * 2 ** Math.max(0, receiveCount - 1));
}

/** arn:aws:sqs:<region>:<account>:<name> → the queue URL SQS's API takes. */
export function queueUrlOf(record: SQSRecord): string {
  const [, , , region, account, name] = record.eventSourceARN.split(':');
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}

/**
 * Sets each record's visibility to its backoff. Best effort: a failure leaves the queue's own
 * timeout in force (the message still comes back), so it is reported, not thrown.
 */
export async function comeBackSooner(sqs: SQSClient, records: SQSRecord[]): Promise<string | undefined> {
  if (records.length === 0) return undefined;
  const { ChangeMessageVisibilityBatchCommand } = await sqsSdk();
  const problems: string[] = [];
  for (let i = 0; i < records.length; i += BATCH_LIMIT) {
    const batch = records.slice(i, i + BATCH_LIMIT);
    try {
      const out = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrlOf(batch[0]),
          Entries: batch.map((r, n) => ({
            Id: String(n),
            ReceiptHandle: r.receiptHandle,
            VisibilityTimeout: retryDelaySeconds(Number(r.attributes.ApproximateReceiveCount ?? 1)),
          })),
        }),
      );
      for (const f of out?.Failed ?? []) problems.push(`${f.Code ?? 'error'}`);
    } catch (err) {
      problems.push((err as Error).name);
    }
  }
  return problems.length > 0 ? `${problems.length} visibility change(s) failed: ${[...new Set(problems)].join(', ')}` : undefined;
}
