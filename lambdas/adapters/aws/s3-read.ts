/**
 * Reading the small JSON objects the AWS adapters keep (claims, turns, attempts, breaker verdicts,
 * marks), one way everywhere: a missing key is `undefined`, any other error is thrown.
 */
import { text } from 'node:stream/consumers';
import type { ObjectStore } from '../../core/ports';

/** S3's "no such key" (GetObject: NoSuchKey; HeadObject: NotFound; or a bare 404). */
export function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** The object's JSON, or undefined when there is no such object. */
export async function readJsonIfPresent<T>(objects: Pick<ObjectStore, 'get'>, key: string): Promise<T | undefined> {
  try {
    return JSON.parse(await text(await objects.get(key))) as T;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}
