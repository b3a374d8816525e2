/**
 * What every handler shares and nothing more: the logger, the configuration, and the `once`
 * helpers the per-service wiring modules (s3.ts, sns.ts, sqs.ts, transfer.ts, coupa.ts) build on.
 * Everything is built on first use (not at import, so a missing variable fails the invocation with
 * a clear message, and tests can set the environment first); SDK clients are reused across
 * invocations, which keeps their connections warm. No AWS SDK package is imported here.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { configFromEnv, type SyncConfig } from '../../../core/config';

export const logger = new Logger({ serviceName: 'coupa-user-sync' });

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is not set (the stack sets it on every Lambda)`);
  return value;
}

interface Resettable {
  reset(): void;
}
const built: Resettable[] = [];

/** A value built on first call and kept for the container's life. */
export function once<T>(make: () => T): { (): T; reset(): void } {
  let made: { value: T } | undefined;
  const get = () => (made ??= { value: make() }).value;
  get.reset = () => {
    made = undefined;
  };
  built.push(get);
  return get;
}

/** Builds a promise once; forgets it if it rejects, so the next call tries again. */
export function retryableOnce<T>(make: () => Promise<T>): { (): Promise<T>; reset(): void } {
  let made: Promise<T> | undefined;
  const get = () => {
    if (made) return made;
    const attempt = make();
    made = attempt;
    attempt.catch(() => {
      if (made === attempt) made = undefined;
    });
    return attempt;
  };
  get.reset = () => {
    made = undefined;
  };
  built.push(get);
  return get;
}

/**
 * Deployed: the config validated at synth and inlined into the bundle (COUPA_SYNC_CONFIG there fails
 * the invocation, which `once` does not keep). In-process (tests, tsx): COUPA_SYNC_CONFIG, parsed.
 */
export const config = once((): SyncConfig => configFromEnv());

/** Tests only: drop everything built so far in every wiring module (the next call reads the environment again). */
export function resetBuilt(): void {
  for (const b of built) b.reset();
}
