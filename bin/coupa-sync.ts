/** `coupa-sync` command dispatcher: returns the process exit code, never calls process.exit. */
import { runDemoCommand } from './cli/demo-command';
import { runEmulatorCommand } from './cli/emulator-command';
import { runApproveCommand, runPlanCommand, runRunCommand } from './cli/run-command';
import { USAGE, UsageError } from './cli/usage';

// For bench/unthrottled.mjs only: the bench turns the rate governor off in the very module instance
// the CLI runs, which (bundled, bin/cli-loader.mjs) is reachable only through this module's exports.
export { TokenBucket } from '../lambdas/adapters/coupa/token-bucket';

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runRunCommand(rest);
      case 'plan':
        return await runPlanCommand(rest);
      case 'approve':
        return await runApproveCommand(rest);
      case 'emulator':
        return await runEmulatorCommand(rest);
      case 'demo':
        return await runDemoCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`coupa-sync: ${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}
