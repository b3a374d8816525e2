/** ObjectStore on one S3 bucket: objects come back as Node streams, never buffered whole. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { type S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../core/ports';
import { s3Sdk } from './sdk';

/** S3's answer to a conditional write whose condition failed (the key exists). */
function isPreconditionFailed(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412;
}

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async get(key: string, version?: string): Promise<Readable> {
    const out = await this.s3.send(new (await s3Sdk()).GetObjectCommand({ Bucket: this.bucket, Key: key, ...(version ? { VersionId: version } : {}) }));
    const body = out.Body;
    if (!body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    // In Node the SDK hands back an IncomingMessage (a Readable); anything else is a web stream.
    if (body instanceof Readable) return body;
    return Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
  }

  async put(key: string, body: string | Buffer, contentType = 'application/octet-stream'): Promise<void> {
    await this.s3.send(new (await s3Sdk()).PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /** One PutObject with the file as a stream: S3 needs the length up front, which the file's size gives. */
  async putFile(key: string, path: string, contentType = 'application/octet-stream'): Promise<void> {
    const { size } = await stat(path);
    const body = createReadStream(path);
    try {
      await this.s3.send(new (await s3Sdk()).PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType }));
    } finally {
      body.destroy();
    }
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new (await s3Sdk()).DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /** S3 conditional write (If-None-Match: *): exactly one of two concurrent callers gets true. */
  async create(key: string, body: string, contentType = 'application/json'): Promise<boolean> {
    try {
      await this.s3.send(new (await s3Sdk()).PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: '*' }));
      return true;
    } catch (err) {
      if (isPreconditionFailed(err)) return false;
      throw err;
    }
  }
}
