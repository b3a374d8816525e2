/**
 * What the handlers share, built once per Lambda container on first use (not at import, so a
 * missing variable fails the invocation with a clear message, and tests can set the environment
 * first). SDK clients are reused across invocations, which keeps their connections warm.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TransferClient } from '@aws-sdk/client-transfer';
import { configFromEnv, perProcessCoupaConfig, type CoupaConfig, type SyncConfig } from '../../core/config';
import {
  createDataFileSourceReader,
  createUserDirectory,
  type ClientOptions,
  type CoupaCredentials,
  type DataFileSourceReader,
  type UserDirectory,
} from '../coupa';
import type { RecordQueue } from '../../core/ports';
import { S3ManifestStore } from './s3-manifest-store';
import { S3ObjectStore } from './s3-object-store';
import { S3OutcomeLedger } from './s3-outcome-ledger';
import { S3RunStore } from './s3-run-store';
import { cachedCoupaCredentials } from './secrets';
import { SnsNotifier } from './sns-notifier';
import { SqsRecordQueue } from './sqs-record-queue';
import { TransferFileDrop } from './transfer-file-drop';

export const logger = new Logger({ serviceName: 'coupa-user-sync' });

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set (the stack sets it on every Lambda)`);
  return value;
}

function once<T>(make: () => T): { (): T; reset(): void } {
  let made: { value: T } | undefined;
  const get = () => (made ??= { value: make() }).value;
  get.reset = () => {
    made = undefined;
  };
  return get;
}

const clients = {
  s3: once(() => new S3Client({})),
  sqs: once(() => new SQSClient({})),
  sns: once(() => new SNSClient({})),
  secrets: once(() => new SecretsManagerClient({})),
  transfer: once(() => new TransferClient({})),
};

export const config = once((): SyncConfig => configFromEnv());
export const objectStore = once(() => new S3ObjectStore(clients.s3(), requireEnv('BUCKET_NAME')));
export const ledger = once(() => new S3OutcomeLedger(objectStore()));
export const notifier = once(() => new SnsNotifier(clients.sns(), requireEnv('TOPIC_ARN')));
export const manifests = once(() => new S3ManifestStore(clients.s3(), requireEnv('BUCKET_NAME')));
export const runStore = once(() => new S3RunStore(clients.s3(), requireEnv('BUCKET_NAME')));
export const fileDrop = once(
  () =>
    new TransferFileDrop({
      s3: clients.s3(),
      transfer: clients.transfer(),
      bucket: requireEnv('BUCKET_NAME'),
      connectorId: requireEnv('CONNECTOR_ID'),
    }),
);

const queues = {
  api: once(() => new SqsRecordQueue(clients.sqs(), requireEnv('API_QUEUE_URL'))),
  csv: once(() => new SqsRecordQueue(clients.sqs(), requireEnv('CSV_QUEUE_URL'))),
};
export function recordQueue(channel: 'api' | 'csv'): RecordQueue {
  return queues[channel]();
}

export const coupaCredentials = once(() => cachedCoupaCredentials(clients.secrets(), requireEnv('COUPA_SECRET_ARN')));

function coupaClientOptions(coupa: CoupaConfig, credentials: CoupaCredentials): ClientOptions {
  if (!coupa.url) throw new Error('coupa.url is not set in the configuration (COUPA_SYNC_CONFIG)');
  return {
    baseUrl: coupa.url,
    config: coupa,
    credentials,
    // Path only (no query string: it may hold logins), status and timing.
    onRequest: (e) => logger.debug('coupa request', { ...e }),
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

/** The Coupa directory. Each api-consumer takes its share of the instance rate budget: api.maxConcurrency of them run at once. */
export const userDirectory = builtPerCredentials(
  (credentials): UserDirectory => createUserDirectory(coupaClientOptions(perProcessCoupaConfig(config()), credentials)),
);
/** The loader-results reader: one scheduled poller, a handful of requests every 5 minutes. */
export const dataFileSourceReader = builtPerCredentials(
  (credentials): DataFileSourceReader => createDataFileSourceReader(coupaClientOptions(config().coupa, credentials)),
);

/** After a credentials failure: drop the client and the cached secret, so a fixed secret is re-read. */
export function forgetCoupaClient(): void {
  userDirectory.reset();
  dataFileSourceReader.reset();
  coupaCredentials().forget();
}

/** Tests only: drop everything built so far (the next call reads the environment again). */
export function resetAwsContext(): void {
  for (const c of Object.values(clients)) c.reset();
  for (const q of Object.values(queues)) q.reset();
  [config, objectStore, ledger, notifier, manifests, runStore, fileDrop, coupaCredentials].forEach((o) => o.reset());
  userDirectory.reset();
  dataFileSourceReader.reset();
}
