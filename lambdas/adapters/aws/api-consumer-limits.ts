/**
 * What the api-consumer handler and its CDK construct must agree on: how long one Coupa request
 * may take at worst (so the handler stops starting logins in time and the Lambda timeout leaves
 * room for several), and the log line that says Coupa refused the credentials (an alarm counts it).
 * No AWS SDK here: the CDK app imports this file.
 */
import type { CoupaConfig } from '../../core/config';

/** Token fetch, a wait in the rate governor, and recording the batch's outcomes (S3 + SNS). */
export const REQUEST_MARGIN_MS = 15_000;

/**
 * One request at its worst: retries may run until coupa.maxRetryMs, and the last attempt may then
 * wait coupa.requestTimeoutMs for an answer; plus REQUEST_MARGIN_MS.
 */
export function worstCaseRequestMs(coupa: Pick<CoupaConfig, 'requestTimeoutMs' | 'maxRetryMs'>): number {
  return coupa.requestTimeoutMs + coupa.maxRetryMs + REQUEST_MARGIN_MS;
}

/** Logged (level ERROR) when the Coupa credentials are refused or the secret is not filled in. */
export const CREDENTIALS_REFUSED_LOG = 'Coupa credentials refused or not set';

/**
 * The api queue's redrive policy (maxReceiveCount): only a backstop. Genuine failed attempts are
 * counted by the consumer, which dead-letters a change itself at api.maxReceiveCount
 * (core/apply/retry-budget.ts); SQS counts every receive, out-of-time hand-backs included.
 * 100 receives outlast a long Coupa slowdown: a handed-back message stays away at least its
 * backoff (1, 2, 4, 8, 16, then 30 min: sqs-visibility.ts), so 100 receives take at least
 * 31 + 95 × 30 min ≈ 48 h — two days of every batch running out of time kill no healthy row. And
 * they end well within SQS's 14-day retention, which would delete a message unseen: a receive
 * that sets no backoff (a crash, refused credentials) waits the queue's visibility timeout, at most
 * 6 × 15 min, plus the run's 15 min, so 100 receives take at most 100 × 105 min ≈ 7.3 days.
 */
export const API_REDRIVE_BACKSTOP = 100;
