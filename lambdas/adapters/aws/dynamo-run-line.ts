/**
 * RunLineStore on the run table: one partition per bucket (`line#<bucket>`), per lane the waiting
 * entries (`<lane>#wait#<arrivedAt>#<runId>`, so a Query returns them oldest first), the turn
 * (`<lane>#turn`) and the latest start (`<lane>#latest`). The turn is taken by a conditional put in
 * the same transaction as the latest start, and released by a delete conditional on its holder: a
 * late release by a run that lost the turn never removes the next run's turn. Line items never expire.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock, type LineEntry, type RunLineStore, type TurnHolder } from '../../core/ports';
import { TABLE_ATTRIBUTES, fromAttributes, isCancelledByCondition, isConditionFailed, isTransactionConflict, latestKey, linePartition, toAttributes, turnKey, waitKey, waitPrefix, writeIf, type Lane } from './run-table';
import { dynamoSdk } from './sdk';

export class DynamoRunLine implements RunLineStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly bucket: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async enter(lane: Lane, entry: LineEntry): Promise<void> {
    const sdk = await dynamoSdk();
    try {
      await this.client.send(
        new sdk.PutItemCommand({
          TableName: this.tableName,
          Item: { ...toAttributes({ ...entry, enteredAt: this.clock.now().toISOString() }), ...waitKey(this.bucket, lane, entry.arrivedAt, entry.runId) },
          // Entering again leaves the entry as it is (its alert mark included).
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }

  async waiting(lane: Lane): Promise<LineEntry[]> {
    const sdk = await dynamoSdk();
    const entries: LineEntry[] = [];
    let from: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new sdk.QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': { S: linePartition(this.bucket) }, ':prefix': { S: waitPrefix(lane) } },
          ConsistentRead: true,
          ExclusiveStartKey: from,
        }),
      );
      for (const item of page.Items ?? []) {
        const { runId, file, arrivedAt, alertedAt } = fromAttributes(item, TABLE_ATTRIBUTES) as unknown as LineEntry;
        entries.push({ runId, file, arrivedAt, ...(alertedAt ? { alertedAt } : {}) });
      }
      from = page.LastEvaluatedKey;
    } while (from);
    return entries;
  }

  async holder(lane: Lane): Promise<TurnHolder | undefined> {
    const item = await this.read(turnKey(this.bucket, lane));
    return item ? { runId: String(item.runId), arrivedAt: String(item.arrivedAt), takenAt: String(item.takenAt) } : undefined;
  }

  async take(lane: Lane, holder: TurnHolder): Promise<boolean> {
    const sdk = await dynamoSdk();
    try {
      await this.client.send(
        new sdk.TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...toAttributes({ ...holder }), ...turnKey(this.bucket, lane) },
                // The holder itself may take it again: a step retried after its answer was lost must not wait behind itself.
                ConditionExpression: 'attribute_not_exists(pk) OR runId = :me',
                ExpressionAttributeValues: { ':me': { S: holder.runId } },
              },
            },
            { Put: { TableName: this.tableName, Item: { ...toAttributes({ arrivedAt: holder.arrivedAt, runId: holder.runId }), ...latestKey(this.bucket, lane) } } },
          ],
        }),
      );
      return true;
    } catch (err) {
      // Held by another run, or another run's take met this one (DynamoDB's TransactionConflict):
      // either way nothing was written and this run asks again at its next wait.
      if (isCancelledByCondition(err) || isTransactionConflict(err)) return false;
      throw err;
    }
  }

  async latestStart(lane: Lane): Promise<string | undefined> {
    const item = await this.read(latestKey(this.bucket, lane));
    return item ? String(item.arrivedAt) : undefined;
  }

  async release(lane: Lane, runId: string): Promise<boolean> {
    const sdk = await dynamoSdk();
    let held: TurnHolder | undefined;
    try {
      const out = await this.client.send(
        new sdk.DeleteItemCommand({
          TableName: this.tableName,
          Key: turnKey(this.bucket, lane),
          ConditionExpression: 'runId = :me',
          ExpressionAttributeValues: { ':me': { S: runId } },
          ReturnValues: 'ALL_OLD',
        }),
      );
      held = out.Attributes ? (fromAttributes(out.Attributes, TABLE_ATTRIBUTES) as unknown as TurnHolder) : undefined;
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    // The run leaves the line either way; its entry is found by its arrival (the turn's, or the line's).
    const arrivedAt = held?.arrivedAt ?? (await this.waiting(lane)).find((e) => e.runId === runId)?.arrivedAt;
    if (arrivedAt) await this.leave(lane, { runId, arrivedAt });
    return held !== undefined;
  }

  async leave(lane: Lane, entry: Pick<LineEntry, 'runId' | 'arrivedAt'>): Promise<void> {
    const sdk = await dynamoSdk();
    await this.client.send(new sdk.DeleteItemCommand({ TableName: this.tableName, Key: waitKey(this.bucket, lane, entry.arrivedAt, entry.runId) }));
  }

  async markAlerted(lane: Lane, entry: Pick<LineEntry, 'runId' | 'arrivedAt'>, at: string): Promise<boolean> {
    const sdk = await dynamoSdk();
    return writeIf(() =>
      this.client.send(
        new sdk.UpdateItemCommand({
          TableName: this.tableName,
          Key: waitKey(this.bucket, lane, entry.arrivedAt, entry.runId),
          UpdateExpression: 'SET alertedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(alertedAt)',
          ExpressionAttributeValues: { ':at': { S: at } },
        }),
      ),
    );
  }

  private async read(key: ReturnType<typeof turnKey>): Promise<Record<string, unknown> | undefined> {
    const sdk = await dynamoSdk();
    const out = await this.client.send(new sdk.GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item ? fromAttributes(out.Item, TABLE_ATTRIBUTES) : undefined;
  }
}
