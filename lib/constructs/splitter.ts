/**
 * The splitter: an HR file lands under incoming/ (or plan/) and this small Lambda starts the run's
 * state machine execution, named by the run id (a duplicate S3 event meets ExecutionAlreadyExists
 * and is ignored). Planning, queueing and reporting are the state machine's (run-machine.ts).
 * S3 invokes it asynchronously: an event that still fails after Lambda's retries (StartExecution
 * throttled or refused) goes to a failed-events queue that an alarm watches, so a file is never
 * dropped silently.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import { PREFIX } from './drop-bucket';
import { grantStartExecution } from './grants';
import { SyncFunction } from './sync-function';

export interface SplitterProps {
  config: SyncConfig;
  bucket: s3.Bucket;
  stateMachine: sfn.IStateMachine;
}

/** Lambda's retries of a failed S3 event (its default), and how long an event may wait for them. */
export const SPLITTER_RETRY_ATTEMPTS = 2;
export const SPLITTER_MAX_EVENT_AGE = Duration.hours(6);

/** The only prefixes whose new objects start anything: HR files to apply, and files to plan only. */
export const STARTING_PREFIXES = [PREFIX.incoming, PREFIX.plan] as const;

export class Splitter extends Construct {
  readonly function: SyncFunction;
  /**
   * S3 events the splitter failed on after every retry (Lambda's invocation record: the S3 event,
   * so bucket and key, and the error). No run was started: fix the cause and upload the file again.
   */
  readonly failedEvents: sqs.Queue;

  constructor(scope: Construct, id: string, props: SplitterProps) {
    super(scope, id);
    const { bucket } = props;
    this.function = new SyncFunction(this, 'Splitter', {
      handler: 'splitter',
      config: props.config,
      description: 'Starts the run state machine for an HR file dropped under incoming/ or plan/',
      timeout: Duration.minutes(1),
      memorySize: 512,
      environment: { STATE_MACHINE_ARN: props.stateMachine.stateMachineArn },
    });
    // Exactly StartExecution on this state machine: the file is read by the run, not here.
    grantStartExecution(this.function.role, props.stateMachine);

    this.failedEvents = new sqs.Queue(this, 'FailedEvents', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedEvents).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself the splitter's on-failure destination; an alarm on its depth notifies the failure topic.",
    });
    // Adds sqs:SendMessage on this queue to the splitter's role.
    this.function.fn.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(this.failedEvents),
      retryAttempts: SPLITTER_RETRY_ATTEMPTS,
      maxEventAge: SPLITTER_MAX_EVENT_AGE,
    });

    // Nothing else written to the bucket (runs/, state/, outbox/ …) starts, approves or steers a run.
    for (const prefix of STARTING_PREFIXES) {
      bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.LambdaDestination(this.function.fn), { prefix });
    }
    acknowledgeNotificationsHandler(Stack.of(this));
  }
}

/** CDK's own singleton that writes the bucket notification configuration (a custom resource). */
function acknowledgeNotificationsHandler(stack: Stack): void {
  const handler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (!handler) return;
  Validations.of(handler).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'CDK-provided handler that sets the bucket notification; its role is not configurable.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CDK-provided handler: s3:PutBucketNotification needs "*" as the bucket is created in the same stack.',
    },
  );
}
