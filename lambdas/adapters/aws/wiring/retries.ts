/**
 * What the api-consumer's retry budget is wired from besides the failed-attempt counts (the run
 * table, wiring/dynamo.ts): the api queue's DLQ (SQS). Its own module, so only the api-consumer's
 * bundle carries it.
 */
import type { DeadLetterQueue } from '../../../core/ports';
import { SqsDeadLetterQueue } from '../sqs-dead-letters';
import { requireEnv, retryableOnce } from './runtime';
import { sqsClient } from './sqs';

const apiDlq = retryableOnce(async () => new SqsDeadLetterQueue(await sqsClient(), requireEnv('API_DLQ_URL')));
/** The api queue's DLQ, where the api-consumer puts a change that failed api.maxReceiveCount attempts; built on first use. */
export function deadLetters(): DeadLetterQueue {
  return { send: async (message, reason) => (await apiDlq()).send(message, reason) };
}
