/**
 * A real OpenSSH sshd on 127.0.0.1 for the SFTP tests: throw-away host and client keys, a
 * private sshd_config, and a chroot shaped like Coupa's sFTP (/Incoming/Users).
 *
 * Login user: root, confined by `ChrootDirectory` + `ForceCommand internal-sftp` and allowed by
 * key only (`PermitRootLogin prohibit-password`). That needs no system user to be created, works
 * wherever the tests run as root (here and in CI), and the emulator's loader (same process, root)
 * can read and move the uploaded files. sshd insists that every component of the chroot path is
 * root-owned and not group/world-writable, which rules out /tmp and /var/tmp (mode 1777): the
 * chroot lives under /srv/coupa-sync-sshd/.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  /** Local path of the chroot (the SFTP user's `/`). */
  root: string;
  /** Local path of `<root>/Incoming/Users`. */
  incomingDir: string;
  /** sshd's stderr so far (for failing-test messages). */
  log(): string;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';
const CHROOT_BASE = '/srv/coupa-sync-sshd';
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
  const sshdPath = options.sshdPath ?? SSHD;
  if (!existsSync(sshdPath)) {
    throw new Error(
      'OpenSSH sshd not found: install it with `sudo apt-get update && sudo apt-get install -y openssh-server` (the SFTP tests need a real server)',
    );
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('The SFTP tests start a chrooted sshd and must run as root (they do in CI); run them with sudo');
  }

  // Keys and config: a private temp dir. The chroot: root-owned 0755 at every component.
  const work = mkdtempSync(join(tmpdir(), 'coupa-sync-sshd-'));
  mkdirSync(CHROOT_BASE, { recursive: true, mode: 0o755 });
  chmodSync(CHROOT_BASE, 0o755);
  const root = join(CHROOT_BASE, randomBytes(6).toString('hex'));
  mkdirSync(root, { mode: 0o755 });
  chmodSync(root, 0o755);
  const incomingDir = join(root, 'Incoming', 'Users');
  mkdirSync(incomingDir, { recursive: true });
  mkdirSync(join(root, 'Incoming', 'Archive', 'Users'), { recursive: true });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

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
      'PermitRootLogin prohibit-password',
      'AllowUsers root',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      `ChrootDirectory ${root}`,
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
    rmSync(root, { recursive: true, force: true });
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
    username: 'root',
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
