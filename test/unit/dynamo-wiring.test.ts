/** The run table's wiring (lambdas/adapters/aws/wiring/dynamo.ts): the table from RUN_TABLE, the stores built once. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { runLine, runRecords, settledLogins } from '../../lambdas/adapters/aws/wiring/dynamo';
import { resetBuilt } from '../../lambdas/adapters/aws/wiring/runtime';
import { startDynalite, type Dynalite } from '../support/dynalite';

let db: Dynalite;
const saved = { ...process.env };
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(() => db.close());
afterEach(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  resetBuilt();
});

describe('wiring/dynamo', () => {
  it('fails with the missing variable named when RUN_TABLE is not set', async () => {
    // Prepare
    delete process.env.RUN_TABLE;

    // Act + Assess
    await expect(runRecords()).rejects.toThrow(/Environment variable RUN_TABLE is not set/);
  });

  it('builds each store once, on the table RUN_TABLE names, reaching it through the SDK’s own endpoint settings', async () => {
    // Prepare: the SDK reads its endpoint and credentials from the environment, as in a Lambda.
    Object.assign(process.env, {
      RUN_TABLE: db.tableName,
      BUCKET_NAME: 'drop-bucket',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    });

    // Act
    const records = await runRecords();
    const again = await runRecords();
    await (await runLine()).enter('apply', { runId: 'run-1', file: 'incoming/hr.csv', arrivedAt: '2026-12-06T10:00:00.000Z' });
    await (await settledLogins()).add('run-1', 't', ['boss']);

    // Assess
    expect(records).toBeInstanceOf(DynamoRunRecords);
    expect(again).toBe(records);
    expect((await (await runLine()).waiting('apply')).map((e) => e.runId)).toEqual(['run-1']);
    expect(await (await settledLogins()).settledOf('run-1', ['boss'])).toEqual(new Set(['boss']));
  });
});
