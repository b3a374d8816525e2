/**
 * Reads the Coupa credentials secret, caches it for a while, and checks its shape, so a secret the
 * operator has not filled in yet fails with a message that says what to put in it (and never
 * echoes what is there).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { systemClock, type Clock } from '../../core/ports';
import type { CoupaCredentials } from '../coupa';

/** How long a read secret is trusted: a rotation reaches a warm container within this time. */
export const COUPA_SECRET_TTL_MS = 15 * 60 * 1000;

const credentialsSchema = z.union([
  z.object({ clientId: z.string().trim().min(1), clientSecret: z.string().trim().min(1) }),
  z.object({ apiKey: z.string().trim().min(1) }),
]);

export class SecretNotReadyError extends Error {
  constructor(secretId: string, problem: string) {
    super(
      `Secret ${secretId} ${problem}: put {"clientId":"…","clientSecret":"…"} (Coupa Core OAuth client) ` +
        'or {"apiKey":"…"} (CSO) in it.',
    );
    this.name = 'SecretNotReadyError';
  }
}

/** Validates a secret string; errors name the secret, never its content. */
export function parseCoupaCredentials(secretString: string | undefined, secretId: string): CoupaCredentials {
  if (!secretString) throw new SecretNotReadyError(secretId, 'is empty');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new SecretNotReadyError(secretId, 'is not JSON');
  }
  const parsed = credentialsSchema.safeParse(json);
  if (!parsed.success) throw new SecretNotReadyError(secretId, 'is not filled in');
  const value = parsed.data;
  return 'apiKey' in value ? { apiKey: value.apiKey } : { clientId: value.clientId, clientSecret: value.clientSecret };
}

export interface CachedCredentialsOptions {
  /** Re-read the secret when the last read is this old (default 15 min). */
  ttlMs?: number;
  clock?: Clock;
}

function sameCredentials(a: CoupaCredentials, b: CoupaCredentials): boolean {
  if ('apiKey' in a || 'apiKey' in b) return 'apiKey' in a && 'apiKey' in b && a.apiKey === b.apiKey;
  return a.clientId === b.clientId && a.clientSecret === b.clientSecret;
}

/**
 * A loader that reads the secret on first use, again once the read is `ttlMs` old (so a rotated
 * secret is picked up without a cold start), and at once after `forget()`. Concurrent callers share
 * one read. A re-read that finds the same content returns the very object returned before, so a
 * caller can rebuild what it made from the credentials only when they really changed.
 */
export function cachedCoupaCredentials(
  client: SecretsManagerClient,
  secretId: string,
  { ttlMs = COUPA_SECRET_TTL_MS, clock = systemClock }: CachedCredentialsOptions = {},
): { get(): Promise<CoupaCredentials>; forget(): void } {
  let cached: { credentials: Promise<CoupaCredentials>; readAt: number } | undefined;
  let lastRead: CoupaCredentials | undefined;
  return {
    get() {
      const now = clock.now().getTime();
      if (cached && now - cached.readAt < ttlMs) return cached.credentials;
      const credentials = client
        .send(new GetSecretValueCommand({ SecretId: secretId }))
        .then((out) => {
          const read = parseCoupaCredentials(out.SecretString, secretId);
          if (!lastRead || !sameCredentials(lastRead, read)) lastRead = read;
          return lastRead;
        })
        .catch((err: unknown) => {
          if (cached?.credentials === credentials) cached = undefined; // a fixed secret must be picked up by the next call
          throw err;
        });
      cached = { credentials, readAt: now };
      return credentials;
    },
    forget() {
      cached = undefined;
    },
  };
}
