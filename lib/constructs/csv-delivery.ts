/**
 * The csv channel: a batcher turns queued rows into Coupa user-import files in outbox/ and hands
 * them to a Transfer Family SFTP connector (Coupa sFTP /Incoming/Users). Transfer events raise an
 * alert on failure, and a scheduled poller reads Coupa's loader results back into the run reports.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as transfer from 'aws-cdk-lib/aws-transfer';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import type { FailureTopic } from './alerts';
import { KEY_PATTERN, PREFIX } from './drop-bucket';
import {
  grantKeyDecrypt,
  grantList,
  grantObjectDelete,
  grantObjectRead,
  grantObjectWrite,
  grantObjectWriteTo,
  grantPublish,
  grantSecretRead,
  grantStartExecution,
} from './grants';
import { acknowledgeObjectGrant, acknowledgePrefixGrant } from './nag';
import { ITEMS, type RunTable } from './run-table';
import { TopicOfThisRule } from './rule-to-topic';
import { SyncFunction } from './sync-function';

export const CSV_BATCHER_TIMEOUT = Duration.minutes(5);
/**
 * The lowest maximum concurrency an SQS event source accepts, and the batcher's reserved
 * concurrency: as many batchers may run as batches are polled, so no batch is polled only to be
 * throttled (with 1 reserved, the second poller's batch waited in Lambda's throttle retries and came
 * back out of order). Two batches may thus be built at once; the csv queue is standard and keeps
 * no order between batches anyway (README "Limits" says what order holds).
 */
export const CSV_BATCHER_POLLERS = 2;

/** EventBridge detail-types of the Transfer Family SFTP connector (source aws.transfer). */
export const SEND_COMPLETED = 'SFTP Connector File Send Completed';
export const SEND_FAILED = 'SFTP Connector File Send Failed';

export interface CsvDeliveryProps {
  config: SyncConfig;
  bucket: s3.IBucket;
  queue: sqs.IQueue;
  coupaSecret: secretsmanager.ISecret;
  sftpSecret: secretsmanager.ISecret;
  alerts: FailureTopic;
  table: RunTable;
  stateMachine: sfn.IStateMachine;
}

export class CsvDelivery extends Construct {
  readonly connector: transfer.CfnConnector;
  readonly batcher: SyncFunction;
  readonly poller: SyncFunction;
  readonly sendCompleted: events.Rule;
  readonly sendFailed: events.Rule;

  constructor(scope: Construct, id: string, props: CsvDeliveryProps) {
    super(scope, id);
    const { config, alerts } = props;

    this.connector = new transfer.CfnConnector(this, 'Connector', {
      url: config.csv.sftp.url ?? '',
      accessRole: this.connectorRole(props).roleArn,
      sftpConfig: {
        // Never empty: the stack refuses a CSV channel without a pinned host key (checkCsvChannel).
        trustedHostKeys: config.csv.sftp.trustedHostKeys,
        userSecretId: props.sftpSecret.secretArn,
        // Coupa allows 5 sFTP connections per user; one is plenty for a few files a day.
        maxConcurrentConnections: 1,
      },
    });

    this.batcher = this.createBatcher(props);
    this.poller = this.createPoller(props);

    const connectorOnly = { 'connector-id': [this.connector.attrConnectorId] };
    this.sendFailed = new events.Rule(this, 'SendFailed', {
      description: 'Coupa user-import file could not be delivered over sFTP',
      eventPattern: { source: ['aws.transfer'], detailType: [SEND_FAILED], detail: connectorOnly },
    });
    this.sendFailed.addTarget(
      new TopicOfThisRule(
        alerts,
        events.RuleTargetInput.fromText(
          `Coupa user-import file ${events.EventField.fromPath('$.detail.file-path')} was NOT delivered to ` +
            `${events.EventField.fromPath('$.detail.remote-directory-path')}: ` +
            `${events.EventField.fromPath('$.detail.failure-code')} ${events.EventField.fromPath('$.detail.failure-message')}`,
        ),
      ),
    );
    // No target needed: EventBridge counts the rule's matches (AWS/Events TriggeredRules by RuleName),
    // which the dashboard shows next to the failures.
    this.sendCompleted = new events.Rule(this, 'SendCompleted', {
      description: 'Coupa user-import file delivered over sFTP',
      eventPattern: { source: ['aws.transfer'], detailType: [SEND_COMPLETED], detail: connectorOnly },
    });
  }

  /** What Transfer Family assumes to read outbox/ files and the sFTP credentials. */
  private connectorRole(props: CsvDeliveryProps): iam.Role {
    const { account, region, partition } = Stack.of(this);
    const role = new iam.Role(this, 'ConnectorRole', {
      // Confused-deputy guard: only Transfer Family acting for a connector of this account and region.
      // Not the connector's own ARN: the connector names this role, so that would be a circular reference.
      assumedBy: new iam.ServicePrincipal('transfer.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': `arn:${partition}:transfer:${region}:${account}:connector/*` },
        },
      }),
      description: 'Transfer Family SFTP connector for Coupa user-import files',
    });
    // Only the user-import files the batcher wrote (not the manifests beside them).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [props.bucket.arnForObjects(KEY_PATTERN.importFiles)],
      }),
    );
    grantKeyDecrypt(role, props.bucket);
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [props.bucket.bucketArn] }));
    grantList(role, props.bucket, PREFIX.outbox);
    grantSecretRead(role, props.sftpSecret);
    acknowledgePrefixGrant(role, props.bucket, PREFIX.outbox, 'The connector lists outbox/ only.');
    acknowledgeObjectGrant(role, props.bucket, KEY_PATTERN.importFiles, 'The connector reads only the user-import files the batcher wrote to outbox/.');
    return role;
  }

  private createBatcher(props: CsvDeliveryProps): SyncFunction {
    const { config, bucket, alerts } = props;
    const batcher = new SyncFunction(this, 'Batcher', {
      handler: 'csv-batcher',
      config,
      description: 'Builds Coupa user-import CSV files from queued rows and starts their sFTP transfer',
      timeout: CSV_BATCHER_TIMEOUT,
      memorySize: 1024,
      // Exactly the event source's pollers (CSV_BATCHER_POLLERS): none waits throttled.
      reservedConcurrentExecutions: CSV_BATCHER_POLLERS,
      environment: {
        CONNECTOR_ID: this.connector.attrConnectorId,
        TOPIC_ARN: alerts.topic.topicArn,
        BUCKET_NAME: bucket.bucketName,
        RUN_TABLE: props.table.table.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
      },
    });
    const role = batcher.role;
    // The files, their pending manifests and row outcomes: nothing else in outbox/ or runs/.
    grantObjectWriteTo(role, bucket, [KEY_PATTERN.importFiles, `${PREFIX.pendingManifests}*`, KEY_PATTERN.outcomes]);
    // Run records only: the managers each batch sent (csv#<login> marks, written and read back in
    // batches, for the batches after it: core/csv/manager-order.ts), the submitted count and marks
    // (a transaction of Put and Update), the record's status.
    props.table.grant(role, ['GetItem', 'PutItem', 'UpdateItem', 'BatchGetItem', 'BatchWriteItem'], [ITEMS.run]);
    grantPublish(role, alerts.topic, alerts.key);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['transfer:StartFileTransfer'], resources: [this.connector.attrArn] }),
    );
    acknowledgeObjectGrant(role, bucket, KEY_PATTERN.importFiles, 'Writes only the user-import files (names carry time and batch).');
    acknowledgePrefixGrant(role, bucket, PREFIX.pendingManifests, 'Writes the manifest of each file it sends, pending its verdict.');
    acknowledgeObjectGrant(role, bucket, KEY_PATTERN.outcomes, "Writes row outcomes only, under each run's outcomes/ (any run id).");

    const batchSize = config.csv.batchSize;
    // SQS allows more than 10 messages per batch only with a batching window of at least 1 s.
    const windowSeconds = Math.max(config.csv.batchingWindowSeconds, batchSize > 10 ? 1 : 0);
    batcher.fn.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize,
        maxBatchingWindow: windowSeconds > 0 ? Duration.seconds(windowSeconds) : undefined,
        reportBatchItemFailures: true,
        // SQS sources allow no fewer than 2; the reserved concurrency matches it.
        maxConcurrency: CSV_BATCHER_POLLERS,
      }),
    );
    return batcher;
  }

  private createPoller(props: CsvDeliveryProps): SyncFunction {
    const { config, bucket, alerts } = props;
    const poller = new SyncFunction(this, 'ResultsPoller', {
      handler: 'csv-results-poller',
      config,
      description: "Reads Coupa's loader results for delivered user-import files into the run reports",
      timeout: Duration.minutes(2),
      environment: {
        COUPA_SECRET_ARN: props.coupaSecret.secretArn,
        TOPIC_ARN: alerts.topic.topicArn,
        BUCKET_NAME: bucket.bucketName,
        CONNECTOR_ID: this.connector.attrConnectorId,
        RUN_TABLE: props.table.table.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
      },
    });
    const role = poller.role;
    // A transfer's fate, and a resend of the same outbox file when it failed.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['transfer:ListFileTransferResults', 'transfer:StartFileTransfer'], resources: [this.connector.attrArn] }),
    );
    // Lists and reads the pending manifests, saves them back (retries) or as done, deletes the pending one.
    grantList(role, bucket, PREFIX.pendingManifests);
    grantObjectRead(role, bucket, PREFIX.pendingManifests);
    grantObjectWrite(role, bucket, PREFIX.manifests);
    grantObjectDelete(role, bucket, PREFIX.pendingManifests);
    grantObjectWriteTo(role, bucket, [KEY_PATTERN.outcomes]);
    grantSecretRead(role, props.coupaSecret);
    grantPublish(role, alerts.topic, alerts.key);
    // Run records only: the loader's verdicts settle their logins (a transaction of Put and Update); a
    // verdict that comes after its run was reported starts a report-again execution.
    props.table.grant(role, ['GetItem', 'PutItem', 'UpdateItem'], [ITEMS.run]);
    grantStartExecution(role, props.stateMachine);
    acknowledgePrefixGrant(role, bucket, PREFIX.pendingManifests, 'Reads, lists and settles the pending manifests only.');
    acknowledgePrefixGrant(role, bucket, PREFIX.manifests, 'Writes manifests (pending on a retry, done once settled) under outbox/manifests/ only.');
    acknowledgeObjectGrant(role, bucket, KEY_PATTERN.outcomes, "Writes row outcomes only, under each run's outcomes/ (any run id).");

    // Coupa picks files up every 3-6 minutes; polling every 5 catches each load soon after.
    new events.Rule(this, 'PollSchedule', {
      description: 'Polls Coupa for the results of delivered user-import files',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(poller.fn, { retryAttempts: 0 })],
    });
    return poller;
  }
}
