/**
 * The run state machine (docs/orchestration.md, "The state machine"): one Standard execution per run,
 * named by the run id. Every Task state asks one of the run's two Lambdas for one task of
 * lambdas/core/runs/contract.ts (run-plan for read-coupa, plan and recheck; run-task for every other:
 * functionOf); this file only routes between them: which task comes next, which
 * loops wait how long, what is retried and where each error goes.
 *
 * History budget (a Standard execution ends after 25,000 history events):
 * - a Lambda Task state writes 5 events (Entered, Scheduled, Started, Succeeded, Exited), a Choice or
 *   a Wait 2, a retried attempt 3 more (Scheduled, Started, Failed);
 * - one turn of a waiting loop (TakeTurn → TurnTaken? → WaitForTurn, or CheckApply → Applied? →
 *   WaitForApply) is 5 + 2 + 2 = LOOP_EVENTS_PER_TURN = 9 events; one ReadCoupa turn 5 + 2 = 7;
 * - the run-task Lambda lets each wait grow to MAX_WAIT_SECONDS (10 min), so a loop costs at most
 *   6 turns × 9 = 54 events per hour, 1,296 a day, whatever it waits for;
 * - a 500,000-change run: ~25 straight states (≈ 130 events), ReadCoupa ≤ roster.maxReadContinuations
 *   + 1 turns (≤ 97 × 7), applying at Coupa's 25 req/s ≈ 5.6 h ≈ 40 WaitForApply turns (≈ 360
 *   events), a few hours in line (≈ 300): ≈ 1,500 events, 6 % of the budget;
 * - the worst case is an execution that loops until its timeout (approval.expireAfterHours + 15 days;
 *   WaitForApproval itself is one state, ~5 events however long it waits): with the default 72 h,
 *   432 h × 54 + 150 = 23,478 events, inside the limit. historyBudget() computes it from the config
 *   and the stack warns when a config could exceed it; an execution that did would fail, and the
 *   EventBridge rule (RunEnded) releases its turn and alerts like any other failed run.
 */
import { Annotations, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import { NOT_RETRIED, RESULT_PATH, RUN_ERRORS, functionOf, type RunFunction, type RunState, type RunTask } from '../../lambdas/core/runs/contract';

/** Standard executions: at most this many history events. */
export const HISTORY_EVENT_LIMIT = 25_000;
/** The longest WaitForTurn / WaitForApply the run-task Lambda asks for (its waits grow to this). */
export const MAX_WAIT_SECONDS = 600;
/** Events of one turn of a waiting loop: Task (5) + Choice (2) + Wait (2). */
export const LOOP_EVENTS_PER_TURN = 9;
/** Events of the states a run passes once (admit, plan, enqueue, report, approval, release…), retries included. */
export const STRAIGHT_EVENTS = 150;
/** What an execution may take beyond its approval wait: lines, reads, applying, reporting. */
export const BEYOND_APPROVAL = Duration.days(15);

/** An execution's TimeoutSeconds: every execution ends, even one whose Lambda never answers. */
export function executionTimeout(approval: SyncConfig['approval']): Duration {
  return Duration.seconds(approvalTimeoutSeconds(approval) + BEYOND_APPROVAL.toSeconds());
}

/** WaitForApproval's TimeoutSeconds: approval.expireAfterHours in whole seconds, at least 1. */
export function approvalTimeoutSeconds(approval: SyncConfig['approval']): number {
  return Math.max(1, Math.round(approval.expireAfterHours * 3600));
}

/** The most events an execution that spends its whole timeout in waiting loops writes (see the header). */
export function historyBudget(approval: SyncConfig['approval']): number {
  return Math.ceil(executionTimeout(approval).toSeconds() / MAX_WAIT_SECONDS) * LOOP_EVENTS_PER_TURN + STRAIGHT_EVENTS;
}

export interface RunMachineProps {
  config: SyncConfig;
  /** The run's two Lambdas, by name: each Task state invokes the one that does its task (functionOf). */
  functions: Record<RunFunction, lambda.IFunction>;
}

/** Catch targets every working Task state shares. */
interface FailurePaths {
  refuse: sfn.IChainable;
  failed: sfn.IChainable;
  /** Where a TurnLost goes back to (the lane's TakeTurn). */
  turnLost: sfn.IChainable;
}

export class RunMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RunMachineProps) {
    super(scope, id);
    const { config, functions } = props;

    const budget = historyBudget(config.approval);
    if (budget > HISTORY_EVENT_LIMIT) {
      Annotations.of(this).addWarningV2(
        'coupa-user-sync:history-budget',
        `approval.expireAfterHours ${config.approval.expireAfterHours} lets a run's execution last so long that, waiting in ` +
          `line all that time, it could write ${budget} history events (Step Functions ends an execution at ` +
          `${HISTORY_EVENT_LIMIT}: it would fail, and be released and alerted as failed). Lower approval.expireAfterHours (≤ 100 h fits).`,
      );
    }

    const invoke = (stateId: string, task: RunTask, extra: Record<string, unknown> = {}, resultPath?: string) =>
      new tasks.LambdaInvoke(this, stateId, {
        lambdaFunction: functions[functionOf(task)],
        payloadResponseOnly: true,
        // Our own retriers only (below): CDK's default one would come first and retry the run's own errors.
        retryOnServiceExceptions: false,
        payload: sfn.TaskInput.fromObject({ task, state: sfn.JsonPath.entirePayload, ...extra }),
        resultPath: resultPath ?? resultPathOf(task),
        comment: `${functionOf(task)} "${task}"`,
      });
    const retried = <T extends sfn.TaskStateBase>(state: T, interval = Duration.seconds(5), alsoNotRetried: string[] = []): T => {
      state.addRetry({ errors: [...NOT_RETRIED, ...alsoNotRetried], maxAttempts: 0 });
      state.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval, backoffRate: 2 });
      return state;
    };
    const task = (stateId: string, name: RunTask, extra: Record<string, unknown> = {}, interval?: Duration) =>
      retried(invoke(stateId, name, extra), interval);

    const done = new sfn.Succeed(this, 'Done');
    const failedEnd = new sfn.Fail(this, 'Failed', {
      error: 'RunFailed',
      cause: 'The run failed: its report and the alert say why (runs/<runId>/report.html).',
    });

    // ── The failure paths (their own failures end the execution: the EventBridge rule takes over) ──
    const releaseAfterFailure = task('ReleaseAfterFailure', 'release-turn');
    const runFailed = task('RunFailed', 'fail').next(releaseAfterFailure).next(failedEnd);
    const releaseAfterRefusal = task('ReleaseAfterRefusal', 'release-turn');
    const refuseFile = task('RefuseFile', 'refuse-file');
    refuseFile.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    refuseFile.next(releaseAfterRefusal).next(done);
    const ending = (stateId: string, name: RunTask) => {
      const state = task(stateId, name);
      state.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      return state;
    };
    const stale = ending('Stale', 'stale');
    stale.next(done);

    /** Catch rules of a working Task state: a refused file, a lost turn, anything else. */
    const guarded = <T extends sfn.TaskStateBase>(state: T, paths: FailurePaths): T => {
      state.addCatch(paths.refuse, { errors: [RUN_ERRORS.fileRefused], resultPath: '$.error' });
      state.addCatch(paths.turnLost, { errors: [RUN_ERRORS.turnLost], resultPath: '$.error' });
      state.addCatch(paths.failed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      return state;
    };

    // ── The apply lane ──
    const takeTurn = task('TakeTurn', 'take-turn');
    const apply: FailurePaths = { refuse: refuseFile, failed: runFailed, turnLost: takeTurn };
    const work = (stateId: string, name: RunTask, extra: Record<string, unknown> = {}, interval?: Duration) =>
      guarded(task(stateId, name, extra, interval), apply);
    takeTurn.addCatch(refuseFile, { errors: [RUN_ERRORS.fileRefused], resultPath: '$.error' });
    takeTurn.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const waitForTurn = new sfn.Wait(this, 'WaitForTurn', { time: sfn.WaitTime.secondsPath('$.turn.waitSeconds') });
    const readCoupa = work('ReadCoupa', 'read-coupa');
    const plan = work('Plan', 'plan');
    const forceFullRead = fullReadAgain(this, 'NeedsFullRead');
    // Enqueue retries every 2 s (2, 4, 8 s): its retries stay well inside SQS's 5-minute deduplication window.
    const enqueue = work('Enqueue', 'enqueue', { source: 'plan' }, Duration.seconds(2));
    const enqueueRest = work('EnqueueRest', 'enqueue', { source: 'plan' }, Duration.seconds(2));
    const enqueueApproved = work('EnqueueApproved', 'enqueue', { source: 'approved' }, Duration.seconds(2));
    const checkApply = work('CheckApply', 'check-apply');
    const waitForApply = new sfn.Wait(this, 'WaitForApply', { time: sfn.WaitTime.secondsPath('$.apply.waitSeconds') });
    const checkApplyRest = work('CheckApplyRest', 'check-apply');
    const waitForApplyRest = new sfn.Wait(this, 'WaitForApplyRest', { time: sfn.WaitTime.secondsPath('$.apply.waitSeconds') });
    const report = work('Report', 'report');
    const releaseTurn = work('ReleaseTurn', 'release-turn');
    const reportHeld = work('ReportHeld', 'report-held');
    const releaseHeldTurn = work('ReleaseHeldTurn', 'release-turn');
    const recheck = work('Recheck', 'recheck');

    // WaitForApproval: the token goes into the run record; `coupa-sync approve|reject` sends it back.
    const waitForApproval = retried(
      new tasks.LambdaInvoke(this, 'WaitForApproval', {
        lambdaFunction: functions[functionOf('await-approval')],
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        retryOnServiceExceptions: false,
        payload: sfn.TaskInput.fromObject({ task: 'await-approval', state: sfn.JsonPath.entirePayload, token: sfn.JsonPath.taskToken }),
        resultPath: `$.${'approval' satisfies keyof RunState}`,
        // Expiry is this timeout: an approval after it is impossible (the token is dead).
        taskTimeout: sfn.Timeout.duration(Duration.seconds(approvalTimeoutSeconds(config.approval))),
        comment: 'run-task "await-approval": waits for coupa-sync approve | reject',
      }),
      Duration.seconds(5),
      // A timeout is the approval's expiry: never retried (States.ALL would match it), caught below.
      [sfn.Errors.TIMEOUT],
    );
    const expire = ending('Expire', 'expire');
    expire.next(done);
    const reject = ending('Reject', 'reject');
    reject.next(done);
    waitForApproval.addCatch(expire, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.error' });
    waitForApproval.addCatch(reject, { errors: [RUN_ERRORS.rejected], resultPath: '$.error' });
    waitForApproval.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const approved = new sfn.Pass(this, 'Approved', {
      comment: 'From now on the TakeTurn loop leads to Recheck, not ReadCoupa',
      result: sfn.Result.fromString('approved'),
      resultPath: `$.${'phase' satisfies keyof RunState}`,
    });

    takeTurn.next(
      new sfn.Choice(this, 'TurnTaken?')
        .when(sfn.Condition.stringEquals('$.turn.status', 'taken'),
          new sfn.Choice(this, 'Approved?')
            .when(isString('$.phase', 'approved'), recheck)
            .otherwise(readCoupa))
        .when(sfn.Condition.stringEquals('$.turn.status', 'stale'), stale)
        .otherwise(waitForTurn.next(takeTurn)),
    );
    readCoupa.next(new sfn.Choice(this, 'ReadDone?').when(sfn.Condition.booleanEquals('$.read.done', true), plan).otherwise(readCoupa));
    const applied = new sfn.Choice(this, 'Applied?')
      .when(sfn.Condition.booleanEquals('$.apply.done', true), report)
      .otherwise(waitForApply.next(checkApply));
    checkApply.next(applied);
    report.next(releaseTurn).next(done);
    enqueue.next(checkApply);
    enqueueApproved.next(checkApply);
    reportHeld.next(releaseHeldTurn).next(waitForApproval).next(approved).next(takeTurn);
    enqueueRest.next(checkApplyRest);
    checkApplyRest.next(
      new sfn.Choice(this, 'RestApplied?')
        .when(sfn.Condition.booleanEquals('$.apply.done', true), reportHeld)
        .otherwise(waitForApplyRest.next(checkApplyRest)),
    );
    forceFullRead.next(readCoupa);
    plan.next(
      new sfn.Choice(this, 'PlanOutcome?')
        .when(sfn.Condition.stringEquals('$.plan.outcome', 'needs-full-read'), forceFullRead)
        .when(sfn.Condition.stringEquals('$.plan.outcome', 'apply'), enqueue)
        .when(
          sfn.Condition.stringEquals('$.plan.outcome', 'held'),
          new sfn.Choice(this, 'ApplyRestFirst?')
            .when(sfn.Condition.numberGreaterThan('$.plan.toApply', 0), enqueueRest)
            .otherwise(reportHeld),
        )
        // nothing (or planned): nothing to queue.
        .otherwise(report),
    );
    recheck.next(
      new sfn.Choice(this, 'StillToApply?')
        .when(sfn.Condition.numberGreaterThan('$.recheck.toApply', 0), enqueueApproved)
        .otherwise(report),
    );

    // ── The preview lane (plan/ files): its own turn, nothing written to Coupa ──
    const takePreviewTurn = task('TakePreviewTurn', 'take-turn');
    const preview: FailurePaths = { refuse: refuseFile, failed: runFailed, turnLost: takePreviewTurn };
    const look = (stateId: string, name: RunTask) => guarded(task(stateId, name), preview);
    takePreviewTurn.addCatch(refuseFile, { errors: [RUN_ERRORS.fileRefused], resultPath: '$.error' });
    takePreviewTurn.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    const waitForPreviewTurn = new sfn.Wait(this, 'WaitForPreviewTurn', { time: sfn.WaitTime.secondsPath('$.turn.waitSeconds') });
    const previewReadCoupa = look('PreviewReadCoupa', 'read-coupa');
    const previewPlan = look('PreviewPlan', 'plan');
    const previewFullRead = fullReadAgain(this, 'PreviewNeedsFullRead');
    const releasePreviewTurn = look('ReleasePreviewTurn', 'release-turn');
    const reportPreview = look('ReportPreview', 'report');
    takePreviewTurn.next(
      new sfn.Choice(this, 'PreviewTurnTaken?')
        .when(sfn.Condition.stringEquals('$.turn.status', 'taken'), previewReadCoupa)
        .when(sfn.Condition.stringEquals('$.turn.status', 'stale'), stale)
        .otherwise(waitForPreviewTurn.next(takePreviewTurn)),
    );
    previewReadCoupa.next(
      new sfn.Choice(this, 'PreviewReadDone?').when(sfn.Condition.booleanEquals('$.read.done', true), previewPlan).otherwise(previewReadCoupa),
    );
    previewFullRead.next(previewReadCoupa);
    previewPlan.next(
      new sfn.Choice(this, 'PreviewPlanOutcome?')
        .when(sfn.Condition.stringEquals('$.plan.outcome', 'needs-full-read'), previewFullRead)
        .otherwise(releasePreviewTurn),
    );
    releasePreviewTurn.next(reportPreview).next(done);

    // ── Admission ──
    const admit = task('Admit', 'admit');
    admit.addCatch(refuseFile, { errors: [RUN_ERRORS.fileRefused], resultPath: '$.error' });
    admit.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    // A reported run one of whose changes settled later: its report is written again, nothing else.
    const reportAgain = task('ReportAgain', 'report');
    reportAgain.addCatch(runFailed, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
    reportAgain.next(done);
    const definition = admit.next(
      new sfn.Choice(this, 'Lane?')
        .when(isString('$.mode', 'report-again'), reportAgain)
        .when(sfn.Condition.stringEquals('$.admitted.lane', 'preview'), takePreviewTurn)
        .otherwise(takeTurn),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'One coupa-user-sync run, from the HR file to its report (docs/orchestration.md)',
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: executionTimeout(config.approval),
      tracingEnabled: true,
      // ALL with execution data: the run's data is its file, counts and status; logins appear only in error causes.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeServiceGrants(this.stateMachine, Object.values(functions));
  }
}

/** `$.field` is present and equals `value` (a Choice on an absent field fails the execution). */
function isString(path: string, value: string): sfn.Condition {
  return sfn.Condition.and(sfn.Condition.isPresent(path), sfn.Condition.stringEquals(path, value));
}

/** Plan asked for every user: ReadCoupa starts again as a full read (force). */
function fullReadAgain(scope: Construct, id: string): sfn.Pass {
  return new sfn.Pass(scope, id, {
    comment: 'A guard needs every Coupa user: read them all',
    result: sfn.Result.fromObject({ done: false, step: 0, usersRead: 0, force: true }),
    resultPath: `$.${'read' satisfies keyof RunState}`,
  });
}

/** Where a task's result goes: its RESULT_PATH, or nowhere (the state passes on unchanged). */
function resultPathOf(task: RunTask): string {
  const key = RESULT_PATH[task];
  return key ? `$.${key}` : sfn.JsonPath.DISCARD;
}

/**
 * What CDK grants the state machine's role beyond invoking the run's two Lambdas: X-Ray and CloudWatch
 * Logs delivery, both on "*" as those services require (they take no resource ARN).
 */
function acknowledgeServiceGrants(machine: sfn.StateMachine, functions: lambda.IFunction[]): void {
  const stack = Stack.of(machine);
  Validations.of(machine.role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery (logs:CreateLogDelivery …) ' +
        'accept no resource ARN: Step Functions needs them on "*" to trace and log executions.',
    },
    ...functions.map((fn) => ({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
      reason: 'Invokes the run\'s own Lambdas only, any of their versions (CDK grants each function ARN and its qualified ARNs).',
    })),
  );
}
