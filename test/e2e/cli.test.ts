/** The CLI contract (exit codes, report file, credentials), run as a real child process. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { startEmulator, type RunningEmulator } from '../../emulator/server';

describe('coupa-sync CLI', () => {
  let dir: string;
  let emulator: RunningEmulator;
  let creds: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coupa-sync-cli-'));
    emulator = await startEmulator({ seed: 'demo' });
    creds = { COUPA_CLIENT_ID: emulator.credentials.clientId, COUPA_CLIENT_SECRET: emulator.credentials.clientSecret };
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('npm start (demo) runs the example end to end and exits 0', async () => {
    const { code, stdout } = await cli(['demo']);
    expect(code).toBe(0);
    expect(stdout).toContain('created 1 · updated 1 · deactivated 1 · unchanged 1 · rejected 2 · failed 0');
    expect(stdout).toContain('row 5  dup.email  rejected: row 5: e-mail (column "email") belongs to Coupa user "mgr.jones" already');
    expect(stdout).toContain('Report: runs/demo-report.json');
  });

  it('run against a Coupa URL writes the report and exits 1 when rows failed', async () => {
    const report = join(dir, 'report.json');
    const { code, stdout } = await cli(['run', 'examples/hr-users.csv', '--coupa-url', emulator.url, '--format', 'json', '--report', report], creds);
    expect(code).toBe(1);
    const written = JSON.parse(await readFile(report, 'utf8'));
    expect(written).toMatchObject({ file: 'examples/hr-users.csv', roster: { rows: 6, logins: 6 }, totals: { rows: 6, failed: 0, rejected: 2 } });
    // One count of logins with one meaning, and a status that says the run had failures
    expect(stdout).toContain('6 row(s) naming 6 distinct login(s)');
    expect(stdout).toContain('  Completed with 2 failures: created ');
    expect(Object.keys(written)).toEqual(['runId', 'file', 'status', 'roster', 'startedAt', 'finishedAt', 'totals', 'guards', 'rows', 'absentees']);
  });

  it('exits 0 when every row is applied or unchanged', async () => {
    const file = join(dir, 'clean.csv');
    await writeFile(file, 'login,email,firstname,lastname\nclean.one,clean.one@example.com,Clean,One\n');
    const { code, stdout } = await cli(['run', file, '--coupa-url', emulator.url], creds);
    expect(code).toBe(0);
    expect(stdout).toContain('created 1');
  });

  it('lists the rows applied with a warning (a manager that exists nowhere) and what each means', async () => {
    // Prepare
    const file = join(dir, 'ghost-manager.csv');
    await writeFile(file, 'login,email,firstname,lastname,manager\nwarned.one,warned.one@example.com,Warned,One,ghost.boss\n');
    // Act
    const { code, stdout } = await cli(['run', file, '--coupa-url', emulator.url], creds);
    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('With warnings (1): applied without the part each warning names; fix it in HR and run the file again:');
    expect(stdout).toMatch(/\n  row 1  warned\.one  created: manager "ghost\.boss" .*not in Coupa/);
  });

  it('--dry-run reports the plan and writes nothing', async () => {
    const file = join(dir, 'dry.csv');
    await writeFile(file, 'login,email,firstname,lastname\ndry.one,dry.one@example.com,Dry,One\n');
    const { code, stdout } = await cli(['run', file, '--coupa-url', emulator.url, '--dry-run'], creds);
    expect(code).toBe(0);
    expect(stdout).toContain('Dry run (nothing written)');
    expect(emulator.users().some((u) => u.login === 'dry.one')).toBe(false);
  });

  it('--flavor cso syncs against a CSO instance with the API key (creates, deactivates to Disabled)', async () => {
    const cso = await startEmulator({ flavor: 'cso', seed: 'demo' });
    try {
      const file = join(dir, 'cso.csv');
      await writeFile(file, 'login,email,firstname,lastname,active\ncso.new,cso.new@example.com,Cee,Oh,true\ncso.leaver,,,,false\n');
      const { code, stdout } = await cli(['run', file, '--flavor', 'cso', '--coupa-url', cso.url], { COUPA_CSO_API_KEY: cso.credentials.apiKey });
      expect(code).toBe(0);
      expect(stdout).toContain('cso/json');
      expect(cso.users().find((u) => u.name === 'cso.new')).toMatchObject({ state: 'Active', 'first-name': 'Cee', email: 'cso.new@example.com' });
      expect(cso.users().find((u) => u.name === 'cso.leaver')).toMatchObject({ state: 'Disabled' });
    } finally {
      await cso.close();
    }
  });

  it.each([
    [['run'], 'run takes exactly one HR file'],
    [['run', 'examples/hr-users.csv', '--flavor', 'cso', '--format', 'xml'], 'CSO speaks JSON only'],
    [['run', 'examples/hr-users.csv', '--format', 'yaml'], '--format must be xml or json'],
    [['run', 'no/such/file.csv'], 'cannot read the file'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['run', 'examples/hr-users.csv', '--coupa-url', 'http://acme.coupahost.com'], 'credentials go only over https://'],
  ])('exits 2 for %j', async (args, message) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('exits 2 when Coupa cannot be reached, before anything is applied', async () => {
    const config = join(dir, 'quick-retries.json');
    await writeFile(config, JSON.stringify({ coupa: { maxAttempts: 2, maxRetryMs: 2000 } }));
    const { code, stderr } = await cli(['run', 'examples/hr-users.csv', '--coupa-url', 'http://127.0.0.1:1', '--config', config], creds);
    expect(code).toBe(2);
    expect(stderr).toContain('the run could not start: cannot reach Coupa at http://127.0.0.1:1');
  });

  it('exits 2 when the report cannot be written, before Coupa is touched', async () => {
    emulator.resetLog();
    const { code, stderr } = await cli(['run', 'examples/hr-users.csv', '--coupa-url', emulator.url, '--report', '/dev/null/report.json'], creds);
    expect(code).toBe(2);
    expect(stderr).toContain('cannot write the report to /dev/null/report.json');
    expect(emulator.requests).toHaveLength(0);
  });

  it('says so when the file has no data rows', async () => {
    const file = join(dir, 'header-only.csv');
    await writeFile(file, 'login,email\n');
    const { code, stdout } = await cli(['run', file, '--coupa-url', emulator.url], creds);
    expect(code).toBe(0);
    expect(stdout).toContain('The file has no data rows');
  });

  it('exits 2 when credentials are missing or wrong', async () => {
    const missing = await cli(['run', 'examples/hr-users.csv', '--coupa-url', emulator.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('COUPA_CLIENT_ID');
    const wrong = await cli(['run', 'examples/hr-users.csv', '--coupa-url', emulator.url], { COUPA_CLIENT_ID: 'nobody', COUPA_CLIENT_SECRET: 'nope' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/could not start/);
  });
});
