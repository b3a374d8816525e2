/** `coupa-sync emulator`: the emulator's own CLI, served until Ctrl-C. */
import { runEmulatorCli } from '../../emulator/cli';

export async function runEmulatorCommand(argv: string[]): Promise<number> {
  await runEmulatorCli(argv);
  return 0;
}
