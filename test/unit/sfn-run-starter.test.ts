import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { MAX_EXECUTION_NAME, SfnRunStarter, reportAgainName } from '../../lambdas/adapters/aws/sfn-run-starter';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:coupa-user-sync-runs';
const sfnMock = mockClient(SFNClient);
const record = {
  run: { runId: 'hr-2026-12-01-0a1b2c3d4e5f', file: 'incoming/hr-2026-12-01.csv' },
  version: 'v1',
  channel: 'api' as const,
  dryRun: false,
  arrivedAt: '2026-12-01T06:00:00.000Z',
  bucket: 'sync-bucket',
};

beforeEach(() => sfnMock.reset());

describe('SfnRunStarter', () => {
  it('starts a report-again execution named after the run and the time, with the run\'s start as input', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const starter = new SfnRunStarter(new SFNClient({}), ARN, () => new Date('2026-12-06T22:30:05.123Z'));
    // Act
    const started = await starter.reportAgain(record);
    // Assess
    expect(started).toBe(true);
    const input = sfnMock.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input.stateMachineArn).toBe(ARN);
    expect(input.name).toBe('hr-2026-12-01-0a1b2c3d4e5f-again-20261206T223005');
    expect(JSON.parse(input.input!)).toEqual({ ...record, mode: 'report-again' });
  });

  it('takes an existing execution of that name as started already', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    // Act
    const started = await new SfnRunStarter(new SFNClient({}), ARN).reportAgain(record);
    // Assess
    expect(started).toBe(false);
  });

  it('passes on any other error (the caller hands its batch back)', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(new Error('ThrottlingException'));
    // Act / Assess
    await expect(new SfnRunStarter(new SFNClient({}), ARN).reportAgain(record)).rejects.toThrow('ThrottlingException');
  });

  it('keeps a name within Step Functions\' 80 characters however long the run id', () => {
    // Act
    const name = reportAgainName('r'.repeat(80), new Date('2026-12-06T22:30:05Z'));
    // Assess
    expect(name).toHaveLength(MAX_EXECUTION_NAME);
    expect(name.endsWith('-again-20261206T223005')).toBe(true);
  });
});
