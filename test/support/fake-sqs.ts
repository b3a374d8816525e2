/**
 * A tiny SQS FIFO queue behind an aws-sdk-client-mock SQS mock, and the Lambda poller that drains it:
 * SendMessageBatch appends (a deduplication id seen in the last 5 minutes is dropped, as SQS does);
 * a receive hands out messages in send order, never one of a group while an earlier one of that
 * group is in flight; what the handler hands back (batchItemFailures) becomes visible again at the
 * head of its group with its receive count up, and goes to the dead letters after maxReceiveCount
 * (the redrive policy): into `dead`, and into the dead-letter FakeFifoQueue when one is given, as a
 * new message there with the same body, group and attributes, as SQS moves it. SendMessage and
 * ChangeMessageVisibilityBatch to the queue's URL are answered too (a visibility change is only
 * noted: the fake has no clock), and `moveTo` is SQS's message move task (an operator's redrive).
 * ReceiveMessage (a program reading the queue itself, like the dlq-notifier) hides what it returns
 * until `reveal()` (its visibility timeout ran out). A URL without `.fifo` is a standard queue: no
 * groups held back, no deduplication.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  SendMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type ChangeMessageVisibilityBatchCommandInput,
  type Message,
  type ReceiveMessageCommandInput,
  type MessageAttributeValue,
  type SendMessageBatchCommandInput,
  type SendMessageCommandInput,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { AwsStub } from 'aws-sdk-client-mock';

export interface FakeMessage {
  messageId: string;
  body: string;
  groupId: string;
  dedupId: string;
  sentAt: number;
  receiveCount: number;
  inFlight: boolean;
  attributes?: Record<string, MessageAttributeValue>;
}

const DEDUP_WINDOW_MS = 5 * 60_000;

export class FakeFifoQueue {
  // (Standard too, when its URL has no .fifo: see above.)
  /** Messages not deleted yet, in send order. */
  readonly messages: FakeMessage[] = [];
  /** Messages moved to the dead-letter queue. */
  readonly dead: FakeMessage[] = [];
  /** Every batch handed to the handler: the message ids, in order. */
  readonly batches: string[][] = [];
  /** The most deliveries any message got, deleted ones included (what a redrive policy would have counted). */
  mostReceives = 0;
  /** Every visibility change asked for: [messageId, seconds]. */
  readonly visibilityChanges: Array<[string, number]> = [];
  private readonly seen = new Map<string, number>();
  private next = 1;

  constructor(
    readonly queueUrl: string,
    private readonly maxReceiveCount = 5,
    readonly deadLetterQueue?: FakeFifoQueue,
  ) {
    this.fifo = queueUrl.endsWith('.fifo');
  }

  readonly fifo: boolean;

  /** Routes the mock's SendMessageBatch calls for this queue URL here. */
  attach(sqsMock: AwsStub<any, any, any>): this {
    sqsMock.on(SendMessageBatchCommand, { QueueUrl: this.queueUrl }).callsFake(async (input: SendMessageBatchCommandInput) => this.sendBatch(input));
    sqsMock.on(SendMessageCommand, { QueueUrl: this.queueUrl }).callsFake(async (input: SendMessageCommandInput) => this.sendOne(input));
    sqsMock
      .on(ChangeMessageVisibilityBatchCommand, { QueueUrl: this.queueUrl })
      .callsFake(async (input: ChangeMessageVisibilityBatchCommandInput) => this.changeVisibility(input));
    sqsMock.on(ReceiveMessageCommand, { QueueUrl: this.queueUrl }).callsFake(async (input: ReceiveMessageCommandInput) => this.receiveMessages(input));
    this.deadLetterQueue?.attach(sqsMock);
    return this;
  }

  /** ReceiveMessage: up to MaxNumberOfMessages, hidden until `reveal()`; nothing is deleted. */
  receiveMessages(input: ReceiveMessageCommandInput): { Messages?: Message[] } {
    const records = this.receive(input.MaxNumberOfMessages ?? 1);
    if (records.length === 0) return {};
    return {
      Messages: records.map((r) => ({
        MessageId: r.messageId,
        ReceiptHandle: r.receiptHandle,
        Body: r.body,
        Attributes: { ApproximateReceiveCount: r.attributes.ApproximateReceiveCount },
        ...(Object.keys(r.messageAttributes).length
          ? { MessageAttributes: Object.fromEntries(Object.entries(r.messageAttributes).map(([n, v]) => [n, { DataType: v.dataType, StringValue: v.stringValue }])) }
          : {}),
      })),
    };
  }

  /** Every hidden message's visibility timeout runs out. */
  reveal(): void {
    for (const m of this.messages) m.inFlight = false;
  }

  sendOne(input: SendMessageCommandInput) {
    const { Successful } = this.sendBatch({ QueueUrl: input.QueueUrl, Entries: [{ ...input, Id: '0' }] });
    return { MessageId: Successful[0].MessageId, MD5OfMessageBody: 'x' };
  }

  /** Receipt handles are `rh-<messageId>-<receiveCount>`; an unknown or stale one fails, as in SQS. */
  changeVisibility(input: ChangeMessageVisibilityBatchCommandInput) {
    const successful: Array<{ Id: string }> = [];
    const failed: Array<{ Id: string; Code: string; SenderFault: boolean }> = [];
    for (const e of input.Entries ?? []) {
      const m = this.messages.find((x) => e.ReceiptHandle === `rh-${x.messageId}-${x.receiveCount}` && x.inFlight);
      if (m) {
        this.visibilityChanges.push([m.messageId, e.VisibilityTimeout ?? 0]);
        successful.push({ Id: e.Id! });
      } else failed.push({ Id: e.Id!, Code: 'ReceiptHandleIsInvalid', SenderFault: true });
    }
    return { Successful: successful, Failed: failed };
  }

  /** An operator's redrive (StartMessageMoveTask): every message moves to `to` as a new one, attributes kept. */
  moveTo(to: FakeFifoQueue): number {
    const moved = this.messages.splice(0, this.messages.length);
    for (const m of moved) to.accept(m);
    return moved.length;
  }

  /** Takes a message moved from another queue: a new id and no deliveries yet, as SQS does. */
  private accept(m: FakeMessage): void {
    this.messages.push({ ...m, messageId: `msg-${String(this.next++).padStart(4, '0')}`, receiveCount: 0, inFlight: false, sentAt: Date.now() });
  }

  sendBatch(input: SendMessageBatchCommandInput) {
    const entries = input.Entries ?? [];
    if (entries.length > 10) throw Object.assign(new Error('Too many entries'), { name: 'TooManyEntriesInBatchRequest' });
    const now = Date.now();
    const successful = entries.map((e) => {
      if (this.fifo && (!e.MessageGroupId || !e.MessageDeduplicationId)) throw Object.assign(new Error('FIFO needs group and deduplication ids'), { name: 'MissingParameter' });
      const messageId = `msg-${String(this.next++).padStart(4, '0')}`;
      const dedupId = e.MessageDeduplicationId ?? messageId;
      const at = this.fifo ? this.seen.get(dedupId) : undefined;
      if (at === undefined || now - at >= DEDUP_WINDOW_MS) {
        this.seen.set(dedupId, now);
        this.messages.push({
          messageId,
          body: e.MessageBody!,
          groupId: e.MessageGroupId ?? '',
          dedupId,
          sentAt: now,
          receiveCount: 0,
          inFlight: false,
          ...(e.MessageAttributes ? { attributes: e.MessageAttributes } : {}),
        });
      }
      return { Id: e.Id!, MessageId: messageId, MD5OfMessageBody: 'x' };
    });
    return { Successful: successful, Failed: [] };
  }

  get size(): number {
    return this.messages.length;
  }

  /** Up to `max` messages as Lambda's FIFO poller would hand them out. */
  receive(max = 10): SQSRecord[] {
    const blocked = new Set(this.fifo ? this.messages.filter((m) => m.inFlight).map((m) => m.groupId) : []);
    const taken: FakeMessage[] = [];
    for (const m of this.messages) {
      if (taken.length >= max) break;
      if (m.inFlight || blocked.has(m.groupId)) continue;
      taken.push(m);
    }
    for (const m of taken) {
      m.inFlight = true;
      m.receiveCount += 1;
      this.mostReceives = Math.max(this.mostReceives, m.receiveCount);
    }
    this.batches.push(taken.map((m) => m.messageId));
    return taken.map((m) => this.record(m));
  }

  /** Deletes what the handler settled; hands the failures back (or to the dead letters). */
  settle(records: SQSRecord[], response: SQSBatchResponse | void): void {
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    for (const r of records) {
      const i = this.messages.findIndex((m) => m.messageId === r.messageId);
      const m = this.messages[i];
      if (!failed.has(r.messageId)) this.messages.splice(i, 1);
      else if (m.receiveCount >= this.maxReceiveCount) {
        const [moved] = this.messages.splice(i, 1);
        this.dead.push(moved);
        this.deadLetterQueue?.accept({ ...moved, attributes: moved.attributes });
      }
      else m.inFlight = false;
    }
  }

  /** Feeds the handler batches of at most `batchSize` until the queue is empty; returns the number of batches. */
  async drain(
    handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>,
    context: () => Context,
    batchSize = 10,
    maxBatches = 100,
  ): Promise<number> {
    let batches = 0;
    while (this.size > 0) {
      if (++batches > maxBatches) throw new Error(`the queue did not drain in ${maxBatches} batches`);
      const records = this.receive(batchSize);
      const response = await handler({ Records: records }, context()).catch((err: unknown) => {
        // A handler that throws: Lambda hands the whole batch back.
        this.settle(records, { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) });
        throw err;
      });
      this.settle(records, response);
    }
    return batches;
  }

  private record(m: FakeMessage): SQSRecord {
    const name = this.queueUrl.split('/').pop()!;
    return {
      messageId: m.messageId,
      receiptHandle: `rh-${m.messageId}-${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'AIDA',
        ApproximateFirstReceiveTimestamp: String(m.sentAt),
        MessageGroupId: m.groupId,
        MessageDeduplicationId: m.dedupId,
        SequenceNumber: m.messageId.replace(/\D/g, ''),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.attributes ?? {}).map(([name, v]) => [name, { dataType: v.DataType!, stringValue: v.StringValue, stringListValues: [], binaryListValues: [] }]),
      ),
      md5OfBody: 'x',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:eu-west-1:123456789012:${name}`,
      awsRegion: 'eu-west-1',
    };
  }
}
