/**
 * The api channel's consumer: takes batches from the FIFO queue and applies them through the
 * Coupa Users API. At most api.maxConcurrency run at once, each at its share of
 * coupa.instanceRatePerSecond (perProcessCoupaConfig), so together they stay within Coupa's budget.
 */
import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CREDENTIALS_REFUSED_LOG, worstCaseRequestMs } from '../../lambdas/adapters/aws/api-consumer-limits';
import type { CoupaConfig, SyncConfig } from '../../lambdas/core/config';
import type { FailureTopic } from './alerts';
import { KEY_PATTERN } from './drop-bucket';
import { grantObjectWriteTo, grantPublish, grantSecretRead, grantSend, grantStartExecution } from './grants';
import { acknowledgeObjectGrant } from './nag';
import { ITEMS, type RunTable } from './run-table';
import { SyncFunction } from './sync-function';

/** Lambda's maximum timeout. */
const LAMBDA_MAX_SECONDS = 900;
/** Worst-case requests (coupa.requestTimeoutMs + maxRetryMs + a margin) the timeout must hold. */
export const WORST_CASE_REQUESTS = 3;

/**
 * At least 5 minutes, and room for WORST_CASE_REQUESTS worst-case requests: the handler starts no
 * new login once less than one worst case is left, so a slow Coupa still leaves time for several.
 * Capped at Lambda's 15 minutes (the queue's visibility timeout, 6×, stays far below SQS's 12 h).
 */
export function apiConsumerTimeout(coupa: Pick<CoupaConfig, 'requestTimeoutMs' | 'maxRetryMs'>): Duration {
  const needed = Math.ceil((WORST_CASE_REQUESTS * worstCaseRequestMs(coupa)) / 1000);
  return Duration.seconds(Math.min(LAMBDA_MAX_SECONDS, Math.max(300, needed)));
}

/** Namespace of the metrics this stack derives from its logs. */
export const METRIC_NAMESPACE = 'CoupaUserSync';

export interface ApiConsumerProps {
  config: SyncConfig;
  bucket: s3.IBucket;
  queue: sqs.IQueue;
  /** Where the consumer copies a change that failed api.maxReceiveCount genuine attempts. */
  deadLetterQueue: sqs.IQueue;
  coupaSecret: secretsmanager.ISecret;
  alerts: FailureTopic;
  table: RunTable;
  /** The run state machine: a change settled after its run was reported starts a report-again execution. */
  stateMachine: sfn.IStateMachine;
}

export class ApiConsumer extends Construct {
  readonly function: SyncFunction;
  /** Batches whose messages were handed back because Coupa refused the credentials or the secret is empty. */
  readonly credentialsRefused: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: ApiConsumerProps) {
    super(scope, id);
    const { config } = props;
    const timeout = apiConsumerTimeout(config.coupa);
    const worstCaseSeconds = worstCaseRequestMs(config.coupa) / 1000;
    if (worstCaseSeconds >= timeout.toSeconds()) {
      Annotations.of(this).addError(
        `coupa.requestTimeoutMs + coupa.maxRetryMs allow one request ${worstCaseSeconds} s, more than the ` +
          "api-consumer's 15 minutes: it could never start a login. Lower them.",
      );
    } else if (timeout.toSeconds() < WORST_CASE_REQUESTS * worstCaseSeconds) {
      Annotations.of(this).addWarningV2(
        'coupa-user-sync:slow-coupa-requests',
        `coupa.requestTimeoutMs + coupa.maxRetryMs allow one request ${worstCaseSeconds} s: the api-consumer's ` +
          `15 minutes hold fewer than ${WORST_CASE_REQUESTS} of them, so batches may often stop early. Lower them.`,
      );
    }
    this.function = new SyncFunction(this, 'ApiConsumer', {
      handler: 'api-consumer',
      config,
      description: 'Applies queued HR rows to Coupa through the Users API',
      timeout,
      environment: {
        COUPA_SECRET_ARN: props.coupaSecret.secretArn,
        TOPIC_ARN: props.alerts.topic.topicArn,
        BUCKET_NAME: props.bucket.bucketName,
        API_DLQ_URL: props.deadLetterQueue.queueUrl,
        RUN_TABLE: props.table.table.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
      },
    });
    const role = this.function.role;
    grantSecretRead(role, props.coupaSecret);
    grantPublish(role, props.alerts.topic, props.alerts.key);
    // Row outcomes, in batches (runs/<runId>/outcomes/): nothing else in the bucket.
    grantObjectWriteTo(role, props.bucket, [KEY_PATTERN.outcomes]);
    grantSend(role, props.deadLetterQueue);
    acknowledgeObjectGrant(role, props.bucket, KEY_PATTERN.outcomes, "Writes row outcomes only, under each run's outcomes/ (any run id).");
    // Run records only: the settled count and mark (a transaction of Put and Update), failed-attempt
    // counts (ADD, deleted once the change is applied) and the shared circuit breaker (ADD), the
    // record's status (a redriven change of a reported run).
    props.table.grant(role, ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'], [ITEMS.run]);
    grantStartExecution(role, props.stateMachine);

    this.function.fn.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: config.api.batchSize,
        reportBatchItemFailures: true,
        // Bounds parallel consumers (the rate split assumes exactly this many), without reserved concurrency.
        maxConcurrency: config.api.maxConcurrency,
      }),
    );

    // The handler hands the messages back instead of failing (what was applied must not be
    // redelivered), so the Errors alarm does not see bad credentials: count the log line instead.
    const filter = new logs.MetricFilter(this, 'CredentialsRefused', {
      logGroup: this.function.logGroup,
      filterPattern: logs.FilterPattern.allTerms(CREDENTIALS_REFUSED_LOG),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'CoupaCredentialsRefused',
      metricValue: '1',
    });
    this.credentialsRefused = filter.metric({ statistic: 'Sum', period: Duration.minutes(5) });
  }
}
