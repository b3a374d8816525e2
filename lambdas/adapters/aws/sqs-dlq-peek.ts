/**
 * Looks at a dead-letter queue without consuming it: ReceiveMessage hides what it returns for
 * PEEK_VISIBILITY_SECONDS (so one look pages through the queue) and nothing is ever deleted. The
 * messages come back shaped as Lambda's SQS records, so one reader serves both.
 *
 * A FIFO DLQ shows only the first message of each group while that one is hidden; the messages
 * behind it in its group are seen on a later look. The api-consumer records its own dead letters,
 * so on the api DLQ this only delays counting them.
 */
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { sqsSdk } from './sdk';

/** Long enough to page through a DLQ in one invocation; short enough that a redrive soon finds every message visible. */
export const PEEK_VISIBILITY_SECONDS = 15 * 60;

/** https://sqs.<region>.amazonaws.com/<account>/<name> → its ARN (what Lambda's records carry). */
export function queueArnOf(queueUrl: string): string {
  const { hostname, pathname } = new URL(queueUrl);
  const [, account, name] = pathname.split('/');
  return `arn:aws:sqs:${hostname.split('.')[1]}:${account}:${name}`;
}

function toRecord(m: Message, queueUrl: string): SQSRecord {
  const arn = queueArnOf(queueUrl);
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' } as SQSRecord['attributes'],
    messageAttributes: Object.fromEntries(
      Object.entries(m.MessageAttributes ?? {}).map(([name, v]) => [name, { dataType: v.DataType ?? 'String', stringValue: v.StringValue }]),
    ),
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: arn.split(':')[3],
  };
}

/** Every message visible now, up to `max`, stopping early when `shouldStop` says so. */
export async function peekQueue(sqs: SQSClient, queueUrl: string, opts: { max: number; shouldStop: () => boolean }): Promise<SQSRecord[]> {
  const { ReceiveMessageCommand } = await sqsSdk();
  const seen: SQSRecord[] = [];
  while (seen.length < opts.max && !opts.shouldStop()) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
        // Long polling asks every SQS server (a short poll of a standard queue samples a few and may miss messages).
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const messages = out?.Messages ?? [];
    if (messages.length === 0) break;
    seen.push(...messages.map((m) => toRecord(m, queueUrl)));
  }
  return seen;
}
