/**
 * The Lambdas of the run state machine: run-plan, which does the planning tasks (read Coupa, plan,
 * re-check an approved run: lambdas/run-plan.ts); run-task, which does every other step a Task state
 * asks for (lambdas/run-task.ts); and run-ended, which an EventBridge rule calls when an execution of
 * the machine FAILED, TIMED_OUT or was ABORTED (lambdas/run-ended.ts): it releases the dead run's turn
 * and alerts once. Two task functions, not one: each bundle stays under 300 KB, and each role holds
 * only what its steps use (run-plan sends and publishes nothing; run-task never reads an HR file).
 */
import { Duration, Size } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import type { FailureTopic } from './alerts';
import { KEY_PATTERN, PREFIX } from './drop-bucket';
import { grantKeyDecrypt, grantList, grantObjectDelete, grantObjectRead, grantObjectWrite, grantObjectWriteTo, grantPublish, grantSecretRead, grantSend } from './grants';
import { acknowledgePrefixGrant } from './nag';
import { ITEMS, type RunTable } from './run-table';
import { SyncFunction } from './sync-function';

/**
 * Both run functions' size. run-plan holds the roster and Coupa's users compactly in memory while
 * planning (500k users ≈ 1 GB); run-task's Enqueue holds the whole plan it queues (a 400,000-change
 * plan.json, 228 MB, peaked at 1,043 MB). Lambda bills by the millisecond, and the frequent light
 * steps (a turn, a progress check) take ~100 ms at any size. Both spool row outcomes to /tmp, and
 * Report writes each format there before its upload: a 1M-row run needs ~0.4 GB, Lambda's default
 * is 512 MiB.
 */
const RUN_FUNCTION_SIZE = { timeout: Duration.minutes(15), memorySize: 3008, ephemeralStorageSize: Size.gibibytes(2) };

export interface RunPlanProps {
  config: SyncConfig;
  bucket: s3.Bucket;
  table: RunTable;
  coupaSecret: secretsmanager.ISecret;
}

/** The planning tasks of a run: read Coupa's users, plan the HR file, re-check an approved run. */
export class RunPlan extends Construct {
  readonly function: SyncFunction;

  constructor(scope: Construct, id: string, props: RunPlanProps) {
    super(scope, id);
    const { bucket, table } = props;
    this.function = new SyncFunction(this, 'RunPlan', {
      handler: 'run-plan',
      config: props.config,
      description: "Plans a run for the run state machine: reads Coupa's users, plans the HR file, re-checks an approved run",
      ...RUN_FUNCTION_SIZE,
      environment: {
        BUCKET_NAME: bucket.bucketName,
        RUN_TABLE: table.table.tableName,
        COUPA_SECRET_ARN: props.coupaSecret.secretArn,
      },
    });
    const role = this.function.role;
    // Exactly the version the execution names: a file overwritten meanwhile must not be read instead.
    for (const prefix of [PREFIX.incoming, PREFIX.plan]) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [bucket.arnForObjects(`${prefix}*`)] }));
      acknowledgePrefixGrant(role, bucket, prefix, `Reads the HR files dropped under ${prefix} only.`);
    }
    grantKeyDecrypt(role, bucket);
    // Plans, approved lists and the rows the plan settles (runs/<runId>/…); the kept snapshot, read
    // checkpoints, reference lists and the monitoring state (state/).
    grantObjectRead(role, bucket, PREFIX.runs);
    grantObjectWrite(role, bucket, PREFIX.runs);
    grantObjectRead(role, bucket, PREFIX.state);
    grantObjectWrite(role, bucket, PREFIX.state);
    grantObjectDelete(role, bucket, PREFIX.readCheckpoints);
    // A first run has no snapshot and no read checkpoint yet: S3 says 404 NoSuchKey only to a caller that
    // may list the prefix, and 403 AccessDenied to any other.
    grantList(role, bucket, PREFIX.runs);
    grantList(role, bucket, PREFIX.state);
    acknowledgePrefixGrant(role, bucket, PREFIX.runs, 'Reads and writes plans and the rows they settle under runs/ only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.state, 'Reads and writes the kept snapshot of Coupa users, read checkpoints and reference lists under state/ only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.readCheckpoints, 'Deletes the read checkpoint of any run once its read of Coupa is done.');
    // The run's record (phase, plan summary) and, for Recheck, who holds the turn.
    table.grant(role, ['GetItem', 'UpdateItem'], [ITEMS.run]);
    table.grant(role, ['GetItem'], [ITEMS.line]);
    grantSecretRead(role, props.coupaSecret);
  }
}

export interface RunTaskProps {
  config: SyncConfig;
  bucket: s3.Bucket;
  table: RunTable;
  coupaSecret: secretsmanager.ISecret;
  apiQueue: sqs.IQueue;
  csvQueue: sqs.IQueue;
  alerts: FailureTopic;
}

/** Every other task of a run: admit, take and release the turn, enqueue, check, wait for approval, report, end. */
export class RunTask extends Construct {
  readonly function: SyncFunction;

  constructor(scope: Construct, id: string, props: RunTaskProps) {
    super(scope, id);
    const { bucket, table } = props;
    this.function = new SyncFunction(this, 'RunTask', {
      handler: 'run-task',
      config: props.config,
      description: 'Does each step of a run but planning for the run state machine: turn, enqueue, progress, approval, report',
      ...RUN_FUNCTION_SIZE,
      environment: {
        BUCKET_NAME: bucket.bucketName,
        RUN_TABLE: table.table.tableName,
        API_QUEUE_URL: props.apiQueue.queueUrl,
        CSV_QUEUE_URL: props.csvQueue.queueUrl,
        TOPIC_ARN: props.alerts.topic.topicArn,
        COUPA_SECRET_ARN: props.coupaSecret.secretArn,
      },
    });
    const role = this.function.role;
    grantKeyDecrypt(role, bucket);
    // Plans and approved lists to queue, outcomes to report, the reports (runs/<runId>/…); the
    // integration run in Coupa's monitoring (state/monitoring/); the roster a complete full run
    // applied, the next full roster's baseline (roster.maxRosterShrink), written by Report.
    grantObjectRead(role, bucket, PREFIX.runs);
    grantObjectWrite(role, bucket, PREFIX.runs);
    grantObjectRead(role, bucket, PREFIX.monitoring);
    grantObjectWrite(role, bucket, PREFIX.monitoring);
    grantObjectWriteTo(role, bucket, [KEY_PATTERN.acceptedRoster]);
    grantList(role, bucket, PREFIX.runs);
    grantList(role, bucket, PREFIX.monitoring);
    acknowledgePrefixGrant(role, bucket, PREFIX.runs, 'Reads plans and outcomes and writes reports under runs/ only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.monitoring, "Reads and writes the run's Coupa monitoring state under state/monitoring/ only.");
    // The run's record and marks, and the bucket's line of runs and turn (conditional puts and deletes).
    table.grant(role, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'], [ITEMS.run, ITEMS.line]);
    grantSend(role, props.apiQueue, props.csvQueue);
    grantPublish(role, props.alerts.topic, props.alerts.key);
    // Coupa's integration monitoring (coupa.monitoring): the run's phases after planning.
    grantSecretRead(role, props.coupaSecret);
  }
}

/** EventBridge's detail-type of an execution's status change (source aws.states). */
export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';
/** The ends of an execution that its own failure path did not reach. */
export const DEAD_EXECUTION_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface RunEndedProps {
  config: SyncConfig;
  bucket: s3.IBucket;
  table: RunTable;
  stateMachine: sfn.IStateMachine;
  alerts: FailureTopic;
}

/** A dead execution's turn released, one alert: the last word on a run nothing else can report. */
export class RunEnded extends Construct {
  readonly function: SyncFunction;
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RunEndedProps) {
    super(scope, id);
    this.function = new SyncFunction(this, 'RunEnded', {
      handler: 'run-ended',
      config: props.config,
      description: "Releases the turn of a run whose execution failed, timed out or was aborted, and alerts once",
      timeout: Duration.minutes(1),
      memorySize: 256,
      environment: {
        RUN_TABLE: props.table.table.tableName,
        TOPIC_ARN: props.alerts.topic.topicArn,
        BUCKET_NAME: props.bucket.bucketName,
      },
    });
    const role = this.function.role;
    // The run's record (its lane, arrival, whether its failure was alerted), the turn and its line entry.
    props.table.grant(role, ['GetItem', 'UpdateItem', 'DeleteItem'], [ITEMS.run, ITEMS.line]);
    grantPublish(role, props.alerts.topic, props.alerts.key);

    this.rule = new events.Rule(this, 'DeadExecutions', {
      description: 'A coupa-user-sync run execution failed, timed out or was aborted: release its turn and alert',
      eventPattern: {
        source: ['aws.states'],
        detailType: [EXECUTION_STATUS_CHANGE],
        detail: { status: [...DEAD_EXECUTION_STATUSES], stateMachineArn: [props.stateMachine.stateMachineArn] },
      },
      // EventBridge retries a delivery it could not make (8 times within 24 h); Lambda retries an
      // invocation that throws twice more, and its Errors alarm tells the operator about the rest.
      targets: [new targets.LambdaFunction(this.function.fn, { retryAttempts: 8, maxEventAge: Duration.hours(24) })],
    });
  }
}
