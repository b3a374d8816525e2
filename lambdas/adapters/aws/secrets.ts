/**
 * Reads the Coupa credentials secret (again once the last read is 15 minutes old, so a rotation
 * reaches a warm container) and checks its shape, so a secret the operator has not filled in yet
 * fails with a message that says what to put in it (and never echoes what is there).
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { systemClock, type Clock } from '../../core/ports';
import type { CoupaCredentials } from '../coupa';
import { secretsSdk } from './sdk';

/** How long a read secret is trusted: a rotation reaches a warm container within this time. */
export const COUPA_SECRET_TTL_MS = 15 * 60 * 1000;

export interface CachedCredentialsOptions {
  /** Re-read the secret when the last read is this old (default 15 min). */
  ttlMs?: number;
  clock?: Clock;
}

function sameCredentials(a: CoupaCredentials, b: CoupaCredentials): boolean {
  if ('apiKey' in a || 'apiKey' in b) return 'apiKey' in a && 'apiKey' in b && a.apiKey === b.apiKey;
  return a.clientId === b.clientId && a.clientSecret === b.clientSecret;
}

/** The trimmed value when `v` is a non-blank string (plain checks: zod would add ~400 KB to every bundle). */
function filled(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

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
  const value = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const clientId = filled(value.clientId);
  const clientSecret = filled(value.clientSecret);
  if (clientId && clientSecret) return { clientId, clientSecret };
  const apiKey = filled(value.apiKey);
  if (apiKey) return { apiKey };
  throw new SecretNotReadyError(secretId, 'is not filled in');
}

/**
 * A loader that reads the secret on first use, again once the read is `ttlMs` old, and at once
 * after `forget()`. An unchanged secret hands back the same object, so callers can tell a rotation
 * (a new object) from a re-read (the same one) and keep their Coupa client.
 */
export function cachedCoupaCredentials(
  client: SecretsManagerClient | (() => Promise<SecretsManagerClient>),
  secretId: string,
  { ttlMs = COUPA_SECRET_TTL_MS, clock = systemClock }: CachedCredentialsOptions = {},
): { get(): Promise<CoupaCredentials>; forget(): void } {
  let cached: { credentials: Promise<CoupaCredentials>; readAt: number } | undefined;
  let lastRead: CoupaCredentials | undefined;
  return {
    get() {
      const now = clock.now().getTime();
      if (cached && now - cached.readAt < ttlMs) return cached.credentials;
      const credentials = Promise.all([typeof client === 'function' ? client() : client, secretsSdk()])
        .then(([c, sdk]) => c.send(new sdk.GetSecretValueCommand({ SecretId: secretId })))
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
