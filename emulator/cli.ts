/**
 * `coupa-sync emulator`: starts the emulator from the command line and keeps it up until
 * SIGINT/SIGTERM. The lead's CLI calls runEmulatorCli with the arguments after the sub-command.
 */
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorOptions } from './server';

export const EMULATOR_USAGE = `Usage: coupa-sync emulator [options]
Serves a Coupa emulator on 127.0.0.1 until Ctrl-C, and prints its URL and the credentials to use.

Options:
  --port N               the port (default: a free one)
  --flavor core|cso      Coupa core (OAuth client, XML/JSON) or Sourcing Optimization (API key, JSON)
  --seed demo|none       start with the demo users (default) or none
  --incoming DIR         run the CSV user loader over DIR (user-import files)
Faults (on /api/* only; seeded, so a run can be repeated):
  --rate-limit N         answer HTTP 429 (Retry-After: 1) above N requests per second
  --latency MS           add MS milliseconds to every answer
  --error-rate X         answer HTTP 503 to a share X (0 to 1) of the requests
  --reset-rate X         drop the connection for a share X (0 to 1) of the requests
  --fault-seed N         the seed of the fault dice
  -h, --help             this text`;

/** The flags `coupa-sync emulator` takes (parsed strictly by the CLI's one parser). */
export const EMULATOR_OPTIONS = {
  port: { type: 'string' },
  flavor: { type: 'string' },
  seed: { type: 'string' },
  incoming: { type: 'string' },
  'rate-limit': { type: 'string' },
  latency: { type: 'string' },
  'error-rate': { type: 'string' },
  'reset-rate': { type: 'string' },
  'fault-seed': { type: 'string' },
} as const;

type EmulatorFlags = Partial<Record<keyof typeof EMULATOR_OPTIONS, string>>;

/** A flag's value is out of range or not one of its choices. */
export class EmulatorArgsError extends Error {
  override name = 'EmulatorArgsError';
}

/** Turns CLI arguments into emulator options; throws EmulatorArgsError naming the flag on bad input. */
export function parseEmulatorArgs(argv: string[]): EmulatorOptions {
  let values: EmulatorFlags;
  try {
    values = parseArgs({ args: argv, strict: true, options: EMULATOR_OPTIONS }).values;
  } catch (err) {
    throw new EmulatorArgsError((err as Error).message);
  }
  return emulatorOptionsFrom(values);
}

/** Checks parsed flags and turns them into emulator options. */
export function emulatorOptionsFrom(values: EmulatorFlags): EmulatorOptions {
  const number = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new EmulatorArgsError(`--${name} must be a number from ${min} to ${max}, not "${raw}"`);
    return n;
  };
  const flavor = values.flavor ?? 'core';
  if (flavor !== 'core' && flavor !== 'cso') throw new EmulatorArgsError(`--flavor must be core or cso, not "${flavor}"`);
  const seed = values.seed ?? 'demo';
  if (seed !== 'demo' && seed !== 'none') throw new EmulatorArgsError(`--seed must be demo or none, not "${seed}"`);
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
  await serveEmulator(parseEmulatorArgs(argv));
}

/** Serves until SIGINT/SIGTERM. */
export async function serveEmulator(options: EmulatorOptions): Promise<void> {
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
