/**
 * `coupa-sync emulator`: starts the emulator from the command line and keeps it up until
 * SIGINT/SIGTERM. The lead's CLI calls runEmulatorCli with the arguments after the sub-command.
 */
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorOptions } from './server';

const USAGE = `Usage: coupa-sync emulator [--port N] [--flavor core|cso] [--seed demo|none] [--incoming DIR]
       [--rate-limit N] [--latency MS] [--error-rate X] [--reset-rate X] [--fault-seed N]`;

/** Turns CLI arguments into emulator options; throws with a usage message on bad input. */
export function parseEmulatorArgs(argv: string[]): EmulatorOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      flavor: { type: 'string' },
      seed: { type: 'string' },
      incoming: { type: 'string' },
      'rate-limit': { type: 'string' },
      latency: { type: 'string' },
      'error-rate': { type: 'string' },
      'reset-rate': { type: 'string' },
      'fault-seed': { type: 'string' },
    },
  });
  const number = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}\n${USAGE}`);
    return n;
  };
  const flavor = values.flavor ?? 'core';
  if (flavor !== 'core' && flavor !== 'cso') throw new Error(`--flavor must be core or cso\n${USAGE}`);
  const seed = values.seed ?? 'demo';
  if (seed !== 'demo' && seed !== 'none') throw new Error(`--seed must be demo or none\n${USAGE}`);
  const faults = {
    rateLimitPerSecond: number('rate-limit', values['rate-limit'], 0.001, 1e6),
    latencyMs: number('latency', values.latency, 0, 600_000),
    errorRate: number('error-rate', values['error-rate'], 0, 1),
    resetRate: number('reset-rate', values['reset-rate'], 0, 1),
    seed: number('fault-seed', values['fault-seed'], 0, 2 ** 32 - 1),
    retryAfterSeconds: values['rate-limit'] === undefined ? undefined : 1,
  };
  return {
    port: number('port', values.port, 0, 65535) ?? 0,
    flavor,
    seed,
    faults: Object.fromEntries(Object.entries(faults).filter(([, v]) => v !== undefined)),
    loader: values.incoming ? { incomingDir: values.incoming, pollMs: 5000 } : undefined,
  };
}

export async function runEmulatorCli(argv: string[]): Promise<void> {
  const options = parseEmulatorArgs(argv);
  const emulator = await startEmulator(options);
  const { clientId, clientSecret, apiKey } = emulator.credentials;
  const lines = [`Coupa emulator (${emulator.flavor}) listening on ${emulator.url}`];
  if (emulator.flavor === 'core') {
    lines.push(
      `  OAuth client: COUPA_CLIENT_ID=${clientId} COUPA_CLIENT_SECRET=${clientSecret}`,
      `  Try: COUPA_CLIENT_ID=${clientId} COUPA_CLIENT_SECRET=${clientSecret} coupa-sync run --coupa-url ${emulator.url} <hr-file>`,
    );
  } else {
    lines.push(`  CSO API key (X-CSO-API-KEY): ${apiKey}`, `  Try: COUPA_CSO_API_KEY=${apiKey} coupa-sync run --flavor cso --format json --coupa-url ${emulator.url} <hr-file>`);
  }
  if (options.loader) lines.push(`  CSV loader watching ${options.loader.incomingDir} every ${options.loader.pollMs} ms`);
  lines.push('  Ctrl-C to stop.');
  process.stdout.write(`${lines.join('\n')}\n`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  process.stdout.write('Coupa emulator stopped.\n');
}
