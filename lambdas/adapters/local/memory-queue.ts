/** In-process stand-in for SQS: FIFO order, batches on demand, redelivery with a receive count. */
import type { SyncMessage } from '../../core/model';
import type { RecordQueue } from '../../core/ports';

export interface Delivery {
  message: SyncMessage;
  receiveCount: number;
}

export class MemoryQueue implements RecordQueue {
  private readonly items: Delivery[] = [];

  async send(messages: SyncMessage[]): Promise<void> {
    for (const message of messages) this.items.push({ message, receiveCount: 0 });
  }

  /** Takes up to `max` deliveries off the head of the queue, counting the receive. */
  receive(max: number): Delivery[] {
    const batch = this.items.splice(0, max);
    for (const d of batch) d.receiveCount += 1;
    return batch;
  }

  /** Puts deliveries back at the head, in their order (a FIFO queue redelivers before later messages). */
  returnToHead(deliveries: Delivery[]): void {
    this.items.unshift(...deliveries);
  }

  get size(): number {
    return this.items.length;
  }
}
