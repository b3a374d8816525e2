/**
 * The two Lambdas of the run state machine: run-task, which does every step a Task state asks for
 * (lambdas/run-task.ts), and run-ended, which an EventBridge rule calls when an execution of the
 * machine FAILED, TIMED_OUT or was ABORTED (lambdas/run-ended.ts): it releases the dead run's turn
 * and alerts once.
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
import { PREFIX } from './drop-bucket';
import { grantKeyDecrypt, grantList, grantObjectDelete, grantObjectRead, grantObjectWrite, grantPublish, grantSecretRead, grantSend } from './grants';
import { acknowledgePrefixGrant } from './nag';
import { ITEMS, type RunTable } from './run-table';
import { SyncFunction } from './sync-function';

export interface RunTaskProps {
  config: SyncConfig;
  bucket: s3.Bucket;
  table: RunTable;
  coupaSecret: secretsmanager.ISecret;
  apiQueue: sqs.IQueue;
  csvQueue: sqs.IQueue;
  alerts: FailureTopic;
}

/** Every task of a run: admit, take and release the turn, read Coupa, plan, enqueue, check, report… */
export class RunTask extends Construct {
  readonly function: SyncFunction;

  constructor(scope: Construct, id: string, props: RunTaskProps) {
    super(scope, id);
    const { bucket, table } = props;
    this.function = new SyncFunction(this, 'RunTask', {
      handler: 'run-task',
      config: props.config,
      description: 'Does each step of a run for the run state machine: turn, read Coupa, plan, enqueue, report',
      // The roster and Coupa's users are held compactly in memory while planning (500k users ≈ 1 GB).
      timeout: Duration.minutes(15),
      memorySize: 3008,
      // Row outcomes are spooled to /tmp while planning and reporting, and each report format is written
      // there before its upload: a 1M-row file whose rows are all rejected needs ~0.4 GB; Lambda's default is 512 MiB.
      ephemeralStorageSize: Size.gibibytes(2),
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
    // Exactly the version the execution names: a file overwritten meanwhile must not be read instead.
    for (const prefix of [PREFIX.incoming, PREFIX.plan]) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [bucket.arnForObjects(`${prefix}*`)] }));
      acknowledgePrefixGrant(role, bucket, prefix, `Reads the HR files dropped under ${prefix} only.`);
    }
    grantKeyDecrypt(role, bucket);
    // Plans, approved lists, outcomes and reports (runs/<runId>/…); the kept snapshot and read checkpoints (state/).
    grantObjectRead(role, bucket, PREFIX.runs);
    grantObjectWrite(role, bucket, PREFIX.runs);
    grantObjectRead(role, bucket, PREFIX.state);
    grantObjectWrite(role, bucket, PREFIX.state);
    grantObjectDelete(role, bucket, PREFIX.readCheckpoints);
    // A first run has no snapshot and no read checkpoint yet: S3 says 404 NoSuchKey only to a caller that
    // may list the prefix, and 403 AccessDenied to any other.
    grantList(role, bucket, PREFIX.runs);
    grantList(role, bucket, PREFIX.state);
    acknowledgePrefixGrant(role, bucket, PREFIX.runs, 'Reads and writes plans, outcomes and reports under runs/ only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.state, 'Reads and writes the kept snapshot of Coupa users and read checkpoints under state/ only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.readCheckpoints, 'Deletes the read checkpoint of any run once its read of Coupa is done.');
    // The run's record and marks, and the bucket's line of runs and turn (conditional puts and deletes).
    table.grant(role, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'], [ITEMS.run, ITEMS.line]);
    grantSend(role, props.apiQueue, props.csvQueue);
    grantPublish(role, props.alerts.topic, props.alerts.key);
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
