/**
 * The splitter: an HR file lands under incoming/, this Lambda streams it, validates each row and
 * queues one message per valid row on the channel's queue.
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
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

export class Splitter extends Construct {
  readonly function: SyncFunction;

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
