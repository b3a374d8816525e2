/**
 * The S3-backed stores. Loads @aws-sdk/client-s3 on first use only. Each is marked pure so a
 * handler's bundle keeps only the stores it uses.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { S3ManifestStore } from '../s3-manifest-store';
import { S3ObjectStore } from '../s3-object-store';
import { S3OutcomeLedger } from '../s3-outcome-ledger';
import { S3StateStore } from '../s3-state-store';
import { s3Sdk } from '../sdk';
import { requireEnv, retryableOnce } from './runtime';

export const s3Client = /* @__PURE__ */ retryableOnce(async (): Promise<S3Client> => new (await s3Sdk()).S3Client({}));

export const bucket = () => requireEnv('BUCKET_NAME');
export const objectStore = /* @__PURE__ */ retryableOnce(async () => new S3ObjectStore(await s3Client(), bucket()));
export const ledger = /* @__PURE__ */ retryableOnce(async () => new S3OutcomeLedger(await objectStore()));
export const manifests = /* @__PURE__ */ retryableOnce(async () => new S3ManifestStore(await s3Client(), bucket()));
/** Plans, the accepted roster, the kept snapshot of Coupa's users and read checkpoints (the planning function: no reports). */
export const stateStore = /* @__PURE__ */ retryableOnce(async () => new S3StateStore(await objectStore(), bucket()));
