/**
 * AttemptLog on the run table: `run#<runId>` / `attempt#<login>` holds one change's failed attempts,
 * counted by `ADD` (two consumers failing the same change at once both count). Written only when an
 * attempt fails, so a healthy batch reads and writes nothing here.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunRef } from '../../core/model';
import { systemClock, type AttemptLog, type Clock } from '../../core/ports';
import type { RunTableOptions } from './dynamo-run-records';
import { attemptKey, expiresAt } from './run-table';
import { dynamoSdk } from './sdk';

/** Enough of Coupa's answer to tell why, and an item far under DynamoDB's 400 KB. */
const MAX_REASON_CHARS = 1_000;

export class DynamoAttemptLog implements AttemptLog {
  private readonly retentionDays: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
    options: RunTableOptions = {},
  ) {
    this.retentionDays = options.retentionDays ?? 400;
  }

  async addFailure(run: RunRef, login: string, reason: string): Promise<number> {
    const sdk = await dynamoSdk();
    const now = this.clock.now();
    const expiry = expiresAt(now, this.retentionDays);
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
