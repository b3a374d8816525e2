/**
 * Reads SyncMessages out of SQS records. A body that does not parse never will, so it is
 * reported (by message id only: the body may hold personal data) and not retried.
 */
import type { SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import type { SyncMessage } from '../../core/model';
import type { Notifier } from '../../core/ports';

const syncMessageShape = z.looseObject({
  runId: z.string().min(1),
  file: z.string(),
  record: z.looseObject({ row: z.number().int(), login: z.string().min(1), fields: z.record(z.string(), z.unknown()) }),
});

export interface ReceivedMessage {
  messageId: string;
  message: SyncMessage;
}

export function readSyncMessages(records: SQSRecord[]): { received: ReceivedMessage[]; unreadable: SQSRecord[] } {
  const received: ReceivedMessage[] = [];
  const unreadable: SQSRecord[] = [];
  for (const r of records) {
    try {
      const body: unknown = JSON.parse(r.body);
      if (syncMessageShape.safeParse(body).success) received.push({ messageId: r.messageId, message: body as SyncMessage });
      else unreadable.push(r);
    } catch {
      unreadable.push(r);
    }
  }
  return { received, unreadable };
}

/** Queue name from the record's ARN (arn:aws:sqs:region:account:name). */
export function queueNameOf(record: SQSRecord): string {
  return record.eventSourceARN.split(':').pop() ?? record.eventSourceARN;
}

export async function reportUnreadable(unreadable: SQSRecord[], notifier: Notifier): Promise<void> {
  if (unreadable.length === 0) return;
  const ids = unreadable.map((r) => `${queueNameOf(r)}/${r.messageId}`);
  await notifier.publish({
    subject: `Coupa user sync: ${unreadable.length} unreadable queue message(s) dropped`,
    message: `These SQS messages are not sync messages and were dropped (not retried):\n${ids.join('\n')}`,
    severity: 'failure',
  });
}
