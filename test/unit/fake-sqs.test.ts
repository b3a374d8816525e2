/** The FIFO queue fake the AWS path e2e test drains: it must keep SQS FIFO's promises, or the e2e proves nothing. */
import { describe, expect, it } from 'vitest';
import { FakeFifoQueue } from '../support/fake-sqs';

const URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/q.fifo';
const entry = (id: string, group: string, dedup = id) => ({ Id: id, MessageBody: id, MessageGroupId: group, MessageDeduplicationId: dedup });

describe('FakeFifoQueue', () => {
  it('hands out no message of a group while an earlier one is in flight, puts a handed-back one at the head of its group, and dead-letters it after maxReceiveCount', () => {
    // Prepare: group g holds a1, a2, a3; group h holds b1; a duplicate of a1 is dropped.
    const queue = new FakeFifoQueue(URL, 2);
    queue.sendBatch({ QueueUrl: URL, Entries: [entry('a1', 'g'), entry('a2', 'g'), entry('b1', 'h'), entry('dup', 'g', 'a1')] });
    queue.sendBatch({ QueueUrl: URL, Entries: [entry('a3', 'g')] });
    // Act / Assess: a batch of 2 takes a1, a2; the next may take only b1 (g is in flight).
    const first = queue.receive(2);
    expect(first.map((r) => r.body)).toEqual(['a1', 'a2']);
    const second = queue.receive(10);
    expect(second.map((r) => r.body)).toEqual(['b1']);
    queue.settle(second, { batchItemFailures: [] });
    // a1 done, a2 handed back: a2 comes again (receive count 2) before a3.
    queue.settle(first, { batchItemFailures: [{ itemIdentifier: first[1].messageId }] });
    const third = queue.receive(10);
    expect(third.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([
      ['a2', '2'],
      ['a3', '1'],
    ]);
    // a2 handed back a second time: maxReceiveCount 2 sends it to the dead letters.
    queue.settle(third, { batchItemFailures: [{ itemIdentifier: third[0].messageId }] });
    expect(queue.dead.map((m) => m.body)).toEqual(['a2']);
    expect(queue.size).toBe(0);
  });

  it('moves a message to its dead-letter queue at the redrive count as a new message (attributes kept), and an operator\'s move brings it back fresh', () => {
    // Prepare
    const dlq = new FakeFifoQueue('https://sqs.eu-west-1.amazonaws.com/123456789012/q-dlq.fifo', 1000);
    const queue = new FakeFifoQueue(URL, 2, dlq);
    queue.sendBatch({ QueueUrl: URL, Entries: [{ ...entry('a1', 'g'), MessageAttributes: { why: { DataType: 'String', StringValue: 'x' } } }] });
    // Act: handed back twice
    for (let i = 0; i < 2; i++) {
      const records = queue.receive();
      queue.settle(records, { batchItemFailures: [{ itemIdentifier: records[0].messageId }] });
    }
    // Assess
    expect(queue.size).toBe(0);
    expect(queue.mostReceives).toBe(2);
    expect(dlq.messages.map((m) => [m.body, m.groupId, m.receiveCount, m.attributes?.why?.StringValue])).toEqual([['a1', 'g', 0, 'x']]);
    // Act: the operator's redrive
    expect(dlq.moveTo(queue)).toBe(1);
    const [back] = queue.receive();
    // Assess: a new message, delivered once, its attributes kept
    expect([back.body, back.attributes.ApproximateReceiveCount, back.messageAttributes.why?.stringValue]).toEqual(['a1', '1', 'x']);
    expect(dlq.size).toBe(0);
  });
});
