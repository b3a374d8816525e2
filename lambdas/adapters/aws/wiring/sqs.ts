/** The channel queues. Loads @aws-sdk/client-sqs on first use only. */
import type { RecordQueue } from '../../../core/ports';
import { sqsSdk } from '../sdk';
import { SqsRecordQueue } from '../sqs-record-queue';
import { requireEnv, retryableOnce } from './runtime';

export const sqsClient = retryableOnce(async () => new (await sqsSdk()).SQSClient({}));
const queues = {
  api: retryableOnce(async () => new SqsRecordQueue(await sqsClient(), requireEnv('API_QUEUE_URL'))),
  csv: retryableOnce(async () => new SqsRecordQueue(await sqsClient(), requireEnv('CSV_QUEUE_URL'))),
};
/** The queue of a channel, built (and its SDK loaded) when the first change is sent to it. */
export function recordQueue(channel: 'api' | 'csv'): RecordQueue {
  return { send: async (messages) => (await queues[channel]()).send(messages) };
}
