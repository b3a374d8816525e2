/**
 * RunBreakerStore on the run table: `run#<runId>` / `breaker` holds the tallies every consumer adds
 * to (`ADD writes, failures`: concurrent adds never overwrite each other, and there is one item to
 * read instead of a list of objects) and the verdict, set once under a condition. A decided verdict
 * never changes, so it is cached for the life of the warm Lambda (as S3RunBreakerStore did).
 */
import { type BreakerVerdict, type RunBreakerStore } from '../../core/ports';
import { breakerKey, fromAttribute, toAttribute, writeIf, type Plain } from './run-table';
import { RunTableStore } from './run-table-store';
import { dynamoSdk } from './sdk';

export class DynamoRunBreakerStore extends RunTableStore implements RunBreakerStore {
  /** Decided verdicts: they never change, so a warm Lambda reads each once. */
  private readonly decided = new Map<string, BreakerVerdict>();
  async verdict(runId: string): Promise<BreakerVerdict | undefined> {
    const cached = this.decided.get(runId);
    if (cached) return cached;
    const item = await this.read(runId, 'verdict');
    const verdict = item?.verdict ? (fromAttribute(item.verdict) as unknown as BreakerVerdict) : undefined;
    if (verdict) this.decided.set(runId, verdict);
    return verdict;
  }

  async tally(runId: string): Promise<{ writes: number; failures: number }> {
    const item = await this.read(runId, 'writes, failures');
    return { writes: Number(item?.writes?.N ?? 0), failures: Number(item?.failures?.N ?? 0) };
  }

  async add(runId: string, counted: { writes: number; failures: number }): Promise<void> {
    const sdk = await dynamoSdk();
    await this.client.send(
      new sdk.UpdateItemCommand({
        TableName: this.tableName,
        Key: breakerKey(runId),
        UpdateExpression: `ADD writes :w, failures :f${this.expiry(':exp') ? ' SET expiresAt = if_not_exists(expiresAt, :exp)' : ''}`,
        ExpressionAttributeValues: { ':w': { N: String(counted.writes) }, ':f': { N: String(counted.failures) }, ...this.expiry(':exp') },
      }),
    );
  }

  async decide(runId: string, verdict: BreakerVerdict): Promise<boolean> {
    const sdk = await dynamoSdk();
    const won = await writeIf(() =>
      this.client.send(
        new sdk.UpdateItemCommand({
          TableName: this.tableName,
          Key: breakerKey(runId),
          UpdateExpression: `SET verdict = :v${this.expiry(':exp') ? ', expiresAt = if_not_exists(expiresAt, :exp)' : ''}`,
          ConditionExpression: 'attribute_not_exists(verdict)',
          ExpressionAttributeValues: { ':v': toAttribute(verdict as unknown as Plain), ...this.expiry(':exp') },
        }),
      ),
    );
    // The loser reads the winner's verdict on its next batch: the first decision stands.
    if (!won) return false;
    this.decided.set(runId, verdict);
    return true;
  }

  private expiry(name: string) {
    const at = this.expiresNow();
    return at === undefined ? undefined : { [name]: { N: String(at) } };
  }

  private async read(runId: string, attributes: string) {
    const sdk = await dynamoSdk();
    const out = await this.client.send(new sdk.GetItemCommand({ TableName: this.tableName, Key: breakerKey(runId), ConsistentRead: true, ProjectionExpression: attributes }));
    return out.Item;
  }
}
