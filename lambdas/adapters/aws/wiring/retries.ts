/**
 * What the api-consumer's retry budget is wired from: the failed-attempt counts (S3), the api queue's
 * DLQ (SQS) and the run reporter's pending markers. Its own module, so only the api-consumer's bundle
 * carries it.
 */
import type { RunRef } from '../../../core/model';
import type { DeadLetterQueue } from '../../../core/ports';
import { pendingMarkerKey } from '../../../core/sync/run-layout';
import { S3AttemptLog } from '../s3-attempt-log';
import { SqsDeadLetterQueue } from '../sqs-dead-letters';
import { requireEnv, retryableOnce } from './runtime';
import { objectStore } from './s3';
import { sqsClient } from './sqs';

/** Failed attempts per run and login. */
export const attemptLog = retryableOnce(async () => new S3AttemptLog(await objectStore()));

const apiDlq = retryableOnce(async () => new SqsDeadLetterQueue(await sqsClient(), requireEnv('API_DLQ_URL')));
/** The api queue's DLQ, where the api-consumer puts a change that failed api.maxReceiveCount attempts; built on first use. */
export function deadLetters(): DeadLetterQueue {
  return { send: async (message, reason) => (await apiDlq()).send(message, reason) };
}

/** Puts a run back among the pending ones: the run reporter reports it again with its newest outcomes. */
export async function reportAgain(run: RunRef): Promise<void> {
  await (await objectStore()).put(pendingMarkerKey(run.runId), JSON.stringify(run), 'application/json');
}
