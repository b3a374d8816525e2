/**
 * The splitter (the planner): an HR file lands under incoming/ (or plan/), this Lambda plans it
 * against Coupa and queues only the changes on the channel's queue (or holds the run); an object
 * under approvals/ approves a held run. S3 invokes it asynchronously: an event that still fails
 * after Lambda's retries goes to a failed-events queue (an alarm watches it), so a file is never
 * dropped silently.
 */
import { Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import type { FailureTopic } from './alerts';
import { PREFIX } from './drop-bucket';
import { grantKeyDecrypt, grantList, grantObjectDelete, grantObjectRead, grantObjectWrite, grantPublish, grantSecretRead, grantSend } from './grants';
import { acknowledgePrefixGrant } from './nag';
import { SyncFunction } from './sync-function';

export interface SplitterProps {
  config: SyncConfig;
  bucket: s3.Bucket;
  coupaSecret: secretsmanager.ISecret;
  apiQueue: sqs.IQueue;
  csvQueue: sqs.IQueue;
  alerts: FailureTopic;
}

/** Lambda's retries of a failed S3 event (its default), and how long an event may wait for them. */
export const SPLITTER_RETRY_ATTEMPTS = 2;
export const SPLITTER_MAX_EVENT_AGE = Duration.hours(6);

export class Splitter extends Construct {
  readonly function: SyncFunction;
  /**
   * S3 events the splitter failed on after every retry (Lambda's invocation record: the S3 event,
   * so bucket and key, and the error). The file was not split: fix the cause and upload it again.
   */
  readonly failedEvents: sqs.Queue;

  constructor(scope: Construct, id: string, props: SplitterProps) {
    super(scope, id);
    const { bucket } = props;
    this.function = new SyncFunction(this, 'Splitter', {
      handler: 'splitter',
      config: props.config,
      description: 'Plans an HR file against Coupa (incoming/, plan/) and queues only the changes; applies approvals/',
      // The roster and Coupa's users are held compactly in memory while planning (500k users ≈ 1 GB).
      timeout: Duration.minutes(15),
      memorySize: 3008,
      // Row outcomes are spooled to /tmp while planning, and each report format is written there before
      // its upload: a 1M-row file whose rows are all rejected needs ~0.4 GB (its spool, then report.json's
      // 209 MB); Lambda's default is 512 MiB.
      ephemeralStorageSize: Size.gibibytes(2),
      environment: {
        COUPA_SECRET_ARN: props.coupaSecret.secretArn,
        API_QUEUE_URL: props.apiQueue.queueUrl,
        CSV_QUEUE_URL: props.csvQueue.queueUrl,
        TOPIC_ARN: props.alerts.topic.topicArn,
        BUCKET_NAME: bucket.bucketName,
      },
    });
    const role = this.function.role;
    // Exactly the version the event names: a file overwritten meanwhile must not be read instead.
    for (const prefix of [PREFIX.incoming, PREFIX.plan]) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [bucket.arnForObjects(`${prefix}*`)] }));
      acknowledgePrefixGrant(role, bucket, prefix, `Reads the HR files dropped under ${prefix} only.`);
    }
    grantKeyDecrypt(role, bucket);
    grantObjectRead(role, bucket, PREFIX.runs); // claims, split summaries, plans of held runs
    grantObjectWrite(role, bucket, PREFIX.runs);
    grantObjectRead(role, bucket, PREFIX.state);
    grantObjectWrite(role, bucket, PREFIX.state);
    // A run's read of Coupa that does not fit one invocation: it asks itself to continue (continue/,
    // read at the event's version) and removes its checkpoint once done.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], resources: [bucket.arnForObjects(`${PREFIX.continuations}*`)] }),
    );
    grantObjectDelete(role, bucket, PREFIX.readCheckpoints);
    // The planner reads keys that may not exist yet (the first run has no snapshot or accepted roster;
    // approvals/<runId> may name an unknown run): S3 says 404 NoSuchKey only to a caller that may list
    // the prefix, and 403 AccessDenied to any other, which would fail every run of a fresh stack.
    grantList(role, bucket, PREFIX.runs);
    grantList(role, bucket, PREFIX.state);
    // The line of runs: an entry leaves it, the turn is passed on (core/sync/run-queue.ts).
    grantObjectDelete(role, bucket, PREFIX.waitingRuns);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [bucket.arnForObjects(PREFIX.runTurn)] }));
    acknowledgePrefixGrant(role, bucket, PREFIX.waitingRuns, 'Deletes only the entries of the line of runs under runs/waiting/.');
    grantSend(role, props.apiQueue, props.csvQueue);
    grantPublish(role, props.alerts.topic, props.alerts.key);
    grantSecretRead(role, props.coupaSecret);
    acknowledgePrefixGrant(role, bucket, PREFIX.runs, 'Reads and writes run claims, plans, summaries and outcomes under runs/ only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.state, 'Reads and writes the kept snapshot of Coupa users and the accepted roster under state/ only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.continuations, 'Writes and reads continue/<runId> for any run whose read of Coupa it carries on.');
    acknowledgePrefixGrant(role, bucket, PREFIX.readCheckpoints, 'Deletes the read checkpoint of any run once its read of Coupa is done.');

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

    // continue/<runId>: a continued read; runs/start/<key>: the turn of a run that waited for an earlier one.
    for (const prefix of [PREFIX.incoming, PREFIX.plan, PREFIX.approvals, PREFIX.continuations, PREFIX.startRuns]) {
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
