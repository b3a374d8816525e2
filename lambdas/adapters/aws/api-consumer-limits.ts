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
