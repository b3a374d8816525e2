import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SftpFileDrop, parseSftpUrl, trustedFingerprint, type SftpFileDropOptions } from '../../lambdas/adapters/local/sftp-file-drop';
import { SSHD, skipWithout } from '../support/prerequisites';
import { startSshd, type RunningSshd } from '../support/sshd';

const noSshd = skipWithout(SSHD);
let sshd: RunningSshd;

beforeAll(async () => {
  if (!noSshd) sshd = await startSshd();
});

afterAll(async () => {
  await sshd?.stop();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const dropFor = (overrides: Partial<SftpFileDropOptions> = {}): SftpFileDrop =>
  new SftpFileDrop({
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
    hostKey: sshd.hostKeyLine,
    readyTimeoutMs: 10_000,
    ...overrides,
  });

const csvBody = (marker: string): Buffer => Buffer.from(`"Login","Email"\r\n"${marker}","${marker}@example.com"\r\n`, 'utf8');

describe.skipIf(noSshd)('SftpFileDrop against a real OpenSSH sshd', () => {
  it('uploads several files over one connection, each through a temp name then a rename', async () => {
    // Prepare
    const drop = dropFor();
    const first = csvBody('first.user');
    const second = csvBody('second.user ünïcødé');
    // Spies pass through to the real client: they only record which remote paths were used.
    const put = vi.spyOn(SftpClient.prototype, 'put');
    const rename = vi.spyOn(SftpClient.prototype, 'rename');

    // Act
    const a = await drop.deliver('users_20260101_000000Z_t_0001.csv', first, sshd.incomingDir);
    const b = await drop.deliver('users_20260101_000000Z_t_0002.csv', second, sshd.incomingDir);
    await drop.close();

    // Assess
    expect(readFileSync(join(sshd.incomingDir, 'users_20260101_000000Z_t_0001.csv'))).toEqual(first);
    expect(readFileSync(join(sshd.incomingDir, 'users_20260101_000000Z_t_0002.csv'))).toEqual(second);
    expect(readdirSync(sshd.incomingDir).filter((n) => n.endsWith('.part') || n.startsWith('.'))).toEqual([]);
    expect(put.mock.calls.map((c) => c[1])).toEqual([
      `${sshd.incomingDir}/.users_20260101_000000Z_t_0001.csv.part`,
      `${sshd.incomingDir}/.users_20260101_000000Z_t_0002.csv.part`,
    ]);
    expect(rename.mock.calls.map((c) => [c[0], c[1]])).toEqual([
      [`${sshd.incomingDir}/.users_20260101_000000Z_t_0001.csv.part`, `${sshd.incomingDir}/users_20260101_000000Z_t_0001.csv`],
      [`${sshd.incomingDir}/.users_20260101_000000Z_t_0002.csv.part`, `${sshd.incomingDir}/users_20260101_000000Z_t_0002.csv`],
    ]);
    expect(a.transferId).not.toEqual(b.transferId);
    const sessions = sshd.log().match(new RegExp(`Accepted publickey for ${sshd.username} `, 'g')) ?? [];
    expect(sessions).toHaveLength(1);
  });

  it('accepts a host key pinned as a SHA256 fingerprint', async () => {
    // Prepare
    const drop = dropFor({ hostKey: sshd.hostKeyFingerprint });

    // Act
    await drop.deliver('users_fp.csv', csvBody('fp'), sshd.incomingDir);
    await drop.close();

    // Assess
    expect(existsSync(join(sshd.incomingDir, 'users_fp.csv'))).toBe(true);
  });

  it('refuses a server whose host key does not match the pinned one, naming both fingerprints', async () => {
    // Prepare: a different, valid ed25519 key line
    const wrong = '127.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    const drop = dropFor({ hostKey: wrong });

    // Act
    const attempt = drop.deliver('users_wrong.csv', csvBody('wrong'), sshd.incomingDir);

    // Assess
    await expect(attempt).rejects.toThrow(/host key mismatch/);
    await expect(attempt).rejects.toThrow(sshd.hostKeyFingerprint);
    expect(existsSync(join(sshd.incomingDir, 'users_wrong.csv'))).toBe(false);
    await drop.close();
  });

  it('accepts an unknown host key on first use and reports its fingerprint', async () => {
    // Prepare
    const seen: string[] = [];
    const drop = dropFor({ hostKey: undefined, onUnverifiedHostKey: (fp) => seen.push(fp) });

    // Act
    await drop.deliver('users_tofu.csv', csvBody('tofu'), sshd.incomingDir);
    await drop.close();

    // Assess
    expect(seen).toEqual([sshd.hostKeyFingerprint]);
    expect(existsSync(join(sshd.incomingDir, 'users_tofu.csv'))).toBe(true);
  });

  it('says so clearly when the key is refused', async () => {
    // Prepare: a key the server does not know (the host key is as good as any other)
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/coupa-sync-key-');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const drop = dropFor({ privateKey: readFileSync(join(dir, 'k'), 'utf8') });

    // Act
    const attempt = drop.deliver('users_noauth.csv', csvBody('noauth'), sshd.incomingDir);

    // Assess
    await expect(attempt).rejects.toThrow(`SFTP authentication failed for ${sshd.username}@127.0.0.1`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconnects after close() for the next batch', async () => {
    // Prepare
    const drop = dropFor();
    await drop.deliver('users_before.csv', csvBody('before'), sshd.incomingDir);
    await drop.close();

    // Act
    await drop.deliver('users_after.csv', csvBody('after'), sshd.incomingDir);
    await drop.close();

    // Assess
    expect(existsSync(join(sshd.incomingDir, 'users_after.csv'))).toBe(true);
  });

  it('names a missing remote directory', async () => {
    // Prepare
    const drop = dropFor();

    // Act
    const missing = join(sshd.root, 'Incoming', 'Nope');
    const attempt = drop.deliver('users_nodir.csv', csvBody('nodir'), missing);

    // Assess
    await expect(attempt).rejects.toThrow(`remote directory ${missing} does not exist`);
    await drop.close();
  });

  it('never overwrites a file Coupa has not picked up yet', async () => {
    // Prepare
    const drop = dropFor();
    await drop.deliver('users_twice.csv', csvBody('one'), sshd.incomingDir);

    // Act
    const attempt = drop.deliver('users_twice.csv', csvBody('two'), sshd.incomingDir);

    // Assess
    await expect(attempt).rejects.toThrow(/already exists/);
    expect(readFileSync(join(sshd.incomingDir, 'users_twice.csv'), 'utf8')).toContain('"one"');
    await drop.close();
  });
});

describe('startSshd', () => {
  it('fails loudly, with the install command, when sshd is missing', async () => {
    // Act / Assess
    await expect(startSshd({ sshdPath: '/nonexistent/sshd' })).rejects.toThrow(
      "OpenSSH's sshd not found at /nonexistent/sshd: install it with bash .ci/install-sshd.sh",
    );
  });
});

describe.skipIf(noSshd)('trusted host key entries', () => {
  it('read keyscan, known_hosts ([host]:port) and fingerprint forms as the same key', () => {
    // Prepare
    const [, type, blob] = sshd.hostKeyLine.split(' ');

    // Act / Assess
    expect(trustedFingerprint(sshd.hostKeyLine)).toBe(sshd.hostKeyFingerprint);
    expect(trustedFingerprint(`[127.0.0.1]:${sshd.port} ${type} ${blob}`)).toBe(sshd.hostKeyFingerprint);
    expect(trustedFingerprint(`${type} ${blob} comment`)).toBe(sshd.hostKeyFingerprint);
    expect(trustedFingerprint(sshd.hostKeyFingerprint)).toBe(sshd.hostKeyFingerprint);
    expect(() => trustedFingerprint('127.0.0.1 nonsense')).toThrow(/Not a host key/);
  });
});

describe('parseSftpUrl', () => {
  it('splits user, host, port and folder, defaulting the port to 22', () => {
    // Act / Assess
    expect(parseSftpUrl('sftp://acme@sftp.coupahost.com:2222/Incoming/Users')).toEqual({
      username: 'acme',
      host: 'sftp.coupahost.com',
      port: 2222,
      remoteDirectory: '/Incoming/Users',
    });
    expect(parseSftpUrl('sftp://acme@sftp.example.com')).toMatchObject({ port: 22, remoteDirectory: '/' });
    expect(() => parseSftpUrl('https://acme@x/y')).toThrow(/Not an SFTP URL/);
    expect(() => parseSftpUrl('sftp://host/Incoming')).toThrow(/names no user/);
  });
});
