/**
 * ManifestStore on S3: a manifest waits under outbox/manifests/pending/ until Coupa's loader
 * verdict is recorded, then moves to outbox/manifests/done/ (kept for audit).
 */
import { type S3Client } from '@aws-sdk/client-s3';
import type { CsvManifest, ManifestStore } from '../../core/csv/manifest';
import { listKeys } from './s3-list';
import { s3Sdk } from './sdk';

export const MANIFEST_PREFIX = 'outbox/manifests/';

export class S3ManifestStore implements ManifestStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly prefix = MANIFEST_PREFIX,
  ) {}

  private key(state: 'pending' | 'done', fileName: string): string {
    return `${this.prefix}${state}/${fileName}.json`;
  }

  async save(m: CsvManifest): Promise<void> {
    await this.put(this.key('pending', m.fileName), JSON.stringify(m));
  }

  async pending(): Promise<CsvManifest[]> {
    const keys = await listKeys(this.s3, this.bucket, `${this.prefix}pending/`);
    const manifests = await Promise.all(keys.map((k) => this.read(k)));
    return manifests.sort((a, b) => a.fileName.localeCompare(b.fileName));
  }

  async complete(fileName: string): Promise<void> {
    const pendingKey = this.key('pending', fileName);
    const manifest = await this.read(pendingKey);
    await this.put(this.key('done', fileName), JSON.stringify(manifest));
    await this.s3.send(new (await s3Sdk()).DeleteObjectCommand({ Bucket: this.bucket, Key: pendingKey }));
  }

  private async read(key: string): Promise<CsvManifest> {
    const out = await this.s3.send(new (await s3Sdk()).GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!out.Body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    return JSON.parse(await out.Body.transformToString('utf8')) as CsvManifest;
  }

  private async put(key: string, body: string): Promise<void> {
    await this.s3.send(
      new (await s3Sdk()).PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
  }
}
