/**
 * Reads the Coupa credentials secret once per container and checks its shape, so a secret the
 * operator has not filled in yet fails with a message that says what to put in it (and never
 * echoes what is there).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { CoupaCredentials } from '../coupa';

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

/** A loader that fetches the secret on first use and caches it; `forget()` makes the next call re-read it. */
export function cachedCoupaCredentials(
  client: SecretsManagerClient,
  secretId: string,
): { get(): Promise<CoupaCredentials>; forget(): void } {
  let cached: Promise<CoupaCredentials> | undefined;
  return {
    get() {
      cached ??= client
        .send(new GetSecretValueCommand({ SecretId: secretId }))
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
