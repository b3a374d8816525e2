/**
 * The test harness's TransactWriteItems (test/support/dynalite.ts: dynalite 4 has none): the tests of
 * the run table rely on it being all-or-nothing and answering as DynamoDB does, so it is tested too.
 */
import { GetItemCommand, PutItemCommand, TransactWriteItemsCommand, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDynalite, type Dynalite } from '../support/dynalite';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.close());
beforeEach(() => db.reset());

const key = (sk: string) => ({ pk: { S: 'p' }, sk: { S: sk } });
const item = async (sk: string) => (await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: key(sk), ConsistentRead: true }))).Item;
const transact = (items: TransactWriteItem[]) => db.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
const putNew = (sk: string, value: string): TransactWriteItem => ({ Put: { TableName: db.tableName, Item: { ...key(sk), value: { S: value } }, ConditionExpression: 'attribute_not_exists(pk)' } });

describe('the harness TransactWriteItems', () => {
  it('writes every item (Put, Update with ADD, Delete) when every condition holds', async () => {
    // Prepare
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: { ...key('old'), value: { S: 'x' } } }));

    // Act
    await transact([
      putNew('a', 'one'),
      { Update: { TableName: db.tableName, Key: key('count'), UpdateExpression: 'ADD n :two', ExpressionAttributeValues: { ':two': { N: '2' } } } },
      { Delete: { TableName: db.tableName, Key: key('old'), ConditionExpression: '#v = :x', ExpressionAttributeNames: { '#v': 'value' }, ExpressionAttributeValues: { ':x': { S: 'x' } } } },
      { ConditionCheck: { TableName: db.tableName, Key: key('missing'), ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);

    // Assess
    expect((await item('a'))!.value.S).toBe('one');
    expect((await item('count'))!.n.N).toBe('2');
    expect(await item('old')).toBeUndefined();
    expect(await item('missing')).toBeUndefined();
  });

  it('writes nothing when one condition fails, and names which one as DynamoDB does', async () => {
    // Prepare
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: { ...key('b'), value: { S: 'first' } } }));

    // Act
    const error = await transact([
      putNew('a', 'one'),
      putNew('b', 'second'),
      { Update: { TableName: db.tableName, Key: key('count'), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
    ]).then(
      () => undefined,
      (err: unknown) => err as { name: string; CancellationReasons?: Array<{ Code?: string }> },
    );

    // Assess
    expect(error).toMatchObject({ name: 'TransactionCanceledException' });
    expect(error!.CancellationReasons!.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed', 'None']);
    expect(await item('a')).toBeUndefined();
    expect(await item('count')).toBeUndefined();
    expect((await item('b'))!.value.S).toBe('first');
  });

  it('refuses two operations on one item, as DynamoDB does', async () => {
    // Act + Assess
    await expect(transact([putNew('a', 'one'), putNew('a', 'two')])).rejects.toMatchObject({ name: 'ValidationException' });
    expect(await item('a')).toBeUndefined();
  });

  it('serialises concurrent transactions on the same item: of 15 creating one item, one wins', async () => {
    // Act
    const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => transact([putNew('only', `v${i}`), putNew(`side-${i}`, 'x')])));

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const winner = results.findIndex((r) => r.status === 'fulfilled');
    expect((await item('only'))!.value.S).toBe(`v${winner}`);
    for (let i = 0; i < 15; i++) expect(await item(`side-${i}`)).toEqual(i === winner ? expect.anything() : undefined);
  });
});
