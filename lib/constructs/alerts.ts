/**
 * The failure topic (and who hears it), plus the dlq-notifier that records every dead message as a
 * `failed` outcome once, so nothing drops out of a run report silently, and leaves it in its DLQ.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import { KEY_PATTERN } from './drop-bucket';
import { grantObjectWriteTo, grantPublish, grantStartExecution } from './grants';
import { acknowledgeObjectGrant } from './nag';
import { ITEMS, type RunTable } from './run-table';
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

export const DLQ_NOTIFIER_TIMEOUT = Duration.seconds(120);
/** How often the dlq-notifier looks at the DLQs: a new dead message is recorded and alarmed within this. */
export const DLQ_LOOK_EVERY = Duration.minutes(5);

export interface DlqNotifierProps {
  config: SyncConfig;
  bucket: s3.IBucket;
  dlqs: sqs.IQueue[];
  alerts: FailureTopic;
  table: RunTable;
  stateMachine: sfn.IStateMachine;
}

/**
 * Looks at the DLQs on a schedule and never consumes them (no event source mapping, which would
 * delete each message it handled): a dead message stays redrivable until SQS's retention ends.
 */
export class DlqNotifier extends Construct {
  readonly function: SyncFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: DlqNotifierProps) {
    super(scope, id);
    this.function = new SyncFunction(this, 'DlqNotifier', {
      handler: 'dlq-notifier',
      config: props.config,
      description: 'Records every message in a dead-letter queue once, leaving it there to be redriven',
      timeout: DLQ_NOTIFIER_TIMEOUT,
      environment: {
        TOPIC_ARN: props.alerts.topic.topicArn,
        BUCKET_NAME: props.bucket.bucketName,
        DLQ_URLS: Stack.of(this).toJsonString(props.dlqs.map((q) => q.queueUrl)),
        RUN_TABLE: props.table.table.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
      },
    });
    const role = this.function.role;
    grantPublish(role, props.alerts.topic, props.alerts.key);
    // Row outcomes only, in the bucket.
    grantObjectWriteTo(role, props.bucket, [KEY_PATTERN.outcomes]);
    // Its dead-letter marks (dlq#<queue>: a conditional put records each dead message once) and the
    // run records the dead changes settle (a transaction of Put and Update); a run reported already
    // is reported again by a report-again execution.
    props.table.grant(role, ['GetItem', 'PutItem'], [ITEMS.deadLetter]);
    props.table.grant(role, ['GetItem', 'PutItem', 'UpdateItem'], [ITEMS.run]);
    grantStartExecution(role, props.stateMachine);
    // Receive only: it never deletes a dead message nor changes its visibility.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:ReceiveMessage'], resources: props.dlqs.map((q) => q.queueArn) }));
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Looks at the dead-letter queues',
      schedule: events.Schedule.rate(DLQ_LOOK_EVERY),
      targets: [new targets.LambdaFunction(this.function.fn, { retryAttempts: 0 })],
    });
    acknowledgeObjectGrant(role, props.bucket, KEY_PATTERN.outcomes, "Writes row outcomes only, under each run's outcomes/ (any run id).");
  }
}
