/** DeadLetterMarks on S3: runs/dead-letters/<queue>/<messageId>.json, created once (If-None-Match). */
import type { DeadLetterMarks, ObjectStore } from '../../core/ports';
import { isMissing } from './s3-read';

export const DEAD_LETTER_MARKS_PREFIX = 'runs/dead-letters/';
export const deadLetterMarkKey = (queue: string, messageId: string) => `${DEAD_LETTER_MARKS_PREFIX}${queue}/${encodeURIComponent(messageId)}.json`;

export class S3DeadLetterMarks implements DeadLetterMarks {
  constructor(
    private readonly objects: ObjectStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async seen(queue: string, messageId: string): Promise<boolean> {
    try {
      (await this.objects.get(deadLetterMarkKey(queue, messageId))).destroy();
      return true;
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
  }

  async mark(queue: string, messageId: string): Promise<boolean> {
    return this.objects.create(deadLetterMarkKey(queue, messageId), JSON.stringify({ queue, messageId, seenAt: this.now().toISOString() }));
  }
}
