/**
 * The two channels' queues. api: FIFO, grouped by login so one user's changes apply in order,
 * deduplicated by ids the splitter sets (a re-delivered S3 event must not double-apply a row).
 * csv: standard, because the batcher gathers large batches into one file (a FIFO event source gives
 * at most 10 messages and no batching window); it keeps no order between batches (README "Limits").
 */
import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { API_REDRIVE_BACKSTOP } from '../../lambdas/adapters/aws/api-consumer-limits';
// Defined beside the batcher's bounded wait for managers, which stays 2 receives below the csv queue's (manager-order.ts).
import { MIN_CSV_RECEIVE_COUNT } from '../../lambdas/core/csv/manager-order';

export { MIN_CSV_RECEIVE_COUNT };

export interface QueuesProps {
  /** api.maxReceiveCount: genuine failed attempts (the api-consumer counts them), and the csv queue's deliveries. */
  maxReceiveCount: number;
  /** The consumers' timeouts: AWS asks for a visibility timeout of at least 6× the function timeout. */
  apiConsumerTimeout: Duration;
  csvBatcherTimeout: Duration;
  csvBatchingWindow: Duration;
}

const RETENTION = Duration.days(14);


export class SyncQueues extends Construct {
  readonly api: sqs.Queue;
  readonly apiDlq: sqs.Queue;
  readonly csv: sqs.Queue;
  readonly csvDlq: sqs.Queue;

  constructor(scope: Construct, id: string, props: QueuesProps) {
    super(scope, id);
    const common = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
    };

    // Nothing consumes the DLQs: the dlq-notifier sets its own visibility when it looks (PEEK_VISIBILITY_SECONDS).
    const dlqVisibility = Duration.minutes(15);
    this.apiDlq = new sqs.Queue(this, 'ApiDlq', {
      ...common,
      fifo: true,
      contentBasedDeduplication: false,
      visibilityTimeout: dlqVisibility,
    });
    this.api = new sqs.Queue(this, 'Api', {
      ...common,
      fifo: true,
      contentBasedDeduplication: false,
      // High-throughput FIFO: order is only needed within one login, not across the queue.
      deduplicationScope: sqs.DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      visibilityTimeout: Duration.seconds(props.apiConsumerTimeout.toSeconds() * 6),
      // A backstop only: the api-consumer dead-letters a change itself after api.maxReceiveCount genuine
      // failed attempts; SQS would also count out-of-time hand-backs (see API_REDRIVE_BACKSTOP).
      deadLetterQueue: { queue: this.apiDlq, maxReceiveCount: API_REDRIVE_BACKSTOP },
    });
    if (props.maxReceiveCount >= API_REDRIVE_BACKSTOP) {
      Annotations.of(this).addError(
        `api.maxReceiveCount ${props.maxReceiveCount} must stay below the api queue's redrive backstop of ${API_REDRIVE_BACKSTOP} receives`,
      );
    }

    this.csvDlq = new sqs.Queue(this, 'CsvDlq', {
      ...common,
      visibilityTimeout: dlqVisibility,
    });
    this.csv = new sqs.Queue(this, 'Csv', {
      ...common,
      visibilityTimeout: Duration.seconds(
        props.csvBatcherTimeout.toSeconds() * 6 + props.csvBatchingWindow.toSeconds(),
      ),
      deadLetterQueue: { queue: this.csvDlq, maxReceiveCount: Math.max(props.maxReceiveCount, MIN_CSV_RECEIVE_COUNT) },
    });

    for (const dlq of [this.apiDlq, this.csvDlq]) {
      Validations.of(dlq).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue; the dlq-notifier records what lands in it (leaving it there to be redriven) and an alarm counts it.',
      });
    }
  }
}
