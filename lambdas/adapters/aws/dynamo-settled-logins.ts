/**
 * SettledLogins on the run table: `run#<runId>` / `csv#<login>` per manager whose CSV file went.
 * A batch asks only about the managers it waits for (BatchGetItem), so a run with 100,000 managers
 * costs a batch what it asks, not the whole run's list. Keys DynamoDB leaves unprocessed (throttled)
 * are asked again with a growing pause, a bounded number of times.
 */
import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import { type SettledLogins } from '../../core/ports';
import { csvSettledKey, toAttributes } from './run-table';
import { RunTableStore } from './run-table-store';
import { dynamoSdk } from './sdk';

/** DynamoDB's own limits per call. */
const GET_BATCH = 100;
const WRITE_BATCH = 25;
/** Calls per batch before unprocessed keys are an error (DynamoDB advises retrying them with backoff). */
const UNPROCESSED_TRIES = 8;

export class DynamoSettledLogins extends RunTableStore implements SettledLogins {
  async settledOf(runId: string, logins: string[]): Promise<Set<string>> {
    const sdk = await dynamoSdk();
    const wanted = [...new Set(logins.map((l) => l.toLowerCase()))];
    const settled = new Set<string>();
    for (let i = 0; i < wanted.length; i += GET_BATCH) {
      let keys: Array<Record<string, AttributeValue>> = wanted.slice(i, i + GET_BATCH).map((login) => csvSettledKey(runId, login));
      for (let attempt = 1; keys.length > 0; attempt++) {
        if (attempt > UNPROCESSED_TRIES) throw new Error(`${this.tableName} left ${keys.length} settled-manager reads of run ${runId} unprocessed ${UNPROCESSED_TRIES} times (throttled): the batch is handed back and tried again`);
        if (attempt > 1) await this.pause(attempt);
        const out = await this.client.send(
          new sdk.BatchGetItemCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'login' } } }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) if (item.login?.S) settled.add(item.login.S);
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    return settled;
  }

  async add(runId: string, tag: string, logins: string[]): Promise<void> {
    const sdk = await dynamoSdk();
    const now = this.clock.now();
    const items = [...new Set(logins.map((l) => l.toLowerCase()))].map(
      (login): WriteRequest => ({
        PutRequest: { Item: { ...toAttributes({ login, tag, at: now.toISOString(), expiresAt: this.expiresNow() }), ...csvSettledKey(runId, login) } },
      }),
    );
    for (let i = 0; i < items.length; i += WRITE_BATCH) {
      let requests = items.slice(i, i + WRITE_BATCH);
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > UNPROCESSED_TRIES) throw new Error(`${this.tableName} left ${requests.length} settled-manager writes of run ${runId} unprocessed ${UNPROCESSED_TRIES} times (throttled): the batch is handed back and tried again`);
        if (attempt > 1) await this.pause(attempt);
        const out = await this.client.send(new sdk.BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = out.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }

  /** Exponential backoff with jitter: 50 ms, 100 ms, … up to 3.2 s. */
  private pause(attempt: number): Promise<void> {
    return this.clock.sleep(Math.min(3_200, 25 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
  }
}
