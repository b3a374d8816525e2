/** `coupa-sync emulator`: the emulator's own CLI, served until Ctrl-C. */
import { EMULATOR_OPTIONS, EmulatorArgsError, emulatorOptionsFrom, serveEmulator } from '../../emulator/cli';
import { parseCommandLine, UsageError } from './usage';

export async function runEmulatorCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('emulator', argv, { options: EMULATOR_OPTIONS });
  if (positionals.length > 0) throw new UsageError(`emulator takes no arguments, got "${positionals[0]}"`);
  let options;
  try {
    options = emulatorOptionsFrom(values as Parameters<typeof emulatorOptionsFrom>[0]);
  } catch (err) {
    if (err instanceof EmulatorArgsError) throw new UsageError(err.message);
    throw err;
  }
  try {
    await serveEmulator(options);
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') throw new UsageError(`port ${options.port} is in use: give another --port, or leave it out for a free one`, false);
    throw err;
  }
  return 0;
}
