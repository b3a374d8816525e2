/**
 * AttemptLog on the run table: `run#<runId>` / `attempt#<login>` holds one change's failed attempts,
 * counted by `ADD` (two consumers failing the same change at once both count). Written only when an
 * attempt fails, so a healthy batch reads and writes nothing here.
 */
import type { RunRef } from '../../core/model';
import { type AttemptLog } from '../../core/ports';
import { attemptKey } from './run-table';
import { RunTableStore } from './run-table-store';
import { dynamoSdk } from './sdk';

/** Enough of Coupa's answer to tell why, and an item far under DynamoDB's 400 KB. */
const MAX_REASON_CHARS = 1_000;

export class DynamoAttemptLog extends RunTableStore implements AttemptLog {
  async addFailure(run: RunRef, login: string, reason: string): Promise<number> {
    const sdk = await dynamoSdk();
    const now = this.clock.now();
    const expiry = this.expiresNow();
    const out = await this.client.send(
      new sdk.UpdateItemCommand({
        TableName: this.tableName,
        Key: attemptKey(run.runId, login),
        UpdateExpression: `ADD failures :one SET lastError = :why, #at = :now${expiry === undefined ? '' : ', expiresAt = :exp'}`,
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':why': { S: reason.slice(0, MAX_REASON_CHARS) },
          ':now': { S: now.toISOString() },
          ...(expiry === undefined ? {} : { ':exp': { N: String(expiry) } }),
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.failures?.N ?? 1);
  }

  async forget(run: RunRef, login: string): Promise<void> {
    const sdk = await dynamoSdk();
    await this.client.send(new sdk.DeleteItemCommand({ TableName: this.tableName, Key: attemptKey(run.runId, login) }));
  }
}
