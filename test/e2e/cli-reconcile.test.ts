/**
 * `coupa-sync plan`, `run --roster full` and `approve` as real child processes against the emulator
 * (XML, the CLI's default): exit codes 0/1/2/3, the report files, the state folder shared by a held
 * run and its approval, and what reached Coupa (emulator.requests).
 */
import { execFile } from 'node:child_process';
import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import type { RunReport } from '../../lambdas/core/model';
import { hrCsv, logins, person, seedEmployee, writeHrFile } from '../support/roster-factories';

const exec = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A fresh emulator (stay.one, leaver.one, leaver.two), a temp folder, and the CLI bound to both. */
async function setUp() {
  emulator = await startEmulator({ seed: [seedEmployee('stay.one', 101), seedEmployee('leaver.one', 102), seedEmployee('leaver.two', 103)] });
  const em = emulator;
  const dir = await mkdtemp(join(tmpdir(), 'cli-reconcile-'));
  const stateDir = join(dir, 'state');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', COUPA_CLIENT_ID: em.credentials.clientId, COUPA_CLIENT_SECRET: em.credentials.clientSecret };
  /** `coupa-sync <command> <arg> --coupa-url <emulator> --state-dir <temp> …rest`. */
  const cli = async (command: string, arg: string, ...rest: string[]): Promise<CliResult> => {
    try {
      const { stdout, stderr } = await exec(process.execPath, ['bin/coupa-sync.mjs', command, arg, '--coupa-url', em.url, '--state-dir', stateDir, ...rest], { env, timeout: 30_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const config = async (roster: Record<string, unknown>) => {
    const path = join(dir, 'config.json');
    await writeFile(path, JSON.stringify({ roster }));
    return path;
  };
  /** A command line as the CLI printed it (`coupa-sync …`), run by the shell from another folder. */
  const paste = async (line: string): Promise<CliResult> => {
    const script = line.replace(/^coupa-sync /, `${process.execPath} ${join(process.cwd(), 'bin/coupa-sync.mjs')} `);
    try {
      const { stdout, stderr } = await exec('bash', ['-c', script], { env, cwd: tmpdir(), timeout: 30_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  return {
    cli,
    paste,
    dir,
    config,
    /** POST/PUT requests to the Users API, as `METHOD /path`. */
    writes: () => em.requests.filter((r) => r.path.startsWith('/api/') && r.method !== 'GET').map((r) => `${r.method} ${r.path}`),
    active: () => Object.fromEntries(em.users().map((u) => [u.login, u.active])),
    readReport: async (path: string) => JSON.parse(await readFile(path, 'utf8')) as RunReport,
  };
}

describe('coupa-sync plan', () => {
  it('exits 0, writes the same planned report to every --report with before → after and the guards, and writes nothing to Coupa', async () => {
    // Prepare
    const { cli, dir, writes, readReport, active } = await setUp();
    const file = await writeHrFile(join(dir, 'hr.csv'), [person('stay.one', { lastname: 'Renamed' }), person('new.hire')]);
    const [one, two] = [join(dir, 'plan-1.json'), join(dir, 'reports', 'plan-2.json')];
    // Act
    const { code, stdout } = await cli('plan', file, '--roster', 'full', '--report', one, '--report', two);
    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('Dry run (nothing written)');
    const report = await readReport(one);
    expect(await readReport(two)).toEqual(report);
    expect(report).toMatchObject({ status: 'planned', dryRun: true, roster: { mode: 'full', rows: 2, logins: 2 } });
    expect(report.rows.map((r) => [r.login, r.outcome, r.changes])).toEqual([
      ['stay.one', 'updated', [{ field: 'lastname', before: 'Staff', after: 'Renamed' }]],
      [
        'new.hire',
        'created',
        [{ field: 'active', after: true }, { field: 'email', after: 'new.hire@example.com' }, { field: 'firstname', after: 'Pat' }, { field: 'lastname', after: 'Staff' }],
      ],
    ]);
    expect(report.absentees.map((a) => [a.login, a.outcome, a.changes])).toEqual([
      ['leaver.one', 'deactivated', [{ field: 'active', before: true, after: false }]],
      ['leaver.two', 'deactivated', [{ field: 'active', before: true, after: false }]],
    ]);
    expect(report.guards.map((g) => g.guard)).toEqual(['deactivation', 'completeness']);
    expect(writes()).toEqual([]);
    expect(active()).toEqual({ 'stay.one': true, 'leaver.one': true, 'leaver.two': true });
  });

  it('exits 1 when a row would be rejected, still writing nothing', async () => {
    // Prepare
    const { cli, dir, writes, readReport } = await setUp();
    const file = await writeHrFile(join(dir, 'hr.csv'), [person('stay.one'), person('bad.row', { email: 'not-an-address' })]);
    const path = join(dir, 'plan.json');
    // Act
    const { code } = await cli('plan', file, '--report', path);
    // Assess
    expect(code).toBe(1);
    const report = await readReport(path);
    expect(report.status).toBe('planned');
    expect(report.rows.map((r) => [r.login, r.outcome])).toEqual([['stay.one', 'unchanged'], ['bad.row', 'rejected']]);
    expect(writes()).toEqual([]);
  });
});

describe('coupa-sync run --roster full and approve', () => {
  it('exits 3 when held, writing nothing; the printed approve command, pasted, applies it (exit 0), and only once (exit 2)', async () => {
    // Prepare: two leavers, more than roster.maxDeactivations 1
    const { cli, paste, dir, config, writes, readReport, active } = await setUp();
    const file = await writeHrFile(join(dir, 'hr.csv'), [person('stay.one')]);
    const cfg = await config({ maxDeactivations: 1 });
    const heldPath = join(dir, 'held.json');
    const heldCsv = join(dir, 'held.csv');
    // Act: the held run
    const held = await cli('run', file, '--roster', 'full', '--config', cfg, '--report', heldPath, '--report', heldCsv);
    // Assess: exit 3, nothing written, the reason stated once (not on each held row), the commands printed whole
    expect(held.code).toBe(3);
    const report = await readReport(heldPath);
    expect(report.status).toBe('held');
    expect(report.reason).toBe('held by the deactivation guard (the run would deactivate 2 users, more than roster.maxDeactivations (1)): nothing was written');
    expect(report.absentees).toEqual([
      { login: 'leaver.one', outcome: 'held', changes: [{ field: 'active', before: true, after: false }] },
      { login: 'leaver.two', outcome: 'held', changes: [{ field: 'active', before: true, after: false }] },
    ]);
    expect(held.stdout.split(report.reason!)).toHaveLength(2);
    // report.csv: the reason once, in the run's own first record; never on a held row
    expect((await readFile(heldCsv, 'utf8')).split('deactivation guard')).toHaveLength(2);
    expect((await readFile(heldCsv, 'utf8')).split('\r\n')[1]).toContain(',,run held,,"held by the deactivation guard');
    expect(writes()).toEqual([]);
    expect(held.stderr).toContain(`[notify] Coupa user sync held: ${file}`);
    const approveLine = held.stdout.split('\n').find((l) => l.trim().startsWith('coupa-sync approve'))!.trim();
    expect(approveLine).toBe(`coupa-sync approve ${report.runId} --coupa-url ${emulator!.url} --config ${cfg} --state-dir ${join(dir, 'state')}`);
    expect(report.commands?.approve).toBe(approveLine);

    // Act: approval, pasted as printed (from another folder)
    const approvedPath = join(dir, 'approved.json');
    const approved = await paste(`${approveLine} --report ${approvedPath}`);
    // Assess: exactly the two staged deactivations; the banner says the plan's roster mode
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('· full roster ·');
    const after = await readReport(approvedPath);
    expect(after.absentees.map((a) => [a.login, a.outcome])).toEqual([['leaver.one', 'deactivated'], ['leaver.two', 'deactivated']]);
    expect(after.reason).toMatch(/^approved at \S+ \(held by the deactivation guard \(.*\): nothing was written\)$/);
    expect(writes().sort()).toEqual(['PUT /api/users/102', 'PUT /api/users/103']);
    expect(active()).toEqual({ 'stay.one': true, 'leaver.one': false, 'leaver.two': false });

    // Act + Assess: a second approval of the same run
    const again = await paste(approveLine);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`the run could not start: run ${report.runId} is not held (it is complete): nothing to approve`);
    expect(writes()).toHaveLength(2);
  });

  it('reject, pasted as printed with a --why, marks the held run rejected (exit 0); approving it then says it was rejected', async () => {
    // Prepare: a held run
    const { cli, paste, dir, config, writes, readReport } = await setUp();
    const file = await writeHrFile(join(dir, 'hr.csv'), [person('stay.one')]);
    const cfg = await config({ maxDeactivations: 1 });
    const held = await cli('run', file, '--roster', 'full', '--config', cfg);
    const printed = (command: string) => held.stdout.split('\n').find((l) => l.trim().startsWith(`coupa-sync ${command}`))!.trim();
    const rejectedPath = join(dir, 'rejected.json');
    // Act
    const rejected = await paste(`${printed('reject')} --why 'wrong export' --report ${rejectedPath}`);
    // Assess
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain('rejected: nothing of it was written, and it can no longer be approved.');
    const report = await readReport(rejectedPath);
    expect(report.status).toBe('rejected');
    expect(report.reason).toMatch(/^rejected at \S+: wrong export \(held by the deactivation guard/);
    // Act + Assess: the approve command printed before is refused now
    const approved = await paste(printed('approve'));
    expect(approved.code).toBe(2);
    expect(approved.stderr).toContain(`run ${report.runId} was rejected (rejected at `);
    const again = await paste(printed('reject'));
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`coupa-sync: nothing was rejected: run ${report.runId} is not held (it is rejected): nothing to reject\n`);
    expect(writes()).toEqual([]);
  });

  it('a plan-only run a guard would hold does not offer an approve command: it says to run it', async () => {
    // Prepare
    const { cli, dir, config, writes } = await setUp();
    const file = await writeHrFile(join(dir, 'hr.csv'), [person('stay.one')]);
    // Act
    const planned = await cli('plan', file, '--roster', 'full', '--config', await config({ maxDeactivations: 1 }));
    // Assess
    expect(planned.code).toBe(0);
    expect(planned.stdout).not.toContain('coupa-sync approve');
    expect(planned.stdout).toContain('a real run would be held by the deactivation guard');
    expect(planned.stdout).toContain('To apply it, run the same command with "run" instead of "plan" (a guard will hold it for approval).');
    expect(writes()).toEqual([]);
  });

  it('exits 2 and writes nothing when a full roster breaks part-way', async () => {
    // Prepare: 3,000 valid rows, then a quote that never closes
    const { cli, dir, writes, active } = await setUp();
    const file = await writeHrFile(join(dir, 'hr.csv'), logins('staff', 3000).map((l) => person(l)));
    await appendFile(file, 'broken,"never closed@example.com,Pat,Staff\n');
    // Act
    const { code, stderr } = await cli('run', file, '--roster', 'full');
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('the run could not start:');
    expect(stderr).toContain('a full roster must be read to its end (its absentees would be deactivated): nothing was changed');
    expect(writes()).toEqual([]);
    expect(active()).toEqual({ 'stay.one': true, 'leaver.one': true, 'leaver.two': true });
  });

  it('exits 2 and writes nothing when a delta file breaks half-way, naming the file, the row and the line', async () => {
    // Prepare: 50,000 rows, row 25,000 opens a quote that never closes
    const { cli, dir, writes, active } = await setUp();
    const rows = logins('staff', 50_000).map((l) => person(l));
    const text = hrCsv(rows).split('\n');
    text[25_000] = 'broken,"never closed@example.com,Pat,Staff';
    const file = join(dir, 'delta.csv');
    await writeFile(file, text.join('\n'));
    // Act
    const { code, stdout, stderr } = await cli('run', file);
    // Assess
    expect(code).toBe(2);
    // (the open quote swallows the rest of the file, so the row's size limit is what stops it)
    expect(stderr).toBe(
      `coupa-sync: the run could not start: ${file}: cannot read the file as CSV: data row 25000 (starting on line 25001 of the file) ` +
        'is longer than hr.limits.maxRecordBytes (65536 bytes): a quoted cell that is never closed, or a row that is no HR record; ' +
        'a file must be read to its end before anything is applied (a later row of a login could undo an earlier one): nothing was changed. Fix the file (or its export) and run it again\n',
    );
    expect(stdout).not.toContain('Run ');
    expect(writes()).toEqual([]);
    expect(active()).toEqual({ 'stay.one': true, 'leaver.one': true, 'leaver.two': true });
  });

  it.each([
    [['approve', 'no-such-run'], 'the run could not start: no run no-such-run is kept here (see --state-dir)'],
    [['run', 'examples/hr-users.csv', '--roster', 'everyone'], '--roster must be full or delta, not "everyone"'],
  ])('exits 2 for %j', async ([command, arg, ...rest], message) => {
    // Prepare
    const { cli, writes } = await setUp();
    // Act
    const { code, stderr } = await cli(command, arg, ...rest);
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(writes()).toEqual([]);
  });
});
