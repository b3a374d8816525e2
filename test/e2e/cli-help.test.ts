/**
 * Every subcommand answers --help with its own usage (exit 0), and a bad flag or a bad config is one
 * line on stderr (exit 2): no stack trace, no Node parser hint, no usage text after a config error.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli';

const COMMANDS = ['run', 'plan', 'approve', 'reject', 'demo', 'emulator'];

describe('coupa-sync --help and bad flags', () => {
  it.each(COMMANDS.flatMap((c) => [[c, '--help'], [c, '-h']]))('%s %s prints its own usage and exits 0', async (command, flag) => {
    // Act
    const { code, stdout, stderr } = await cli([command, flag]);
    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: coupa-sync ${command}\\b`));
    expect(stderr).toBe('');
  });

  it('lists the emulator fault options in its help', async () => {
    // Act
    const { stdout } = await cli(['emulator', '--help']);
    // Assess
    for (const option of ['--latency MS', '--rate-limit N', '--error-rate X', '--reset-rate X', '--fault-seed N']) expect(stdout).toContain(option);
  });

  it('lists every command in the top-level help', async () => {
    // Act
    const { code, stdout } = await cli(['--help']);
    // Assess
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it.each(COMMANDS)('%s --bogus is one line naming the option and --help, exit 2', async (command) => {
    // Act
    const { code, stdout, stderr } = await cli([command, '--bogus']);
    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(`coupa-sync ${command}: unknown option --bogus (see coupa-sync ${command} --help)\n`);
    expect(stdout).toBe('');
  });

  it.each([
    [['run', 'examples/hr-users.csv', '--report'], 'coupa-sync run: --report needs a value (see coupa-sync run --help)'],
    [['plan', 'examples/hr-users.csv', '--roster', 'half'], 'coupa-sync plan: --roster must be full or delta, not "half" (see coupa-sync plan --help)'],
    [['emulator', '--latency', 'slow'], 'coupa-sync emulator: --latency must be a number from 0 to 600000, not "slow" (see coupa-sync emulator --help)'],
    [['run', 'examples/hr-users.csv', '--config', 'no/such/config.json'], 'coupa-sync run: cannot read the config file no/such/config.json: no such file (check the path)'],
    [['frobnicate'], 'coupa-sync: unknown command "frobnicate" (see coupa-sync --help)'],
  ])('%j is one line, exit 2', async (args, line) => {
    // Act
    const { code, stderr } = await cli(args);
    // Assess
    expect(code).toBe(2);
    expect(stderr).toBe(`${line}\n`);
  });

  it('a config error is not followed by the usage text', async () => {
    // Act
    const { stderr } = await cli(['run', 'examples/hr-users.csv', '--config', 'examples/hr-users.csv']);
    // Assess
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toContain('Usage');
  });
});
