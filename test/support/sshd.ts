/**
 * A real OpenSSH sshd on 127.0.0.1 for the SFTP tests: throw-away host and client keys, a
 * private sshd_config, and a folder shaped like Coupa's sFTP (<root>/Incoming/Users).
 *
 * It runs as whoever runs the tests, root or not, on a free high port: sshd then authenticates
 * only that user (by key, `AuthorizedKeysFile` in the temp dir, `StrictModes no` because the temp
 * dir is not the user's home, `UsePAM no` because PAM needs root). No `ChrootDirectory`: chroot
 * needs root, so the SFTP user sees the real file system and the remote folder is the absolute
 * path `incomingDir` (the same path the emulator's loader reads).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { SSHD, missingMessage } from './prerequisites';

export interface RunningSshd {
  host: '127.0.0.1';
  port: number;
  username: string;
  privateKey: string;
  privateKeyPath: string;
  /** `127.0.0.1 ssh-ed25519 AAAA…`, as ssh-keyscan prints it. */
  hostKeyLine: string;
  /** `SHA256:…`, as ssh-keygen -l prints it. */
  hostKeyFingerprint: string;
  /** The temp folder standing for Coupa's sFTP root. */
  root: string;
  /** `<root>/Incoming/Users`: the remote folder to deliver to, and where the loader reads. */
  incomingDir: string;
  /** sshd's stderr so far (for failing-test messages). */
  log(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the port answers with an SSH banner; bounded by `timeoutMs`. */
async function waitForBanner(port: number, timeoutMs: number, exited: () => boolean): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !exited()) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      const done = (result: boolean): void => {
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('data', (d) => done(d.toString('latin1').startsWith('SSH-')));
      socket.once('error', () => done(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'coupa-sync-test', '-f', path], { stdio: 'pipe' });
}

export async function startSshd(options: { sshdPath?: string } = {}): Promise<RunningSshd> {
  const sshdPath = options.sshdPath ?? SSHD.path;
  if (!existsSync(sshdPath)) {
    throw new Error(`${missingMessage({ ...SSHD, path: sshdPath })} (the SFTP tests need a real server)`);
  }
  const username = userInfo().username;

  const work = mkdtempSync(join(tmpdir(), 'coupa-sync-sshd-'));
  const root = join(work, 'sftp');
  const incomingDir = join(root, 'Incoming', 'Users');
  mkdirSync(incomingDir, { recursive: true });
  mkdirSync(join(root, 'Incoming', 'Archive', 'Users'), { recursive: true });
  // sshd started by root checks its privilege-separation folder exists (Debian creates it at boot).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const hostKeyPath = join(work, 'host_ed25519');
  const clientKeyPath = join(work, 'client_ed25519');
  keygen(hostKeyPath);
  keygen(clientKeyPath);
  const authorizedKeys = join(work, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${clientKeyPath}.pub`), { mode: 0o600 });
  const hostPub = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(/\s+/);
  const hostKeyLine = `127.0.0.1 ${hostPub[0]} ${hostPub[1]}`;
  // Fingerprint from ssh-keygen, not our own code, so tests check the adapter against OpenSSH.
  const hostKeyFingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyPath}.pub`], {
    encoding: 'utf8',
  }).split(/\s+/)[1];

  const port = await freePort();
  const config = join(work, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `Port ${port}`,
      `HostKey ${hostKeyPath}`,
      `PidFile ${join(work, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      // Root runs the tests in CI's containers; key-only, as for any user.
      'PermitRootLogin prohibit-password',
      `AllowUsers ${username}`,
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      'ForceCommand internal-sftp',
      '',
    ].join('\n'),
  );

  let stderr = '';
  let exited = false;
  const child: ChildProcess = spawn(sshdPath, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });

  // Should a test process die without stop(), do not leave a listening sshd behind.
  const killOnExit = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const cleanup = (): void => {
    process.removeListener('exit', killOnExit);
    rmSync(work, { recursive: true, force: true });
  };
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exitedPromise, new Promise((r) => setTimeout(r, 3000))]);
      if (!exited) child.kill('SIGKILL');
    }
    cleanup();
  };

  if (!(await waitForBanner(port, START_TIMEOUT_MS, () => exited))) {
    await stop();
    throw new Error(`sshd did not start on 127.0.0.1:${port} within ${START_TIMEOUT_MS / 1000} s:\n${stderr}`);
  }

  return {
    host: '127.0.0.1',
    port,
    username,
    privateKey: readFileSync(clientKeyPath, 'utf8'),
    privateKeyPath: clientKeyPath,
    hostKeyLine,
    hostKeyFingerprint,
    root,
    incomingDir,
    log: () => stderr,
    stop,
  };
}
