/**
 * Reads the Coupa credentials secret once per container and checks its shape, so a secret the
 * operator has not filled in yet fails with a message that says what to put in it (and never
 * echoes what is there).
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CoupaCredentials } from '../coupa';
import { secretsSdk } from './sdk';

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

/** A loader that fetches the secret on first use and caches it; `forget()` makes the next call re-read it. */
export function cachedCoupaCredentials(
  client: SecretsManagerClient | (() => Promise<SecretsManagerClient>),
  secretId: string,
): { get(): Promise<CoupaCredentials>; forget(): void } {
  let cached: Promise<CoupaCredentials> | undefined;
  return {
    get() {
      cached ??= Promise.all([typeof client === 'function' ? client() : client, secretsSdk()])
        .then(([c, sdk]) => c.send(new sdk.GetSecretValueCommand({ SecretId: secretId })))
        .then((out) => parseCoupaCredentials(out.SecretString, secretId))
        .catch((err: unknown) => {
          cached = undefined; // a fixed secret must be picked up by the next invocation
          throw err;
        });
      return cached;
    },
    forget() {
      cached = undefined;
    },
  };
}
