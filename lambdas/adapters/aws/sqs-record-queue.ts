/**
 * RecordQueue on SQS: SendMessageBatch in tens (the API maximum), a few batches in flight at once,
 * and the entries SQS reports as Failed re-sent a few times before giving up with the rows named.
 * A queue URL ending in `.fifo` gets MessageGroupId = the login in lower case (per-user order; see
 * messageGroupId) and a deduplication id derived from run and row, so a re-delivered S3 event does
 * not queue a row twice.
 */
import { createHash } from 'node:crypto';
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { ChangeMessage } from '../../core/model';
import type { RecordQueue } from '../../core/ports';
import { sqsSdk } from './sdk';

export const SQS_BATCH_LIMIT = 10;

export interface SqsRecordQueueOptions {
  /** Batches in flight at once (default 4). */
  concurrency?: number;
  /** Sends of one entry, first included, before it counts as failed (default 4). */
  maxAttempts?: number;
  /** Backoff between re-sends (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
}

/** One change per login and run: the same run's change for a login is never queued twice. */
export function deduplicationId(runId: string, login: string): string {
  return createHash('sha256').update(`${runId}:${login.toLowerCase()}`).digest('hex');
}

/** What SQS accepts as a MessageGroupId: 1–128 printable ASCII characters other than space. */
const VALID_GROUP_ID = /^[\x21-\x7E]{1,128}$/;

/**
 * The FIFO group of a login. Coupa matches logins ignoring case, so `Jane.Doe` and `jane.doe` are one
 * user whose rows must stay in order: the login is lower-cased first. That form is the group when SQS
 * accepts it, else `h-<sha256 hex of it>` (a space, non-ASCII or more than 128 characters would make
 * SendMessageBatch refuse the entry). One user always maps to one group, so per-user order holds.
 */
export function messageGroupId(login: string): string {
  const user = login.toLowerCase();
  return VALID_GROUP_ID.test(user) ? user : `h-${createHash('sha256').update(user, 'utf8').digest('hex')}`;
}

export function toBatchEntry(message: ChangeMessage, id: string, fifo: boolean): SendMessageBatchRequestEntry {
  return {
    Id: id,
    MessageBody: JSON.stringify(message),
    ...(fifo
      ? {
          MessageGroupId: messageGroupId(message.group),
          MessageDeduplicationId: deduplicationId(message.runId, message.change.login),
        }
      : {}),
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SqsRecordQueue implements RecordQueue {
  readonly fifo: boolean;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    options: SqsRecordQueueOptions = {},
  ) {
    this.fifo = queueUrl.endsWith('.fifo');
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Level by level: a level's batches go out concurrently, the next level only once every one of
   * them is in. FIFO order within a group is the order SQS accepted the messages, so a manager's
   * message (level n) is always ahead of its reports' (level n+1), whatever the retries.
   */
  async send(messages: ChangeMessage[]): Promise<void> {
    const levels = [...new Set(messages.map((m) => m.change.level))].sort((a, b) => a - b);
    for (const level of levels) await this.sendConcurrently(messages.filter((m) => m.change.level === level));
  }

  private async sendConcurrently(messages: ChangeMessage[]): Promise<void> {
    const batches: ChangeMessage[][] = [];
    for (let i = 0; i < messages.length; i += SQS_BATCH_LIMIT) batches.push(messages.slice(i, i + SQS_BATCH_LIMIT));
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        failures.push(...(await this.sendBatch(batch)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, worker));
    if (failures.length > 0) {
      throw new Error(`SQS did not accept ${failures.length} message(s): ${failures.slice(0, 20).join('; ')}`);
    }
  }

  /** Sends one batch, re-sending failed entries; returns a description of each entry that never got in. */
  private async sendBatch(batch: ChangeMessage[]): Promise<string[]> {
    let entries = batch.map((m, i) => toBatchEntry(m, String(i), this.fifo));
    for (let attempt = 1; ; attempt++) {
      const out = await this.sqs.send(new (await sqsSdk()).SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      const failed = out.Failed ?? [];
      if (failed.length === 0) return [];
      // SenderFault means this entry itself is wrong (too big, bad id): re-sending cannot help.
      const retryable = failed.filter((f) => !f.SenderFault);
      if (attempt >= this.maxAttempts || retryable.length < failed.length) {
        return failed.map((f) => {
          const m = batch[Number(f.Id)];
          return `run ${m.runId} login ${m.change.login}: ${f.Code ?? 'error'} ${f.Message ?? ''}`.trim();
        });
      }
      const again = new Set(failed.map((f) => f.Id));
      entries = entries.filter((e) => again.has(e.Id));
      await this.sleep(100 * 2 ** (attempt - 1));
    }
  }
}
