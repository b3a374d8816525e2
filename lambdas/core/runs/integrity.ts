/**
 * A run's plan (and, once approved, the changes it still applies) cannot be swapped between the step
 * that wrote it and the step that queues it: the writing step returns the SHA-256 of the object as
 * stored, the execution carries it, and the reading step refuses an object that hashes otherwise.
 */
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import type { ObjectStore } from '../ports';
import { RUN_ERRORS, RunStepError } from './contract';

export function sha256Hex(bytes: string | Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes `value` as JSON and returns the SHA-256 of exactly what was written. */
export async function putHashed(objects: ObjectStore, key: string, value: unknown): Promise<string> {
  const body = JSON.stringify(value);
  await objects.put(key, body, 'application/json');
  return sha256Hex(body);
}

/** The SHA-256 of the object as stored. */
export async function hashOf(objects: ObjectStore, key: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await objects.get(key)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The object parsed, if it still hashes to `sha256`; else PlanChanged (the run stops with one alert). */
export async function readVerified<T>(objects: ObjectStore, key: string, sha256: string | undefined): Promise<T> {
  const bytes = await buffer(await objects.get(key));
  const actual = sha256Hex(bytes);
  if (!sha256 || actual !== sha256) {
    throw new RunStepError(
      RUN_ERRORS.planChanged,
      `${key} is not the object the run wrote (SHA-256 ${actual.slice(0, 12)}…, expected ${sha256 ? `${sha256.slice(0, 12)}…` : 'none'}): ` +
        'it was changed after it was planned, so nothing of it is queued. Find who wrote it (the bucket\'s access logs), then upload the HR file again.',
    );
  }
  return JSON.parse(bytes.toString('utf8')) as T;
}
