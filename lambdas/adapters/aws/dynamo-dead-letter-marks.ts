/**
 * DeadLetterMarks on the run table: `dlq#<queue>` / `<messageId>`, created once by a conditional put.
 * A mark outlives the dead message it stands for: SQS keeps a message at most 14 days, the mark 15.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock, type DeadLetterMarks } from '../../core/ports';
import { deadLetterKey, expiresAt, writeIf } from './run-table';
import { dynamoSdk } from './sdk';

export const DEAD_LETTER_MARK_DAYS = 15;

export class DynamoDeadLetterMarks implements DeadLetterMarks {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async seen(queue: string, messageId: string): Promise<boolean> {
    const sdk = await dynamoSdk();
    const out = await this.client.send(new sdk.GetItemCommand({ TableName: this.tableName, Key: deadLetterKey(queue, messageId), ConsistentRead: true, ProjectionExpression: 'pk' }));
    return out.Item !== undefined;
  }

  async mark(queue: string, messageId: string): Promise<boolean> {
    const sdk = await dynamoSdk();
    const now = this.clock.now();
    return writeIf(() =>
      this.client.send(
        new sdk.PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...deadLetterKey(queue, messageId),
            seenAt: { S: now.toISOString() },
            expiresAt: { N: String(expiresAt(now, DEAD_LETTER_MARK_DAYS)) },
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }
}
