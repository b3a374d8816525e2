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

/** Attempts of a file upload (the SDK's own default for a request it may retry is 3 too). */
const FILE_PUT_ATTEMPTS = 3;
const FILE_PUT_BACKOFF_MS = 200;

/** An S3 error worth another attempt: S3's 5xx (SlowDown, InternalError), a timeout, a dropped connection. */
function isTransient(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (e?.$retryable) return true;
  if ((e?.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return ['RequestTimeout', 'TimeoutError'].includes(e?.name ?? '') || ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(e?.code ?? '');
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

  /**
   * One PutObject with the file as a stream: S3 needs the length up front, which the file's size
   * gives. The SDK never retries a request whose body is a stream (it cannot read it again), so a
   * transient failure (503 SlowDown, a reset connection) is retried here with the file opened afresh.
   */
  async putFile(key: string, path: string, contentType = 'application/octet-stream'): Promise<void> {
    const { size } = await stat(path);
    for (let attempt = 1; ; attempt++) {
      const body = createReadStream(path);
      try {
        await this.s3.send(new (await s3Sdk()).PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType }));
        return;
      } catch (err) {
        if (attempt >= FILE_PUT_ATTEMPTS || !isTransient(err)) throw err;
        await new Promise((resolve) => setTimeout(resolve, FILE_PUT_BACKOFF_MS * 2 ** (attempt - 1)));
      } finally {
        body.destroy();
      }
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
