/**
 * DeadLetterQueue on the api queue's FIFO DLQ: the consumer copies a change that failed
 * api.maxReceiveCount genuine attempts there itself (same body, group and deduplication id as the
 * planner sent), then lets Lambda delete it from the api queue. The copy carries the
 * DEAD_LETTER_ATTRIBUTE with the reason: the dlq-notifier then knows its row is already recorded,
 * and after an operator's redrive (`aws sqs start-message-move-task`, which keeps attributes but
 * gives the message a new id and receive count) the consumer knows to check it against Coupa first.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { ChangeMessage } from '../../core/model';
import type { DeadLetterQueue } from '../../core/ports';
import { sqsSdk } from './sdk';
import { DEAD_LETTER_ATTRIBUTE } from './sqs-messages';
import { deduplicationId, messageGroupId } from './sqs-record-queue';

export { DEAD_LETTER_ATTRIBUTE };

/** A message attribute counts toward SQS's 256 KB; a reason is a short Coupa error. */
const MAX_REASON_CHARS = 1000;

export class SqsDeadLetterQueue implements DeadLetterQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: ChangeMessage, reason: string): Promise<void> {
    const { SendMessageCommand } = await sqsSdk();
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        MessageGroupId: messageGroupId(message.group),
        MessageDeduplicationId: deduplicationId(message.runId, message.change.login),
        MessageAttributes: { [DEAD_LETTER_ATTRIBUTE]: { DataType: 'String', StringValue: reason.slice(0, MAX_REASON_CHARS) || 'dead' } },
      }),
    );
  }
}
