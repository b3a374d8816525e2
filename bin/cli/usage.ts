/**
 * Usage texts (one per command), the error types for bad command lines (exit code 2), and the one
 * parser every command uses: `--help`/`-h` answer with the command's own usage, and a bad flag is one
 * line naming it (never Node's parseArgs hint or a stack trace).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * A command line or its setting is wrong; main prints `coupa-sync <command>: <message>`. `hint`
 * (bad arguments) adds "(see coupa-sync <command> --help)"; a config file or environment problem has
 * nothing the usage text would fix, so it goes without.
 */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly hint = true,
  ) {
    super(message);
  }
}

/** `--help` or `-h` was given: print the command's usage on stdout, exit 0. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
  constructor(readonly command: string) {
    super(`help for ${command}`);
  }
}

const TARGET = `  --coupa-url URL        the Coupa instance (https://acme.coupahost.com, no /api); without it an embedded
                         emulator is started for the run. Credentials from the environment (below).
  --config FILE          the sync config / HR mapping (JSON); default: built-in defaults
  --format xml|json      the Users API's format (default xml; CSO is json)
  --flavor core|cso      Coupa core, or Coupa Sourcing Optimization (API key)
  --state-dir DIR        where plans, reports and the accepted roster are kept (default .coupa-sync/ with
                         --coupa-url; a throw-away folder against the embedded emulator)
  --report FILE          write the report; .json, .csv or .html by extension; may be repeated
  --delivery api|csv     the Users API (default) or user-import CSV files over sFTP
  --sftp-url URL         sftp://user@host:port/Incoming/Users (with --delivery csv)
  --sftp-host-key KEY    the sFTP server's host key (ssh-ed25519 AAAA…)
  --wait-results SECONDS how long to wait for Coupa's CSV loader verdict`;

const ENVIRONMENT = `Environment:
  COUPA_CLIENT_ID, COUPA_CLIENT_SECRET   OAuth 2.0 client (client credentials) of the Coupa instance
  COUPA_SCOPES                           default "core.user.read core.user.write"
  COUPA_CSO_API_KEY                      API key when the flavour is cso
  COUPA_SFTP_KEY_FILE | COUPA_SFTP_PASSWORD   sFTP credentials for --delivery csv`;

const EXIT_CODES = `Exit codes: 0 every row applied or unchanged · 1 some rows rejected, failed or skipped, or the run stopped
            2 the run could not start (bad arguments, unreadable or broken file, bad credentials): nothing changed
            3 a guard held the run: nothing (or, with roster.onHold "apply-rest", only the rest) written;
              check the plan, then run the coupa-sync approve (or reject) command it prints`;

export const COMMAND_USAGE: Record<string, string> = {
  run: `Usage: coupa-sync run <hr-file> [options]
Reads the HR file, plans against Coupa, checks the guards and applies the plan (or holds it).

Options:
  --dry-run              plan only: report what would change, write nothing (= coupa-sync plan)
  --roster full|delta    full: users the file does not list are deactivated; delta: only the rows given
${TARGET}
  -h, --help             this text

${ENVIRONMENT}

${EXIT_CODES}`,
  plan: `Usage: coupa-sync plan <hr-file> [options]
The plan (before → after of each field, the guards' verdicts), written nowhere in Coupa (= run --dry-run).
To apply it, run the same command with "run" instead of "plan".

Options:
  --roster full|delta    full: users the file does not list would be deactivated; delta: only the rows given
${TARGET}
  -h, --help             this text

${ENVIRONMENT}

Exit codes: 0 the plan was made · 1 some rows would be rejected · 2 the plan could not be made`,
  approve: `Usage: coupa-sync approve <runId> --coupa-url URL [--config FILE] [--state-dir DIR] [--report FILE]...
       coupa-sync approve <runId> --table NAME      (AWS: approve a run the deployed stack holds)
Applies a held run's staged changes, each re-checked against Coupa as it is now. Give the same
--coupa-url, --config and --state-dir as the held run (the held run prints the whole command).

Options:
  --table NAME           AWS: the stack's run table (its RunTableName output): the run's approval token is sent
                         back to its state machine (the RunApprover role may do exactly that)
${TARGET}
  -h, --help             this text

${ENVIRONMENT}

${EXIT_CODES}`,
  reject: `Usage: coupa-sync reject <runId> [--why TEXT] [--state-dir DIR] [--report FILE]...
       coupa-sync reject <runId> --table NAME [--why TEXT]   (AWS: reject a run the deployed stack holds)
Marks a held run rejected: nothing of it is written, and it can no longer be approved. Give the same
--state-dir as the held run (the held run prints the whole command).

Options:
  --why TEXT             why it was rejected (kept in the report and the digest)
  --table NAME           AWS: the stack's run table (its RunTableName output)
  --state-dir DIR        where the held run is kept (default .coupa-sync/)
  --report FILE          write the rejected run's report; .json, .csv or .html; may be repeated
  -h, --help             this text

Exit codes: 0 the run is rejected · 2 no such held run (or it was approved, rejected or expired already)`,
  demo: `Usage: coupa-sync demo
What npm start runs: examples/hr-users.csv through the whole pipeline against an embedded Coupa emulator,
the summary printed and the report written to runs/demo-report.json. It takes the run options too.

Options:
  -h, --help             this text`,
};

export const USAGE = `Usage: coupa-sync <command> [options]     (coupa-sync <command> --help for its options)

Commands:
  run <hr-file>          sync an HR file to Coupa (plan, guards, apply)
  plan <hr-file>         the plan only: what run would change, written nowhere
  approve <runId>        apply a run a guard held
  reject <runId>         reject a run a guard held
  emulator               serve a Coupa emulator on 127.0.0.1 for your own tries
  demo                   what npm start runs: the example file against an embedded emulator

${ENVIRONMENT}

${EXIT_CODES}`;

/** The option name in a parseArgs error ("Unknown option '--x'", "Option '--port <value>' argument missing"). */
function optionIn(message: string): string | undefined {
  return /'(-[^' ]+)/.exec(message)?.[1];
}

/**
 * parseArgs for `command`, strict: `--help`/`-h` anywhere before `--` throws HelpRequested; an unknown
 * option or a missing value is a UsageError naming the option.
 */
export function parseCommandLine<T extends Required<Pick<ParseArgsConfig, 'options'>>>(
  command: string,
  argv: string[],
  config: T,
): { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] } {
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')) throw new HelpRequested(command);
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: config.options });
    return { values: values as Record<string, string | string[] | boolean | undefined>, positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const option = optionIn((err as Error).message);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${option}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      throw new UsageError(/does not take/.test((err as Error).message) ? `${option} takes no value` : `${option} needs a value`);
    }
    throw new UsageError((err as Error).message);
  }
}
