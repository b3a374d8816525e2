/**
 * The splitter: an HR file lands under incoming/, this Lambda streams it, validates each row and
 * queues one message per valid row on the channel's queue. S3 invokes it asynchronously: an event
 * that still fails after Lambda's retries goes to a failed-events queue (an alarm watches it), so a
 * file is never dropped silently.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import type { FailureTopic } from './alerts';
import { PREFIX } from './drop-bucket';
import { grantObjectRead, grantObjectWrite, grantPublish, grantSend } from './grants';
import { acknowledgePrefixGrant } from './nag';
import { SyncFunction } from './sync-function';

export interface SplitterProps {
  config: SyncConfig;
  bucket: s3.Bucket;
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
      description: 'Splits an HR file from incoming/ into one queue message per valid row',
      // Large HR files are streamed, not loaded: time, not memory, is the limit.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: {
        API_QUEUE_URL: props.apiQueue.queueUrl,
        CSV_QUEUE_URL: props.csvQueue.queueUrl,
        TOPIC_ARN: props.alerts.topic.topicArn,
        BUCKET_NAME: bucket.bucketName,
      },
    });
    const role = this.function.role;
    grantObjectRead(role, bucket, PREFIX.incoming);
    grantObjectWrite(role, bucket, PREFIX.runs);
    grantSend(role, props.apiQueue, props.csvQueue);
    grantPublish(role, props.alerts.topic, props.alerts.key);
    acknowledgePrefixGrant(role, bucket, PREFIX.incoming, 'Reads the HR files dropped under incoming/ only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.runs, 'Writes run summaries and outcomes under runs/ only.');

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

    bucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.LambdaDestination(this.function.fn),
      { prefix: PREFIX.incoming },
    );
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
