/** The S3-backed stores. Loads @aws-sdk/client-s3 on first use only. */
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ManifestStore } from '../s3-manifest-store';
import { S3ObjectStore } from '../s3-object-store';
import { S3OutcomeLedger } from '../s3-outcome-ledger';
import { S3RunStore } from '../s3-run-store';
import { S3StateStore } from '../s3-state-store';
import { s3Sdk } from '../sdk';
import { requireEnv, retryableOnce } from './runtime';

export const s3Client = retryableOnce(async (): Promise<S3Client> => new (await s3Sdk()).S3Client({}));

const bucket = () => requireEnv('BUCKET_NAME');
export const objectStore = retryableOnce(async () => new S3ObjectStore(await s3Client(), bucket()));
export const ledger = retryableOnce(async () => new S3OutcomeLedger(await objectStore()));
export const manifests = retryableOnce(async () => new S3ManifestStore(await s3Client(), bucket()));
export const runStore = retryableOnce(async () => new S3RunStore(await s3Client(), bucket()));
/** Plans, reports, the accepted roster and the kept snapshot of Coupa's users. */
export const stateStore = retryableOnce(async () => new S3StateStore(await objectStore(), bucket()));
