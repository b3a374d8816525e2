/**
 * Pre-flight through the CLI as a real child process against the emulator: `coupa-sync plan`
 * rejects a row naming a department Coupa does not have (naming field, column and value, exit 1,
 * nothing written), and passes once the department exists in Coupa — the kept list is read again
 * once because the value was missing from it. Then `run` applies it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import type { RunReport } from '../../lambdas/core/model';
import { seedEmployee, writeHrFile } from '../support/roster-factories';

const exec = promisify(execFile);
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('pre-flight through the CLI', () => {
  it('plans "Legal" as rejected, then passes and applies once the department exists in Coupa', async () => {
    // Prepare
    emulator = await startEmulator({ seed: [seedEmployee('stay.one', 101)] });
    const em = emulator;
    const dir = await mkdtemp(join(tmpdir(), 'cli-preflight-'));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', COUPA_CLIENT_ID: em.credentials.clientId, COUPA_CLIENT_SECRET: em.credentials.clientSecret };
    const configPath = join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify({ coupa: { format: 'json' }, hr: { fields: {
      login: { from: 'Login' }, email: { from: 'Email' }, firstname: { from: 'First Name' }, lastname: { from: 'Last Name' }, department: { from: 'Department' },
    } } }));
    const file = await writeHrFile(join(dir, 'hr.csv'), [
      { Login: 'lawyer.one', Email: 'lawyer.one@example.com', 'First Name': 'Lee', 'Last Name': 'Gal', Department: 'Legal' },
      { Login: 'clerk.one', Email: 'clerk.one@example.com', 'First Name': 'Cy', 'Last Name': 'Clerk', Department: 'Finance' },
    ]);
    const cli = async (command: string, report: string) => {
      const args = ['bin/coupa-sync.mjs', command, file, '--coupa-url', em.url, '--state-dir', join(dir, 'state'), '--config', configPath, '--report', report];
      try {
        return { code: 0, ...(await exec(process.execPath, args, { env, timeout: 30_000 })) };
      } catch (err) {
        return err as { code: number; stdout: string; stderr: string };
      }
    };
    const read = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as RunReport;
    const listReads = () => em.requests.filter((r) => r.path === '/api/departments').length;

    // Act 1: Coupa has no "Legal"
    const first = await cli('plan', join(dir, 'plan-1.json'));
    // Assess 1
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('row 1: department "Legal" (column "Department") is not a department in Coupa');
    const plan1 = await read(join(dir, 'plan-1.json'));
    expect(plan1.rows.map((r) => [r.login, r.outcome])).toEqual([['lawyer.one', 'rejected'], ['clerk.one', 'created']]);
    expect(listReads()).toBe(1);

    // Act 2: an admin adds "Legal"; the kept list lacks it, so it is read once more
    em.addReference('departments', 'Legal');
    const second = await cli('plan', join(dir, 'plan-2.json'));
    // Assess 2
    expect(second.code).toBe(0);
    expect((await read(join(dir, 'plan-2.json'))).rows.map((r) => r.outcome)).toEqual(['created', 'created']);
    expect(listReads()).toBe(2);
    expect(em.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/'))).toEqual([]);

    // Act 3: run applies both; the kept list serves (no read)
    const third = await cli('run', join(dir, 'run.json'));
    // Assess 3
    expect(third.code).toBe(0);
    expect(listReads()).toBe(2);
    const lawyer = em.users().find((u) => u.login === 'lawyer.one');
    expect(lawyer?.department).toMatchObject({ name: 'Legal' });
  });
});
