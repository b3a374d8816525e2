/**
 * Which Coupa the CLI talks to: the instance named by --coupa-url with credentials from the
 * environment, or (by default) an embedded emulator started for this run.
 */
import type { CoupaConfig } from '../../lambdas/core/config';
import type { CoupaCredentials } from '../../lambdas/adapters/coupa';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/server';
import { UsageError } from './usage';

export interface CoupaTarget {
  baseUrl: string;
  credentials: CoupaCredentials;
  emulator?: RunningEmulator;
  close(): Promise<void>;
}

export function credentialsFromEnv(config: CoupaConfig, env: NodeJS.ProcessEnv = process.env): CoupaCredentials {
  if (config.flavor === 'cso') {
    const apiKey = env.COUPA_CSO_API_KEY;
    if (!apiKey) throw new UsageError('set COUPA_CSO_API_KEY to the CSO API key (config coupa.flavor is "cso")', false);
    return { apiKey };
  }
  const clientId = env.COUPA_CLIENT_ID;
  const clientSecret = env.COUPA_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new UsageError('set COUPA_CLIENT_ID and COUPA_CLIENT_SECRET to the Coupa OAuth client (client credentials grant)', false);
  }
  return { clientId, clientSecret };
}

export async function resolveTarget(
  coupaUrl: string | undefined,
  config: CoupaConfig,
  emulatorOptions: Partial<EmulatorOptions> = {},
): Promise<CoupaTarget> {
  if (coupaUrl) {
    return { baseUrl: coupaUrl, credentials: credentialsFromEnv(config), close: async () => {} };
  }
  const emulator = await startEmulator({ flavor: config.flavor, seed: 'demo', ...emulatorOptions });
  const { clientId, clientSecret, apiKey } = emulator.credentials;
  return {
    baseUrl: emulator.url,
    credentials: config.flavor === 'cso' ? { apiKey } : { clientId, clientSecret },
    emulator,
    close: () => emulator.close(),
  };
}
