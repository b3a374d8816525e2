/**
 * The failure topic (and who hears it), plus the dlq-notifier that turns every dead message into
 * a `failed` outcome (one notification per run and batch), so nothing drops out of a run report silently.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import { PREFIX } from './drop-bucket';
import { grantObjectWrite, grantPublish } from './grants';
import { acknowledgePrefixGrant } from './nag';
import { SyncFunction } from './sync-function';

export class FailureTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: { email?: string }) {
    super(scope, id);
    // A customer-managed key, not alias/aws/sns: CloudWatch alarms (and EventBridge, whose grant the
    // SnsTopic rule target adds) can only publish to an encrypted topic when the key policy lets them.
    this.key = new kms.Key(this, 'Key', {
      description: 'coupa-user-sync failure topic',
      enableKeyRotation: true,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'], // in a key policy, "*" means this key
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Coupa user sync',
      masterKey: this.key,
      enforceSSL: true,
    });
    // The topic has its own policy (TLS only), which replaces SNS's default: let this account's alarms in.
    const { account, region, partition } = Stack.of(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsOfThisAccountPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
        },
      }),
    );
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
  }
}

export const DLQ_NOTIFIER_TIMEOUT = Duration.seconds(60);
/**
 * A standard DLQ is drained in large batches gathered over this window, so a day of dead rows
 * (a broken sFTP connector) becomes a few digests, not thousands. FIFO sources allow neither a
 * window nor more than 10 messages per batch.
 */
export const STANDARD_DLQ_BATCHING_WINDOW = Duration.seconds(60);
export const STANDARD_DLQ_BATCH_SIZE = 1000;
const FIFO_BATCH_LIMIT = 10;

export interface DlqNotifierProps {
  config: SyncConfig;
  bucket: s3.IBucket;
  dlqs: sqs.IQueue[];
  alerts: FailureTopic;
}

export class DlqNotifier extends Construct {
  readonly function: SyncFunction;

  constructor(scope: Construct, id: string, props: DlqNotifierProps) {
    super(scope, id);
    this.function = new SyncFunction(this, 'DlqNotifier', {
      handler: 'dlq-notifier',
      config: props.config,
      description: 'Notifies and records every message that landed in a dead-letter queue',
      timeout: DLQ_NOTIFIER_TIMEOUT,
      environment: { TOPIC_ARN: props.alerts.topic.topicArn, BUCKET_NAME: props.bucket.bucketName },
    });
    const role = this.function.role;
    grantPublish(role, props.alerts.topic, props.alerts.key);
    grantObjectWrite(role, props.bucket, PREFIX.runs);
    for (const dlq of props.dlqs) {
      this.function.fn.addEventSource(
        new SqsEventSource(dlq, {
          reportBatchItemFailures: true,
          ...(dlq.fifo
            ? { batchSize: FIFO_BATCH_LIMIT }
            : { batchSize: STANDARD_DLQ_BATCH_SIZE, maxBatchingWindow: STANDARD_DLQ_BATCHING_WINDOW }),
        }),
      );
    }
    acknowledgePrefixGrant(role, props.bucket, PREFIX.runs, 'Writes outcome files under runs/ only; key names are generated per record.');
  }
}
