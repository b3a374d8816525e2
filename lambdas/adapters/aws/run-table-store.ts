/**
 * What every store of a run's items in the run table is built from: the DynamoDB client, the table,
 * the clock, and how long run items live (TTL `expiresAt`, storage.runsRetentionDays).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock } from '../../core/ports';
import { expiresAt } from './run-table';

export interface RunTableOptions {
  /** Days a run's items are kept (TTL); 0 = never expire. storage.runsRetentionDays. */
  retentionDays?: number;
}

export abstract class RunTableStore {
  protected readonly retentionDays: number;

  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
    protected readonly clock: Clock = systemClock,
    options: RunTableOptions = {},
  ) {
    this.retentionDays = options.retentionDays ?? 400;
  }

  /** When a run item written now expires (epoch seconds), or undefined when run items are kept for ever. */
  protected expiresNow(): number | undefined {
    return expiresAt(this.clock.now(), this.retentionDays);
  }
}
