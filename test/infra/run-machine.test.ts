/**
 * Issue 14: the run state machine, the run table, the EventBridge rule on dead executions and the
 * run Lambdas, as synthesized. The definition is the one `cdk synth` writes
 * (test/support/run-machine-definition.ts); a few paths through it also run in-process in
 * aws-local-stepfunctions with scripted run functions, to show the routing does what the states say.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-local-stepfunctions';
import { NOT_RETRIED, PLANNING_TASKS, RESULT_PATH, RUN_ERRORS, RUN_TASKS, functionOf, type RunTask } from '../../lambdas/core/runs/contract';
import { approvalTimeoutSeconds, executionTimeout, HISTORY_EVENT_LIMIT, historyBudget } from '../../lib/constructs/run-machine';
import { runMachineDefinition, testFunctionArn } from '../support/run-machine-definition';
import { infraTestConfig, synthStack } from './synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
type State = Record<string, any>;

let template: Template;
let resources: Resources;
let states: Record<string, State>;
let definition: Record<string, any>;

beforeAll(() => {
  // Prepare: one synthesis (not bundled: only properties and the definition are read).
  ({ template } = synthStack(infraTestConfig(), { bundle: false }));
  resources = template.toJSON().Resources as Resources;
  definition = runMachineDefinition(infraTestConfig()).definition as Record<string, any>;
  states = definition.States;
}, 120_000);

const taskStates = () => Object.entries(states).filter(([, s]) => s.Type === 'Task');
const RUN_TASK_ARN = testFunctionArn('run-task');
/** The task a Task state asks its function for. */
const taskOf = (s: State): RunTask => (s.Parameters.Payload ?? s.Parameters).task;

describe('the run state machine', () => {
  it('is one Standard state machine, logging ALL with execution data to its own log group (90 days) and traced with X-Ray', () => {
    // Assess
    const machines = Object.values(resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    const [machine] = machines;
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.stringMatching(/^RunMachineLogs/), 'Arn'] } } }],
      },
    });
    const [, group] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Logs::LogGroup' && id.startsWith('RunMachineLogs'))!;
    expect(group.Properties.RetentionInDays).toBe(90);
  });

  it('has the states an operator reads in the console', () => {
    // Assess
    expect(definition.StartAt).toBe('Admit');
    for (const name of [
      'Admit', 'TakeTurn', 'WaitForTurn', 'ReadCoupa', 'Plan', 'Enqueue', 'CheckApply', 'WaitForApply', 'Report', 'ReleaseTurn',
      'ReportHeld', 'ReleaseHeldTurn', 'WaitForApproval', 'Recheck', 'EnqueueApproved', 'Expire', 'Reject', 'Stale',
      'TakePreviewTurn', 'PreviewReadCoupa', 'PreviewPlan', 'ReleasePreviewTurn', 'ReportPreview',
      'RefuseFile', 'ReleaseAfterRefusal', 'RunFailed', 'ReleaseAfterFailure', 'Failed', 'Done',
    ]) {
      expect(states, name).toHaveProperty(name);
    }
    expect(states.Failed.Type).toBe('Fail');
    expect(states.Done.Type).toBe('Succeed');
  });

  it('ends every execution: TimeoutSeconds = approval.expireAfterHours + 15 days, WaitForApproval times out after approval.expireAfterHours', () => {
    // Prepare / Act: the default (72 h) and a config of its own (12 h).
    const custom = runMachineDefinition(infraTestConfig({ approval: { expireAfterHours: 12 } })).definition as Record<string, any>;
    // Assess
    expect(definition.TimeoutSeconds).toBe(72 * 3600 + 15 * 86400);
    expect(states.WaitForApproval.TimeoutSeconds).toBe(72 * 3600);
    expect(custom.TimeoutSeconds).toBe(12 * 3600 + 15 * 86400);
    expect(custom.States.WaitForApproval.TimeoutSeconds).toBe(12 * 3600);
  });

  it('invokes from every Task state the Lambda that does its task (run-plan: read-coupa, plan, recheck; run-task: the rest), payload only, with { task, state: $ }, its result at RESULT_PATH or discarded', () => {
    // Assess
    const asked = new Set<string>();
    const byFunction: Record<string, Set<string>> = {};
    for (const [name, s] of taskStates()) {
      if (name === 'WaitForApproval') continue;
      asked.add(taskOf(s));
      (byFunction[s.Resource] ??= new Set()).add(taskOf(s));
      expect({ name, resource: s.Resource }).toEqual({ name, resource: testFunctionArn(functionOf(taskOf(s))) });
      expect(s.Parameters).toMatchObject({ task: expect.any(String), 'state.$': '$' });
      expect(Object.keys(s.Parameters).sort()).toEqual(taskOf(s) === 'enqueue' ? ['source', 'state.$', 'task'] : ['state.$', 'task']);
      const key = RESULT_PATH[taskOf(s)];
      expect({ name, resultPath: s.ResultPath }).toEqual({ name, resultPath: key ? `$.${key}` : null });
    }
    // Every task of the contract is asked for by some state; the planning tasks of run-plan only.
    expect([...asked, 'await-approval'].sort()).toEqual([...RUN_TASKS].sort());
    expect([...byFunction[testFunctionArn('run-plan')]].sort()).toEqual([...PLANNING_TASKS].sort());
    expect(Object.keys(byFunction).sort()).toEqual([testFunctionArn('run-plan'), RUN_TASK_ARN]);
    expect([states.Enqueue, states.EnqueueRest, states.EnqueueApproved].map((s) => s.Parameters.source)).toEqual(['plan', 'plan', 'approved']);
  });

  it('waits for the approval with a task token, its result at $.approval', () => {
    // Assess
    expect(states.WaitForApproval).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: RUN_TASK_ARN, Payload: { task: 'await-approval', 'state.$': '$', 'token.$': '$$.Task.Token' } },
      ResultPath: '$.approval',
    });
  });

  it('waits in its loops as long as run-task says ($.turn.waitSeconds, $.apply.waitSeconds)', () => {
    // Assess
    expect(states.WaitForTurn).toMatchObject({ Type: 'Wait', SecondsPath: '$.turn.waitSeconds', Next: 'TakeTurn' });
    expect(states.WaitForPreviewTurn).toMatchObject({ Type: 'Wait', SecondsPath: '$.turn.waitSeconds', Next: 'TakePreviewTurn' });
    expect(states.WaitForApply).toMatchObject({ Type: 'Wait', SecondsPath: '$.apply.waitSeconds', Next: 'CheckApply' });
    expect(states.WaitForApplyRest).toMatchObject({ Type: 'Wait', SecondsPath: '$.apply.waitSeconds', Next: 'CheckApplyRest' });
  });

  it('retries every Task state: never the run\'s own errors, anything else 3 times from 5 s (enqueue from 2 s), doubling', () => {
    // Assess
    for (const [name, s] of taskStates()) {
      const interval = taskOf(s) === 'enqueue' ? 2 : 5;
      const notRetried = name === 'WaitForApproval' ? [...NOT_RETRIED, 'States.Timeout'] : [...NOT_RETRIED];
      expect({ name, retry: s.Retry }).toEqual({
        name,
        retry: [
          { ErrorEquals: notRetried, MaxAttempts: 0 },
          { ErrorEquals: ['States.ALL'], IntervalSeconds: interval, MaxAttempts: 3, BackoffRate: 2 },
        ],
      });
    }
    // SQS deduplicates for 5 minutes: enqueue's retries (2 + 4 + 8 s, plus up to 4 invocations of 15 min) start within it…
    expect(2 + 4 + 8).toBeLessThan(300);
  });

  it('catches a refused file, a lost turn and any other error on every working state of both lanes', () => {
    // Assess
    const working = ['ReadCoupa', 'Plan', 'Enqueue', 'EnqueueRest', 'EnqueueApproved', 'CheckApply', 'CheckApplyRest', 'Report', 'ReleaseTurn', 'ReportHeld', 'ReleaseHeldTurn', 'Recheck'];
    for (const name of working) {
      expect({ name, catch: states[name].Catch }).toEqual({
        name,
        catch: [
          { ErrorEquals: [RUN_ERRORS.fileRefused], ResultPath: '$.error', Next: 'RefuseFile' },
          { ErrorEquals: [RUN_ERRORS.turnLost], ResultPath: '$.error', Next: 'TakeTurn' },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RunFailed' },
        ],
      });
    }
    for (const name of ['PreviewReadCoupa', 'PreviewPlan', 'ReleasePreviewTurn', 'ReportPreview']) {
      expect(states[name].Catch.map((c: State) => c.Next)).toEqual(['RefuseFile', 'TakePreviewTurn', 'RunFailed']);
    }
    expect(states.WaitForApproval.Catch).toEqual([
      { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Expire' },
      { ErrorEquals: [RUN_ERRORS.rejected], ResultPath: '$.error', Next: 'Reject' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RunFailed' },
    ]);
    // The failure path: report, one alert, release, fail. Its own failure ends the execution (EventBridge takes over).
    expect(states.RunFailed).toMatchObject({ Parameters: { task: 'fail' }, Next: 'ReleaseAfterFailure' });
    expect(states.ReleaseAfterFailure).toMatchObject({ Parameters: { task: 'release-turn' }, Next: 'Failed' });
    expect(states.RunFailed.Catch).toBeUndefined();
    expect(states.ReleaseAfterFailure.Catch).toBeUndefined();
    expect(states.RefuseFile).toMatchObject({ Parameters: { task: 'refuse-file' }, Next: 'ReleaseAfterRefusal' });
  });

  it('counts approval.expireAfterHours in whole seconds, at least one', () => {
    // Assess
    expect(approvalTimeoutSeconds({ expireAfterHours: 0.5 } as never)).toBe(1800);
    expect(approvalTimeoutSeconds({ expireAfterHours: 0.0001 } as never)).toBe(1);
    expect(executionTimeout({ expireAfterHours: 1 } as never).toSeconds()).toBe(3600 + 15 * 86400);
  });

  it('stays within the 25,000-event history limit by default, and the stack warns when approval.expireAfterHours could exceed it', () => {
    // Assess: the default 72 h (worst case: the whole timeout spent in 10-minute waiting loops).
    expect(historyBudget({ expireAfterHours: 72 } as never)).toBeLessThan(HISTORY_EVENT_LIMIT);
    expect(historyBudget({ expireAfterHours: 200 } as never)).toBeGreaterThan(HISTORY_EVENT_LIMIT);
    // Act
    const { stack } = synthStack(infraTestConfig({ approval: { expireAfterHours: 200 } }), { bundle: false });
    // Assess
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('history events'))).toHaveLength(1);
  });
});

/** Scripted run functions: each state's answer (a value, a list of values by call, or an error to throw). */
function scripted(answers: Record<string, unknown>): { handlers: Record<string, (input: any) => unknown>; visited: string[] } {
  const visited: string[] = [];
  const calls: Record<string, number> = {};
  const handlers: Record<string, (input: any) => unknown> = {};
  for (const [name, s] of taskStates()) {
    handlers[name] = () => {
      visited.push(name);
      const n = (calls[name] = (calls[name] ?? 0) + 1);
      const answer = answers[name];
      const value = Array.isArray(answer) ? answer[Math.min(n, answer.length) - 1] : answer;
      if (value instanceof Error) throw value;
      void s;
      return value ?? {};
    };
  }
  return { handlers, visited };
}

const named = (name: string, message = name) => Object.assign(new Error(message), { name });
const start = { run: { runId: 'hr-0001', file: 'incoming/hr.csv' }, channel: 'api', dryRun: false, arrivedAt: '2026-12-06T10:00:00Z', bucket: 'drop' };

/** Runs the synthesized definition with every Wait and retry interval shortened to 0. */
async function execute(answers: Record<string, unknown>): Promise<{ visited: string[]; output?: unknown; error?: Error; inputs: Record<string, unknown[]> }> {
  const { handlers: scriptedHandlers, visited } = scripted(answers);
  // What each Task state was invoked with (its Parameters applied).
  const inputs: Record<string, unknown[]> = {};
  const handlers = Object.fromEntries(
    Object.entries(scriptedHandlers).map(([name, h]) => [name, (input: unknown) => ((inputs[name] ??= []).push(input), h(input))]),
  );
  const waits = Object.fromEntries(Object.entries(states).filter(([, s]) => s.Type === 'Wait').map(([n]) => [n, 0]));
  const retries = Object.fromEntries(taskStates().map(([n]) => [n, 0]));
  const machine = new StateMachine(definition as never);
  const execution = machine.run(start as never, {
    // The interpreter has no task tokens ($$.Task.Token is undefined there): the test gives the context one.
    context: { Task: { Token: 'token-of-the-test' } },
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: waits, retryIntervalOverrides: retries },
  });
  try {
    return { visited, inputs, output: await execution.result };
  } catch (error) {
    return { visited, inputs, error: error as Error };
  }
}

describe('the synthesized definition, run in aws-local-stepfunctions with scripted run functions', () => {
  it('an applied run: waits for its turn, reads Coupa in two invocations, plans, enqueues, waits for the changes, reports and releases', async () => {
    // Act
    const { visited, error, inputs } = await execute({
      Admit: { lane: 'apply' },
      TakeTurn: [{ status: 'waiting', waitSeconds: 30 }, { status: 'taken', waitSeconds: 0 }],
      ReadCoupa: [{ done: false, step: 1, usersRead: 100 }, { done: true, step: 2, usersRead: 180 }],
      Plan: { outcome: 'apply', toApply: 3, staged: 0, rows: 10, planSha256: 'ab' },
      Enqueue: { queued: 3 },
      CheckApply: [{ done: false, queued: 3, settled: 1, failed: 0, waitSeconds: 60 }, { done: true, queued: 3, settled: 3, failed: 0, waitSeconds: 60 }],
    });
    // Assess
    expect(error).toBeUndefined();
    expect(visited).toEqual(['Admit', 'TakeTurn', 'TakeTurn', 'ReadCoupa', 'ReadCoupa', 'Plan', 'Enqueue', 'CheckApply', 'CheckApply', 'Report', 'ReleaseTurn']);
    // Each result lands at its RESULT_PATH: Report sees the whole run so far.
    expect(inputs.Report).toEqual([
      {
        task: 'report',
        state: expect.objectContaining({
          ...start,
          admitted: { lane: 'apply' },
          turn: { status: 'taken', waitSeconds: 0 },
          read: { done: true, step: 2, usersRead: 180 },
          plan: expect.objectContaining({ outcome: 'apply', planSha256: 'ab' }),
          queued: { queued: 3 },
          apply: expect.objectContaining({ done: true, settled: 3 }),
        }),
      },
    ]);
    expect(inputs.Enqueue).toEqual([expect.objectContaining({ task: 'enqueue', source: 'plan' })]);
  });

  it('a held run gives its turn back, waits for the approval, takes a turn again and rechecks instead of reading', async () => {
    // Act (the task token wait is overridden like any Task: the interpreter does not call Lambda)
    const { visited, error, inputs } = await execute({
      Admit: { lane: 'apply' },
      TakeTurn: { status: 'taken', waitSeconds: 0 },
      ReadCoupa: { done: true, step: 1, usersRead: 10 },
      Plan: { outcome: 'held', toApply: 0, staged: 50, rows: 60 },
      WaitForApproval: { approvedBy: 'ops', approvedAt: '2026-12-06T12:00:00Z' },
      Recheck: { toApply: 40, skipped: 10, approvedSha256: 'cd' },
      EnqueueApproved: { queued: 40 },
      CheckApply: { done: true, queued: 40, settled: 40, failed: 0, waitSeconds: 60 },
    });
    // Assess
    expect(error).toBeUndefined();
    expect(inputs.WaitForApproval).toEqual([
      { FunctionName: RUN_TASK_ARN, Payload: expect.objectContaining({ task: 'await-approval', token: 'token-of-the-test' }) },
    ]);
    expect(visited).toEqual([
      'Admit', 'TakeTurn', 'ReadCoupa', 'Plan', 'ReportHeld', 'ReleaseHeldTurn', 'WaitForApproval',
      'TakeTurn', 'Recheck', 'EnqueueApproved', 'CheckApply', 'Report', 'ReleaseTurn',
    ]);
  });

  it('a rejected run ends through Reject, an unapproved one through Expire', async () => {
    // Prepare
    const held = {
      Admit: { lane: 'apply' },
      TakeTurn: { status: 'taken', waitSeconds: 0 },
      ReadCoupa: { done: true, step: 1, usersRead: 10 },
      Plan: { outcome: 'held', toApply: 0, staged: 50, rows: 60 },
    };
    // Act
    const rejected = await execute({ ...held, WaitForApproval: named(RUN_ERRORS.rejected, 'not this one') });
    const expired = await execute({ ...held, WaitForApproval: named('States.Timeout') });
    // Assess
    expect(rejected.visited.slice(-2)).toEqual(['WaitForApproval', 'Reject']);
    expect(expired.visited.slice(-2)).toEqual(['WaitForApproval', 'Expire']);
    expect([rejected.error, expired.error]).toEqual([undefined, undefined]);
  });

  it('a step that keeps failing is retried 3 times, then the run is reported failed, its turn released, and the execution fails', async () => {
    // Act
    const { visited, error } = await execute({
      Admit: { lane: 'apply' },
      TakeTurn: { status: 'taken', waitSeconds: 0 },
      ReadCoupa: { done: true, step: 1, usersRead: 10 },
      Plan: named('Error', 'Coupa said 503'),
    });
    // Assess
    expect(visited).toEqual(['Admit', 'TakeTurn', 'ReadCoupa', 'Plan', 'Plan', 'Plan', 'Plan', 'RunFailed', 'ReleaseAfterFailure']);
    expect((error?.cause as Error | undefined)?.name).toBe('RunFailed');
  });

  it('the run\'s own errors are not retried: a changed plan fails the run at once, a refused file is refused, a lost turn is taken again', async () => {
    // Prepare
    const base = { Admit: { lane: 'apply' }, ReadCoupa: { done: true, step: 1, usersRead: 10 }, Plan: { outcome: 'apply', toApply: 1, staged: 0, rows: 1 } };
    // Act
    const changed = await execute({ ...base, TakeTurn: { status: 'taken', waitSeconds: 0 }, Enqueue: named(RUN_ERRORS.planChanged) });
    const refused = await execute({ ...base, TakeTurn: { status: 'taken', waitSeconds: 0 }, ReadCoupa: named(RUN_ERRORS.fileRefused) });
    const lost = await execute({
      ...base,
      TakeTurn: { status: 'taken', waitSeconds: 0 },
      Enqueue: [named(RUN_ERRORS.turnLost), { queued: 1 }],
      CheckApply: { done: true, queued: 1, settled: 1, failed: 0, waitSeconds: 60 },
    });
    // Assess
    expect(changed.visited.slice(-3)).toEqual(['Enqueue', 'RunFailed', 'ReleaseAfterFailure']);
    expect(refused.visited).toEqual(['Admit', 'TakeTurn', 'ReadCoupa', 'RefuseFile', 'ReleaseAfterRefusal']);
    expect(refused.error).toBeUndefined();
    expect(lost.visited).toEqual(['Admit', 'TakeTurn', 'ReadCoupa', 'Plan', 'Enqueue', 'TakeTurn', 'ReadCoupa', 'Plan', 'Enqueue', 'CheckApply', 'Report', 'ReleaseTurn']);
  });

  it('a plan-only file takes the preview lane: its own turn, no enqueue, its report', async () => {
    // Act
    const { visited, error } = await execute({
      Admit: { lane: 'preview' },
      TakePreviewTurn: { status: 'taken', waitSeconds: 0 },
      PreviewReadCoupa: { done: true, step: 1, usersRead: 10 },
      PreviewPlan: [{ outcome: 'needs-full-read', toApply: 0, staged: 0, rows: 5 }, { outcome: 'planned', toApply: 0, staged: 0, rows: 5 }],
    });
    // Assess
    expect(error).toBeUndefined();
    expect(visited).toEqual(['Admit', 'TakePreviewTurn', 'PreviewReadCoupa', 'PreviewPlan', 'PreviewReadCoupa', 'PreviewPlan', 'ReleasePreviewTurn', 'ReportPreview']);
  });
});

describe('the run table', () => {
  it('is on demand, with point-in-time recovery, TTL on expiresAt, pk/sk strings, AWS-owned encryption by default, and retained', () => {
    // Assess
    const tables = Object.values(resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const [table] = tables;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    });
    // (SSEEnabled false: DynamoDB's AWS-owned key, no KMS key to grant; "kms" storage: hardening.test.ts.)
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: false });
    template.hasOutput('RunTableName', { Value: { Ref: Match.stringLikeRegexp('^RunsTable') } });
  });
});

describe('dead executions (EventBridge → run-ended)', () => {
  it('sends this state machine\'s FAILED, TIMED_OUT and ABORTED executions to run-ended', () => {
    // Assess
    const [runEndedId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && /^Releases the turn/.test(r.Properties.Description ?? ''))!;
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: Match.stringLikeRegexp('^RunMachineStateMachine') }] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [runEndedId, 'Arn'] } })],
    });
  });

  it('run-ended has 256 MB and a minute, names the table, topic and bucket, and may only get, update and delete run and line items and publish', () => {
    // Assess
    const [, fn] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && /^Releases the turn/.test(r.Properties.Description ?? ''))!;
    expect(fn.Properties).toMatchObject({ MemorySize: 256, Timeout: 60 });
    expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining(['RUN_TABLE', 'TOPIC_ARN', 'BUCKET_NAME']));
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as State[]);
    expect(statements.map((s) => [s.Action].flat().sort().join(',')).sort()).toEqual([
      'dynamodb:DeleteItem,dynamodb:GetItem,dynamodb:UpdateItem',
      'kms:Decrypt,kms:GenerateDataKey',
      'logs:CreateLogStream,logs:PutLogEvents',
      'sns:Publish',
    ]);
    expect(statements.find((s) => [s.Action].flat()[0].startsWith('dynamodb:'))!.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['run#*', 'line#*'] },
    });
  });

  it('lets the state machine\'s role invoke only the run-plan and run-task Lambdas', () => {
    // Assess
    const [, machine] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')!;
    const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as State[]);
    const invoked = JSON.stringify(statements.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction')).map((s) => s.Resource));
    expect(invoked).toMatch(/RunTaskFunction/);
    expect(invoked).toMatch(/RunPlanFunction/);
    expect(invoked).not.toMatch(/Splitter|RunEnded|ApiConsumer|DeadLetters|Csv/);
    // What it has on "*": X-Ray and log delivery only (they take no resource).
    for (const s of statements.filter((st) => [st.Resource].flat().includes('*'))) {
      for (const action of [s.Action].flat() as string[]) expect(action).toMatch(/^(xray|logs):/);
    }
  });
});
