/**
 * Reads ChangeMessages out of SQS records. A body that does not parse never will, so it is
 * reported (by message id only: the body may hold personal data) and not retried.
 */
import type { SQSRecord } from 'aws-lambda';
import type { ChangeMessage } from '../../core/model';
import type { Notifier } from '../../core/ports';

/** Set by the api-consumer on the copy it puts into the DLQ (sqs-dead-letters.ts): the reason it recorded. */
export const DEAD_LETTER_ATTRIBUTE = 'coupa-sync-dead-letter';

/** The message was dead-lettered by the consumer (so its row is recorded), or redriven from there. */
export function deadLetterReasonOf(record: Pick<SQSRecord, 'messageAttributes'>): string | undefined {
  return record.messageAttributes?.[DEAD_LETTER_ATTRIBUTE]?.stringValue;
}

export interface ReceivedMessage {
  messageId: string;
  message: ChangeMessage;
  /** Deliveries so far, this one included (SQS's ApproximateReceiveCount). */
  receiveCount: number;
  /** Copied to the DLQ by the consumer (which recorded its row), or redriven from there. */
  deadLettered?: string;
}

/** The shape a planner message has (checked by hand: a schema library costs every bundle ~100 KB). */
function isChangeMessage(body: unknown): body is ChangeMessage {
  const m = body as Partial<ChangeMessage> | null;
  const c = m?.change as Partial<ChangeMessage['change']> | undefined;
  return (
    typeof m?.runId === 'string' && m.runId !== '' && typeof m.file === 'string' && typeof m.group === 'string' &&
    typeof c?.login === 'string' && c.login !== '' && typeof c.kind === 'string' && typeof c.send === 'object' && c.send !== null &&
    Array.isArray(c.rows) && Array.isArray(c.changes) && typeof c.level === 'number'
  );
}

export function readChangeMessages(records: SQSRecord[]): { received: ReceivedMessage[]; unreadable: SQSRecord[] } {
  const received: ReceivedMessage[] = [];
  const unreadable: SQSRecord[] = [];
  for (const r of records) {
    try {
      const body: unknown = JSON.parse(r.body);
      if (isChangeMessage(body)) {
        const deadLettered = deadLetterReasonOf(r);
        received.push({ messageId: r.messageId, message: body, receiveCount: Number(r.attributes.ApproximateReceiveCount ?? 1), ...(deadLettered ? { deadLettered } : {}) });
      } else unreadable.push(r);
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

export async function reportUnreadable(unreadable: SQSRecord[], notifier: Notifier | (() => Promise<Notifier>)): Promise<void> {
  if (unreadable.length === 0) return;
  const ids = unreadable.map((r) => `${queueNameOf(r)}/${r.messageId}`);
  await (typeof notifier === 'function' ? await notifier() : notifier).publish({
    kind: 'unreadable',
    subject: `Coupa user sync: ${unreadable.length} unreadable queue message(s) dropped`,
    message: `These SQS messages are not change messages and were dropped (not retried):\n${ids.join('\n')}`,
    severity: 'failure',
  });
}
