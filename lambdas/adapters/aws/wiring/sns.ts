/** The failure topic. Loads @aws-sdk/client-sns on first use only. */
import { snsSdk } from '../sdk';
import { SnsNotifier } from '../sns-notifier';
import { requireEnv, retryableOnce } from './runtime';

export const snsClient = retryableOnce(async () => new (await snsSdk()).SNSClient({}));
export const notifier = retryableOnce(async () => new SnsNotifier(await snsClient(), requireEnv('TOPIC_ARN')));
