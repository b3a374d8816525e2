/** In-memory stand-ins for the object store and queue ports, for core tests of the AWS stages. */
import { Readable } from 'node:stream';
import type { ChangeMessage } from '../../lambdas/core/model';
import type { ObjectStore, RecordQueue } from '../../lambdas/core/ports';

/** An ObjectStore in memory: a missing key fails as S3's NoSuchKey does, `create` only once per key. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();

  async get(key: string): Promise<Readable> {
    const body = this.objects.get(key);
    if (body === undefined) throw Object.assign(new Error(`The specified key does not exist: ${key}`), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return Readable.from([body]);
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    this.objects.set(key, Buffer.from(body));
  }

  async create(key: string, body: string): Promise<boolean> {
    if (this.objects.has(key)) return false;
    this.objects.set(key, Buffer.from(body));
    return true;
  }

  json<T = any>(key: string): T {
    const body = this.objects.get(key);
    if (body === undefined) throw new Error(`no object ${key}`);
    return JSON.parse(body.toString('utf8')) as T;
  }
}

/** A RecordQueue that keeps every send() call's messages. */
export class MemoryQueue implements RecordQueue {
  readonly sends: ChangeMessage[][] = [];

  async send(messages: ChangeMessage[]): Promise<void> {
    this.sends.push(structuredClone(messages));
  }

  get messages(): ChangeMessage[] {
    return this.sends.flat();
  }
}
