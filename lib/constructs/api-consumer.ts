/**
 * The api channel's consumer: takes batches from the FIFO queue and applies them through the
 * Coupa Users API. At most api.maxConcurrency run at once, each at its share of
 * coupa.instanceRatePerSecond (perProcessCoupaConfig), so together they stay within Coupa's budget.
 */
import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import type { FailureTopic } from './alerts';
import { PREFIX } from './drop-bucket';
import { grantObjectWrite, grantPublish, grantSecretRead } from './grants';
import { acknowledgePrefixGrant } from './nag';
import { SyncFunction } from './sync-function';

/** Ten rows with Coupa's retries (maxRetryMs 60 s) fit comfortably. */
export const API_CONSUMER_TIMEOUT = Duration.seconds(120);

export interface ApiConsumerProps {
  config: SyncConfig;
  bucket: s3.IBucket;
  queue: sqs.IQueue;
  coupaSecret: secretsmanager.ISecret;
  alerts: FailureTopic;
}

export class ApiConsumer extends Construct {
  readonly function: SyncFunction;

  constructor(scope: Construct, id: string, props: ApiConsumerProps) {
    super(scope, id);
    const { config } = props;
    this.function = new SyncFunction(this, 'ApiConsumer', {
      handler: 'api-consumer',
      config,
      description: 'Applies queued HR rows to Coupa through the Users API',
      timeout: API_CONSUMER_TIMEOUT,
      environment: {
        COUPA_SECRET_ARN: props.coupaSecret.secretArn,
        TOPIC_ARN: props.alerts.topic.topicArn,
        BUCKET_NAME: props.bucket.bucketName,
      },
    });
    const role = this.function.role;
    grantSecretRead(role, props.coupaSecret);
    grantPublish(role, props.alerts.topic, props.alerts.key);
    grantObjectWrite(role, props.bucket, PREFIX.runs);
    acknowledgePrefixGrant(role, props.bucket, PREFIX.runs, 'Writes row outcomes under runs/ only.');

    this.function.fn.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: config.api.batchSize,
        reportBatchItemFailures: true,
        // Bounds parallel consumers (the rate split assumes exactly this many), without reserved concurrency.
        maxConcurrency: config.api.maxConcurrency,
      }),
    );
  }
}
