/** The failure topic. Loads @aws-sdk/client-sns when the first notification is published, not before. */
import type { Notifier } from '../../../core/ports';
import { snsSdk } from '../sdk';
import { SnsNotifier } from '../sns-notifier';
import { requireEnv, retryableOnce } from './runtime';

export const snsClient = retryableOnce(async () => new (await snsSdk()).SNSClient({}));
const snsNotifier = retryableOnce(async () => new SnsNotifier(await snsClient(), requireEnv('TOPIC_ARN')));

/** Most invocations publish nothing: they need not pay for loading the SNS client. */
export const notifier = retryableOnce(async (): Promise<Notifier> => {
  requireEnv('TOPIC_ARN'); // a missing variable still fails the invocation at once
  return { publish: async (n) => (await snsNotifier()).publish(n) };
});
