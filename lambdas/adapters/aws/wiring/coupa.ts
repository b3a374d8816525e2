/**
 * The Coupa clients: credentials from Secrets Manager (@aws-sdk/client-secrets-manager loaded when
 * the secret is first read), the user directory and the loader-results reader.
 */
import { perProcessCoupaConfig, type CoupaConfig } from '../../../core/config';
import {
  createDataFileSourceReader,
  createUserDirectory,
  type ClientOptions,
  type DataFileSourceReader,
  type RequestEvent,
  type UserDirectory,
} from '../../coupa';
import { secretsSdk } from '../sdk';
import { cachedCoupaCredentials } from '../secrets';
import { config, logger, once, requireEnv, retryableOnce } from './runtime';

export const secretsClient = retryableOnce(async () => new (await secretsSdk()).SecretsManagerClient({}));
export const coupaCredentials = once(() =>
  cachedCoupaCredentials(() => secretsClient(), requireEnv('COUPA_SECRET_ARN')),
);

/** Who else hears of every Coupa request (the metrics: latency, 429s, retries). */
const requestListeners = new Set<(e: RequestEvent) => void>();
export function onCoupaRequest(listener: (e: RequestEvent) => void): () => void {
  requestListeners.add(listener);
  return () => requestListeners.delete(listener);
}

async function coupaClientOptions(coupa: CoupaConfig): Promise<ClientOptions> {
  if (!coupa.url) throw new Error('coupa.url is not set in the configuration (COUPA_SYNC_CONFIG)');
  return {
    baseUrl: coupa.url,
    config: coupa,
    credentials: await coupaCredentials().get(),
    // Path only (no query string: it may hold logins), status and timing.
    onRequest: (e) => {
      logger.debug('coupa request', { ...e });
      for (const listener of requestListeners) listener(e);
    },
  };
}

/**
 * The Coupa directory, built on first use (the secret is read then, not at cold start). Each
 * api-consumer takes its share of the instance rate budget: api.maxConcurrency of them run at once.
 */
export const userDirectory = retryableOnce(
  async (): Promise<UserDirectory> => createUserDirectory(await coupaClientOptions(perProcessCoupaConfig(config()))),
);
/** Reading the CSV loader's verdicts needs this scope on top of the user scopes. */
export const RESULTS_SCOPE = 'core.integration.read';

/** The Coupa config of the results poller: the configured scopes plus core.integration.read (else every poll is a 403). */
export function resultsReaderConfig(coupa: CoupaConfig): CoupaConfig {
  const scopes = coupa.scopes.split(/[\s,]+/).filter(Boolean);
  return scopes.includes(RESULTS_SCOPE) ? coupa : { ...coupa, scopes: [...scopes, RESULTS_SCOPE].join(' ') };
}

/** The loader-results reader: one scheduled poller, a handful of requests every 5 minutes. */
export const dataFileSourceReader = retryableOnce(
  async (): Promise<DataFileSourceReader> => createDataFileSourceReader(await coupaClientOptions(resultsReaderConfig(config().coupa))),
);

/** After a credentials failure: drop the client and the cached secret, so a fixed secret is re-read. */
export function forgetCoupaClient(): void {
  userDirectory.reset();
  dataFileSourceReader.reset();
  coupaCredentials().forget();
}
