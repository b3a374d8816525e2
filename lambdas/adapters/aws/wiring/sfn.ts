/** The Step Functions client (runs are started and approved through it). Loads @aws-sdk/client-sfn on first use only. */
import { sfnSdk } from '../sdk';
import { retryableOnce } from './runtime';

export const sfnClient = retryableOnce(async () => new (await sfnSdk()).SFNClient({}));
