/**
 * The Coupa clients: credentials from Secrets Manager (@aws-sdk/client-secrets-manager loaded when
 * the secret is first read), the user directory and the loader-results reader.
 */
import type { CoupaConfig } from '../../../core/config';
import type { ReferenceReader } from '../../../core/ports';
import { coupaConfigAtRate, rateShares, type RateShares } from '../../../core/rate-shares';
import {
  createDataFileSourceReader,
  createIntegrationMonitoring,
  createReferenceReader,
  createUserDirectory,
  type ClientOptions,
  type CoupaCredentials,
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

function coupaClientOptions(coupa: CoupaConfig, credentials: CoupaCredentials): ClientOptions {
  if (!coupa.url) throw new Error('coupa.url is not set in the configuration deployed with the stack');
  return {
    baseUrl: coupa.url,
    config: coupa,
    credentials,
    // Path only (no query string: it may hold logins), status and timing.
    onRequest: (e) => {
      logger.debug('coupa request', { ...e });
      for (const listener of requestListeners) listener(e);
    },
  };
}

/**
 * A Coupa client built on first use (the secret is read then, not at cold start) and rebuilt only
 * when the credentials change: the secret cache re-reads after its TTL and hands back the same
 * object while the content is unchanged, so a rotated secret is used without a cold start, and an
 * unchanged one keeps the client (its OAuth token, its learned rate). A build that throws is tried
 * again on the next call.
 */
function builtPerCredentials<T>(make: (credentials: CoupaCredentials) => T): { (): Promise<T>; reset(): void } {
  let built: { credentials: CoupaCredentials; client: T } | undefined;
  const get = async () => {
    const credentials = await coupaCredentials().get();
    if (built?.credentials !== credentials) built = { credentials, client: make(credentials) };
    return built.client;
  };
  get.reset = () => {
    built = undefined;
  };
  return get;
}

/** The shares of coupa.instanceRatePerSecond that call Coupa with a user directory (rate-shares.ts). */
export type DirectoryShare = keyof Pick<RateShares, 'turn' | 'preview' | 'consumer' | 'strayConsumer'>;

const directories = new Map<DirectoryShare, ReturnType<typeof builtPerCredentials<UserDirectory>>>();

/**
 * The Coupa directory at one share of the instance rate budget: an api-consumer takes `consumer`
 * while its batch belongs to the run holding the apply turn, else `strayConsumer`; a run's own
 * steps take `turn` (or `preview` for a plan-only run). One client per share, kept while warm
 * (a process uses one at a time, so its rate never exceeds the share it is using).
 */
export function userDirectory(share: DirectoryShare = 'turn'): Promise<UserDirectory> {
  let directory = directories.get(share);
  if (!directory) {
    directory = builtPerCredentials(
      (credentials): UserDirectory => createUserDirectory(coupaClientOptions(coupaConfigAtRate(config().coupa, rateShares(config())[share]), credentials)),
    );
    directories.set(share, directory);
  }
  return directory();
}

const referenceReaders = new Map<'turn' | 'preview', ReturnType<typeof builtPerCredentials<ReferenceReader | undefined>>>();

/**
 * The planner's reader of Coupa's reference lists (pre-flight; core only), at its run's lane share:
 * the plan reads the lists after the users, never at the same time, so the two stay within that share.
 */
export function referenceReader(share: 'turn' | 'preview' = 'turn'): Promise<ReferenceReader | undefined> {
  let reader = referenceReaders.get(share);
  if (!reader) {
    reader = builtPerCredentials(
      (credentials): ReferenceReader | undefined => createReferenceReader(coupaClientOptions(coupaConfigAtRate(config().coupa, rateShares(config())[share]), credentials)),
    );
    referenceReaders.set(share, reader);
  }
  return reader();
}
/** Reading the CSV loader's verdicts needs this scope on top of the user scopes. */
export const RESULTS_SCOPE = 'core.integration.read';

/** The Coupa config of the results poller: the configured scopes plus core.integration.read (else every poll is a 403). */
export function resultsReaderConfig(coupa: CoupaConfig): CoupaConfig {
  const scopes = coupa.scopes.split(/[\s,]+/).filter(Boolean);
  return scopes.includes(RESULTS_SCOPE) ? coupa : { ...coupa, scopes: [...scopes, RESULTS_SCOPE].join(' ') };
}

/** The loader-results reader: one scheduled poller, a handful of requests every 5 minutes, at the poller's share of the budget. */
export const dataFileSourceReader = builtPerCredentials(
  (credentials): DataFileSourceReader =>
    createDataFileSourceReader(coupaClientOptions(coupaConfigAtRate(resultsReaderConfig(config().coupa), rateShares(config()).poller), credentials)),
);

/**
 * Coupa's integration monitoring for the run's steps (coupa.monitoring.enabled; core only), at the
 * turn's share: a step calls it after its own Coupa reads and writes, never at the same time.
 */
export const integrationMonitoring = builtPerCredentials((credentials) =>
  createIntegrationMonitoring(coupaClientOptions(coupaConfigAtRate(config().coupa, rateShares(config()).turn), credentials)),
);

/** After a credentials failure: drop the client and the cached secret, so a fixed secret is re-read. */
export function forgetCoupaClient(): void {
  for (const directory of directories.values()) directory.reset();
  for (const reader of referenceReaders.values()) reader.reset();
  dataFileSourceReader.reset();
  integrationMonitoring.reset();
  coupaCredentials().forget();
}
