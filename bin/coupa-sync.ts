/** `coupa-sync` command dispatcher: returns the process exit code, never calls process.exit. */
import { EMULATOR_USAGE } from '../emulator/cli';
import { runDemoCommand } from './cli/demo-command';
import { runEmulatorCommand } from './cli/emulator-command';
import { runApproveCommand, runPlanCommand, runRejectCommand, runRunCommand } from './cli/run-command';
import { COMMAND_USAGE, HelpRequested, USAGE, UsageError } from './cli/usage';

// For bench/unthrottled.mjs only: the bench turns the rate governor off in the very module instance
// the CLI runs, which (bundled, bin/cli-loader.mjs) is reachable only through this module's exports.
export { TokenBucket } from '../lambdas/adapters/coupa/token-bucket';
// For bin/coupa-sync.mjs: V8's collector is set in the module instance the CLI runs (collector.ts).
export { optimizeForSize } from './cli/collector';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  run: runRunCommand,
  plan: runPlanCommand,
  approve: runApproveCommand,
  reject: runRejectCommand,
  emulator: runEmulatorCommand,
  demo: runDemoCommand,
};

const usageOf = (command: string) => (command === 'emulator' ? EMULATOR_USAGE : COMMAND_USAGE[command] ?? USAGE);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const topic = command === 'help' && rest[0] && COMMANDS[rest[0]] ? rest[0] : undefined;
    process.stdout.write(`${topic ? usageOf(topic) : USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  const handler = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!handler) {
    process.stderr.write(`coupa-sync: unknown command "${command}" (see coupa-sync --help)\n`);
    return 2;
  }
  try {
    return await handler(rest);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${usageOf(err.command)}\n`);
      return 0;
    }
    if (err instanceof UsageError) {
      // One line: what is wrong, and (for a bad command line) where the options are described.
      process.stderr.write(`coupa-sync ${command}: ${err.message}${err.hint ? ` (see coupa-sync ${command} --help)` : ''}\n`);
      return 2;
    }
    throw err;
  }
}
