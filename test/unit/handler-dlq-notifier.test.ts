import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { OutcomeRecord } from '../../lambdas/adapters/aws/s3-outcome-ledger';
import { changeMessage, plannedChange } from '../support/factories';
import { lambdaContext, sqsEvent, sqsRecord, stubHandlerEnv } from './handler-fixtures';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let resetAwsContext: () => void;

beforeAll(async () => {
  stubHandlerEnv();
  ({ handler } = await import('../../lambdas/dlq-notifier'));
  ({ resetAwsContext } = await import('../../lambdas/adapters/aws/context'));
});

afterAll(() => {
  vi.unstubAllEnvs();
});

beforeEach(() => {
  resetAwsContext();
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('dlq-notifier handler', () => {
  it('records each HR row of a dead change as failed in its run, naming where to look, and publishes nothing (the DLQ alarm and the run digest tell people)', async () => {
    // Prepare: one change folding HR rows 17 and 19 of one login.
    const change = plannedChange({ rows: [17, 19], login: 'stuck.user', send: { lastname: 'Stuck' }, was: { lastname: 'Old' } });
    const dead = changeMessage(change, 'hr-run-3', 'incoming/hr.csv');
    // Act
    const response = await handler(sqsEvent(sqsRecord('d1', dead, 'api-dlq.fifo', 5)), lambdaContext('dlq-notifier'));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const [put] = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(put.Key).toMatch(/^runs\/hr-run-3\/outcomes\/.+\.json$/);
    const record = JSON.parse(String(put.Body)) as OutcomeRecord;
    const failed = {
      login: 'stuck.user',
      outcome: 'failed',
      changedFields: ['lastname'],
      changes: [{ field: 'lastname', before: 'Old', after: 'Stuck' }],
      errors: ['not applied after 5 deliveries: see the api-consumer logs'],
    };
    expect(record.outcomes).toEqual([{ row: 17, ...failed }, { row: 19, ...failed }]);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('turns a batch of dead changes into one outcome record per change, each in its run, and no notification storm', async () => {
    // Prepare: 10 dead deactivations of two runs from the csv DLQ (a dead connector), interleaved.
    const records = Array.from({ length: 10 }, (_, i) =>
      sqsRecord(
        `d${i}`,
        changeMessage(
          plannedChange({ kind: 'deactivate', rows: [i + 1], login: `user${i}`, was: { active: true } }),
          i % 2 ? 'run-b' : 'run-a',
          i % 2 ? 'incoming/csv/b.csv' : 'incoming/csv/a.csv',
        ),
        'csv-dlq',
        3,
      ),
    );
    // Act
    const response = await handler(sqsEvent(...records), lambdaContext('dlq-notifier'));
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const puts = s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const recorded = puts.map((p) => ({ run: String(p.Key).split('/')[1], ...(JSON.parse(String(p.Body)) as OutcomeRecord) }));
    expect(recorded.map((r) => [r.run, r.runId, r.file, r.outcomes.map((o) => [o.row, o.login])])).toEqual(
      Array.from({ length: 10 }, (_, i) => {
        const run = i % 2 ? 'run-b' : 'run-a';
        return [run, run, `incoming/csv/${run.slice(-1)}.csv`, [[i + 1, `user${i}`]]];
      }),
    );
    for (const { outcomes } of recorded) {
      expect(outcomes).toEqual([
        expect.objectContaining({ outcome: 'failed', changes: [{ field: 'active', before: true, after: false }], errors: ['not applied after 3 deliveries: see the csv-batcher logs'] }),
      ]);
    }
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    // What the change did (active true → false) and the login: nothing else from the HR file.
    for (const p of puts) expect(String(p.Body)).not.toMatch(/@example\.com|Jane|Doe/);
  });

  it('keeps a dead message whose outcome could not be recorded, for the next attempt', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(new Error('SlowDown'));
    const dead = changeMessage(plannedChange({ rows: [1], login: 'a' }), 'hr-run-4');
    // Act
    const response = await handler(sqsEvent(sqsRecord('d1', dead, 'csv-dlq')), lambdaContext('dlq-notifier'));
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'd1' }] });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('hands back only the messages of the run it could not record', async () => {
    // Prepare: writes of run-bad fail, run-ok's succeed.
    s3Mock.on(PutObjectCommand).callsFake(async (input: { Key?: string }) => {
      if (String(input.Key).startsWith('runs/run-bad/')) throw new Error('AccessDenied');
      return {};
    });
    const event = sqsEvent(
      sqsRecord('ok1', changeMessage(plannedChange({ rows: [1], login: 'a' }), 'run-ok'), 'api-dlq.fifo', 5),
      sqsRecord('bad1', changeMessage(plannedChange({ rows: [1], login: 'b' }), 'run-bad'), 'api-dlq.fifo', 5),
      sqsRecord('ok2', changeMessage(plannedChange({ rows: [2], login: 'c' }), 'run-ok'), 'api-dlq.fifo', 5),
      sqsRecord('bad2', changeMessage(plannedChange({ rows: [2], login: 'd' }), 'run-bad'), 'api-dlq.fifo', 5),
    );
    // Act
    const response = await handler(event, lambdaContext('dlq-notifier'));
    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['bad1', 'bad2']);
    const written = s3Mock.commandCalls(PutObjectCommand).map((c) => String(c.args[0].input.Key).split('/')[1]);
    expect(written).toEqual(['run-ok', 'run-bad', 'run-ok', 'run-bad']);
  });
});
