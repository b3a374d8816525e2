/**
 * `coupa-sync run --delivery csv` as a user runs it: a real child process, a real OpenSSH sshd
 * serving /Incoming/Users, the emulator's CSV loader over that folder, results read back.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { SSHD, skipWithout } from '../support/prerequisites';
import { startSshd, type RunningSshd } from '../support/sshd';

const exec = promisify(execFile);

let sshd: RunningSshd;
let emulator: RunningEmulator;
let dir: string;

const noSshd = skipWithout(SSHD);

beforeAll(async () => {
  if (noSshd) return;
  sshd = await startSshd();
  // No polling timer: each test decides when "Coupa" picks files up (see loaderRunning).
  emulator = await startEmulator({ seed: 'demo', loader: { incomingDir: sshd.incomingDir } });
  dir = await mkdtemp(join(tmpdir(), 'coupa-sync-cli-csv-'));
});
afterAll(async () => {
  await emulator?.close();
  await sshd?.stop();
});

/** Runs the CLI while the emulator's loader picks files up every 200 ms, like Coupa's schedule. */
async function withLoaderRunning<T>(work: Promise<T>): Promise<T> {
  let busy = false; // one pass at a time, as Coupa's job runs
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void emulator.processIncoming().finally(() => (busy = false));
  }, 200);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    COUPA_CLIENT_ID: emulator.credentials.clientId,
    COUPA_CLIENT_SECRET: emulator.credentials.clientSecret,
    COUPA_SFTP_KEY_FILE: sshd.privateKeyPath,
  };
  try {
    const { stdout, stderr } = await exec(process.execPath, ['bin/coupa-sync.mjs', ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(noSshd)('coupa-sync run --delivery csv over real sFTP', () => {
  it('delivers user-import files, waits for the loader and reports every HR row', async () => {
    // Prepare
    const file = join(dir, 'hr.csv');
    await writeFile(file, 'login,email,firstname,lastname,active\ncli.csv.one,cli.csv.one@example.com,Cli,One,true\nsteady.state,,,,false\nclash,steady@example.com,Clash,Mail,true\n');
    const report = join(dir, 'report.json');
    const sftpUrl = `sftp://${sshd.username}@127.0.0.1:${sshd.port}${sshd.incomingDir}`;
    // Pre-flight off: it would reject the clashing e-mail in the plan; here Coupa's loader must refuse it and be read back.
    const config = join(dir, 'no-preflight.json');
    await writeFile(config, JSON.stringify({ preflight: { enabled: false } }));
    // Act
    const { code, stdout } = await withLoaderRunning(
      cli(['run', file, '--config', config, '--coupa-url', emulator.url, '--delivery', 'csv', '--sftp-url', sftpUrl, '--sftp-host-key', sshd.hostKeyLine, '--wait-results', '30', '--report', report]),
    );
    // Assess
    expect(stdout).not.toContain('WARNING');
    expect(code).toBe(1);
    const written = JSON.parse(await readFile(report, 'utf8'));
    expect(written.rows.map((r: { row: number; outcome: string }) => [r.row, r.outcome])).toEqual([[1, 'applied'], [2, 'deactivated'], [3, 'failed']]);
    expect(written.rows[2].errors[0]).toContain('Email has already been taken');
    expect(emulator.users().find((u) => u.login === 'cli.csv.one')).toMatchObject({ active: true, lastname: 'One' });
    expect(emulator.users().find((u) => u.login === 'steady.state')).toMatchObject({ active: false });
  });

  it('warns with the fingerprint when the host key is not pinned, and --wait-results 0 leaves rows submitted', async () => {
    // Coupa's loader does not run during this test: the row can only be "submitted".
    const file = join(dir, 'nowait.csv');
    await writeFile(file, 'login,email,firstname,lastname\ncli.csv.two,cli.csv.two@example.com,Cli,Two\n');
    const sftpUrl = `sftp://${sshd.username}@127.0.0.1:${sshd.port}${sshd.incomingDir}`;
    const { code, stdout } = await cli(['run', file, '--coupa-url', emulator.url, '--delivery', 'csv', '--sftp-url', sftpUrl, '--wait-results', '0']);
    expect(stdout).toContain(`WARNING: accepting the sFTP server's host key ${sshd.hostKeyFingerprint} without verification`);
    expect(stdout).toContain('submitted 1');
    expect(code).toBe(0);
  });

  it('refuses a server whose host key does not match the pin (exit 1, row failed with the reason)', async () => {
    const file = join(dir, 'pinned.csv');
    await writeFile(file, 'login,email,firstname,lastname\ncli.csv.three,cli.csv.three@example.com,Cli,Three\n');
    const sftpUrl = `sftp://${sshd.username}@127.0.0.1:${sshd.port}${sshd.incomingDir}`;
    const wrongKey = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const { code, stdout } = await cli(['run', file, '--coupa-url', emulator.url, '--delivery', 'csv', '--sftp-url', sftpUrl, '--sftp-host-key', wrongKey]);
    expect(code).toBe(1);
    expect(stdout).toContain('SFTP host key mismatch');
    expect(emulator.users().some((u) => u.login === 'cli.csv.three')).toBe(false);
  });
});
