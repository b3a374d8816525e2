/**
 * RunRecordStore on the run table: the `run#<runId>` / `run` item, read strongly consistently.
 * Counters move only by `ADD` under a condition, so concurrent consumers and retried steps never
 * count a change twice: addQueued is conditional on the list's recorded progress; settle writes a
 * per-login mark (`settled#<login>`) in the same transaction as the counters it moves.
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Outcome } from '../../core/model';
import { type RunRecord, type RunRecordStore } from '../../core/ports';
import {
  TABLE_ATTRIBUTES,
  cancellationReasons,
  fromAttributes,
  isCancelledByCondition,
  isConditionFailed,
  writeIf,
  isTransactionConflict,
  runKey,
  settledKey,
  toAttribute,
  toAttributes,
  type Plain,
} from './run-table';
import { RunTableStore } from './run-table-store';
import { dynamoSdk } from './sdk';

export type { RunTableOptions } from './run-table-store';

/** Logins per settle transaction: 25 marks and the record's counters stay far under DynamoDB's 100 items. */
export const SETTLE_BATCH = 25;
/** Tries of a settle transaction that met another transaction on the run record (DynamoDB's TransactionConflict). */
const CONFLICT_TRIES = 6;

type MarkState = 'submitted' | 'final';
type Patch = Parameters<RunRecordStore['update']>[1];

export class DynamoRunRecords extends RunTableStore implements RunRecordStore {
  private expiry(): { expiresAt?: number } {
    const at = this.expiresNow();
    return at === undefined ? {} : { expiresAt: at };
  }

  async create(record: RunRecord): Promise<boolean> {
    const sdk = await dynamoSdk();
    // `enqueued` always exists as a map: addQueued sets `enqueued.<source>`, a path that needs its parent.
    const item = { ...(record as unknown as Record<string, Plain>), enqueued: (record.enqueued ?? {}) as Plain, ...this.expiry() };
    return writeIf(() =>
      this.client.send(
        new sdk.PutItemCommand({
          TableName: this.tableName,
          Item: { ...toAttributes(item), ...runKey(record.run.runId) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const sdk = await dynamoSdk();
    const out = await this.client.send(new sdk.GetItemCommand({ TableName: this.tableName, Key: runKey(runId), ConsistentRead: true }));
    return out.Item ? (fromAttributes(out.Item, TABLE_ATTRIBUTES) as unknown as RunRecord) : undefined;
  }

  async update(runId: string, patch: Patch): Promise<void> {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return;
    const sdk = await dynamoSdk();
    try {
      await this.client.send(
        new sdk.UpdateItemCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: `SET ${entries.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#a${i}`, name])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], i) => [`:a${i}`, toAttribute(value as Plain)])),
          // An update of a run nobody admitted would leave a record without its run, file or expiry.
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (err) {
      if (isConditionFailed(err)) throw new Error(`run ${runId} has no record in ${this.tableName}: it was never admitted (or expired); start it again from its HR file`);
      throw err;
    }
  }

  async addQueued(runId: string, source: string, from: number, to: number): Promise<boolean> {
    const sdk = await dynamoSdk();
    // Progress 0 may be recorded or absent (the first attempt of this list).
    const progress = from === 0 ? '(attribute_not_exists(enqueued.#src) OR enqueued.#src = :from)' : 'enqueued.#src = :from';
    return writeIf(() =>
      this.client.send(
        new sdk.UpdateItemCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'ADD queued :n SET enqueued.#src = :to',
          ConditionExpression: `attribute_exists(pk) AND ${progress}`,
          ExpressionAttributeNames: { '#src': source },
          ExpressionAttributeValues: { ':n': { N: String(to - from) }, ':to': { N: String(to) }, ':from': { N: String(from) } },
        }),
      ),
    );
  }

  async settle(runId: string, outcomes: ReadonlyArray<{ login: string; outcome: Outcome }>): Promise<void> {
    // One login twice in a call would be two writes of one item in a transaction (refused): fold them.
    // A login submitted and finished in the same call counts as it would in two calls, submitted first.
    const submitted = new Set<string>();
    const final = new Map<string, boolean>();
    for (const { login, outcome } of outcomes) {
      const id = login.toLowerCase();
      if (outcome === 'submitted') submitted.add(id);
      else final.set(id, outcome === 'failed');
    }
    await this.settleAll(runId, [...submitted].map((login) => ({ login, state: 'submitted' as const, failed: false })));
    await this.settleAll(runId, [...final].map(([login, failed]) => ({ login, state: 'final' as const, failed })));
  }

  /**
   * The common case first: none of these logins was settled before, so one transaction per 25
   * creates their marks and adds their counts. If any mark exists (a redelivered batch, a final
   * outcome after `submitted`), the transaction is cancelled whole and each login goes alone.
   */
  private async settleAll(runId: string, marks: Array<{ login: string; state: MarkState; failed: boolean }>): Promise<void> {
    for (let i = 0; i < marks.length; i += SETTLE_BATCH) {
      const chunk = marks.slice(i, i + SETTLE_BATCH);
      const allNew = await this.withConflictRetries(async () => {
        try {
          await this.transact(runId, this.newMarks(runId, chunk));
          return true;
        } catch (err) {
          if (isCancelledByCondition(err)) return false;
          throw err;
        }
      });
      if (!allNew) for (const mark of chunk) await this.withConflictRetries(() => this.settleOne(runId, mark));
    }
  }

  private async settleOne(runId: string, mark: { login: string; state: MarkState; failed: boolean }): Promise<void> {
    if (await this.tryNewMark(runId, mark)) return;
    if (mark.state === 'final') await this.finishSubmitted(runId, mark);
    // otherwise the login was counted already
  }

  /**
   * Every settle transaction adds to the one run record, so consumers settling at the same moment
   * meet there: DynamoDB cancels one with TransactionConflict (nothing written). It is tried again
   * after a random pause; past CONFLICT_TRIES the error goes up and the batch is redelivered.
   */
  private async withConflictRetries<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (!isTransactionConflict(err) || attempt >= CONFLICT_TRIES) throw err;
        await this.clock.sleep(Math.min(1_000, 25 * 2 ** attempt) * Math.random());
      }
    }
  }

  /** The login's first outcome: false when it already has a mark. */
  private async tryNewMark(runId: string, mark: { login: string; state: MarkState; failed: boolean }): Promise<boolean> {
    try {
      await this.transact(runId, this.newMarks(runId, [mark]));
      return true;
    } catch (err) {
      if (isCancelledByCondition(err)) return false;
      throw err;
    }
  }

  /**
   * A final outcome of a login that was `submitted`: it was counted settled then; it leaves
   * `submitted` (the loader's verdict is in) and may count as failed.
   */
  private async finishSubmitted(runId: string, mark: { login: string; failed: boolean }): Promise<void> {
    const toFinal: TransactWriteItem = {
      Update: {
        TableName: this.tableName,
        Key: settledKey(runId, mark.login),
        UpdateExpression: 'SET #state = :final, failed = :failed',
        ConditionExpression: '#state = :submitted',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':final': { S: 'final' }, ':submitted': { S: 'submitted' }, ':failed': { BOOL: mark.failed } },
      },
    };
    try {
      await this.transact(runId, [toFinal, this.counters(runId, { submitted: -1, failed: mark.failed ? 1 : 0 })]);
    } catch (err) {
      // Final already: a duplicate of an outcome that was counted.
      if (isConditionFailed(err) || isCancelledByCondition(err)) return;
      throw err;
    }
  }

  /** Creates each login's mark (only if it has none) and adds their counts to the record, all or nothing. */
  private newMarks(runId: string, marks: Array<{ login: string; state: MarkState; failed: boolean }>): TransactWriteItem[] {
    const at = this.clock.now().toISOString();
    const puts: TransactWriteItem[] = marks.map((mark) => ({
      Put: {
        TableName: this.tableName,
        Item: { ...toAttributes({ state: mark.state, failed: mark.failed, at, ...this.expiry() }), ...settledKey(runId, mark.login) },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }));
    const counts = {
      settled: marks.length,
      submitted: marks.filter((m) => m.state === 'submitted').length,
      failed: marks.filter((m) => m.failed).length,
    };
    return [...puts, this.counters(runId, counts)];
  }

  private counters(runId: string, counts: { settled?: number; submitted?: number; failed?: number }): TransactWriteItem {
    const added = Object.entries(counts).filter(([, n]) => n);
    return {
      Update: {
        TableName: this.tableName,
        Key: runKey(runId),
        UpdateExpression: `ADD ${added.map(([name]) => `${name} :${name}`).join(', ')}`,
        ExpressionAttributeValues: Object.fromEntries(added.map(([name, n]) => [`:${name}`, { N: String(n) }])),
        // Counts of a run nobody admitted would make a record without run, file or expiry.
        ConditionExpression: 'attribute_exists(pk)',
      },
    };
  }

  /** Runs the transaction; its last item is always the run record's counters, whose condition is that the record exists. */
  private async transact(runId: string, items: TransactWriteItem[]): Promise<void> {
    const sdk = await dynamoSdk();
    try {
      await this.client.send(new sdk.TransactWriteItemsCommand({ TransactItems: items }));
    } catch (err) {
      // Not "counted already": the outcomes would be lost without a word.
      if (cancellationReasons(err)?.at(-1) === 'ConditionalCheckFailed') throw new Error(`run ${runId} has no record in ${this.tableName}: its outcomes cannot be counted (was it admitted, or has its record expired?)`);
      throw err;
    }
  }

  async markOnce(runId: string, attribute: 'overdueAlertedAt' | 'failureAlertedAt' | 'reportAgainAt', at: string): Promise<boolean> {
    const sdk = await dynamoSdk();
    return writeIf(() =>
      this.client.send(
        new sdk.UpdateItemCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET #a = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#a)',
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':at': { S: at } },
        }),
      ),
    );
  }
}
