/**
 * FileDrop over direct SFTP (local runs; in AWS the Transfer Family connector does this job).
 *
 * Each file is written as `<dir>/.<name>.part` and then renamed to `<dir>/<name>`, so Coupa's
 * poller never picks up a half-written file. One connection serves every file of a batch.
 * The server's host key is pinned when `hostKey` is given; without it the key is accepted on
 * first use and reported through `onUnverifiedHostKey` (the CLI prints a warning).
 */
import { createHash, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import SftpClient from 'ssh2-sftp-client';
import type { FileDrop } from '../../core/ports';

export interface SftpFileDropOptions {
  host: string;
  port?: number;
  username: string;
  privateKey?: Buffer | string;
  password?: string;
  /**
   * Trusted host key(s): an `ssh-keyscan` / known_hosts line (`host ssh-ed25519 AAAA…`) or a
   * `SHA256:…` fingerprint as `ssh-keygen -l` prints it.
   */
  hostKey?: string | string[];
  onUnverifiedHostKey?: (fingerprint: string) => void;
  /** Bound on the SSH handshake (ms). */
  readyTimeoutMs?: number;
}

export interface SftpUrl {
  username: string;
  host: string;
  port: number;
  remoteDirectory: string;
}

/** `sftp://user@host:port/Incoming/Users` → its parts (port 22, directory `/` when absent). */
export function parseSftpUrl(url: string): SftpUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Not an SFTP URL: ${url} (expected sftp://user@host:port/Incoming/Users)`);
  }
  if (parsed.protocol !== 'sftp:') throw new Error(`Not an SFTP URL: ${url} (expected sftp://user@host:port/Incoming/Users)`);
  if (!parsed.username) throw new Error(`SFTP URL ${url} names no user (expected sftp://user@host…)`);
  return {
    username: decodeURIComponent(parsed.username),
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 22,
    remoteDirectory: decodeURIComponent(parsed.pathname) || '/',
  };
}

/** OpenSSH's `SHA256:<base64, no padding>` fingerprint of a raw public key blob. */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The fingerprint a trusted-key entry stands for (keyscan/known_hosts line or fingerprint). */
export function trustedFingerprint(entry: string): string {
  const text = entry.trim();
  if (/^SHA256:/.test(text)) return text.replace(/=+$/, '');
  const tokens = text.split(/\s+/);
  const typeIndex = tokens.findIndex((t) => /^(ssh-|ecdsa-|sk-)/.test(t));
  const blob = typeIndex >= 0 ? tokens[typeIndex + 1] : undefined;
  if (!blob || !/^[A-Za-z0-9+/]+=*$/.test(blob)) {
    throw new Error(`Not a host key: "${text.slice(0, 80)}" (expected an ssh-keyscan line or a SHA256:… fingerprint)`);
  }
  return hostKeyFingerprint(Buffer.from(blob, 'base64'));
}

export class SftpFileDrop implements FileDrop {
  private client!: SftpClient; // a fresh one per connection, made by deliver()
  private connecting?: Promise<void>;
  private readonly trusted: string[];

  constructor(private readonly options: SftpFileDropOptions) {
    const keys = options.hostKey === undefined ? [] : [options.hostKey].flat();
    this.trusted = keys.map(trustedFingerprint);
  }

  /**
   * A fresh client per connection. Its global listeners only note that the connection went
   * away (the next delivery reconnects); the library's defaults would print to the console.
   */
  private newClient(): SftpClient {
    const lost = (): void => {
      if (this.client === client) this.connecting = undefined;
    };
    const client: SftpClient = new SftpClient('coupa-user-sync', { error: lost, end: lost, close: lost });
    return client;
  }

  private get where(): string {
    return `${this.options.username}@${this.options.host}:${this.options.port ?? 22}`;
  }

  private async connect(): Promise<void> {
    let seen: string | undefined;
    let mismatch = false;
    const hostVerifier = (key: Buffer): boolean => {
      seen = hostKeyFingerprint(key);
      if (this.trusted.length === 0) {
        this.options.onUnverifiedHostKey?.(seen);
        return true;
      }
      mismatch = !this.trusted.includes(seen);
      return !mismatch;
    };
    try {
      await this.client.connect({
        host: this.options.host,
        port: this.options.port ?? 22,
        username: this.options.username,
        ...(this.options.privateKey !== undefined ? { privateKey: this.options.privateKey } : {}),
        ...(this.options.password !== undefined ? { password: this.options.password } : {}),
        hostVerifier,
        readyTimeout: this.options.readyTimeoutMs ?? 20_000,
      });
    } catch (err) {
      const detail = (err as Error).message;
      if (mismatch) {
        throw new Error(
          `SFTP host key mismatch for ${this.options.host}:${this.options.port ?? 22}: expected ${this.trusted.join(' or ')}, ` +
            `the server presented ${seen}. Refusing to connect (check the trusted host key, or whether someone is in between).`,
        );
      }
      if (/authentication methods failed/i.test(detail)) {
        throw new Error(`SFTP authentication failed for ${this.where}: the server refused the ${this.options.privateKey !== undefined ? 'private key' : 'password'}`);
      }
      throw new Error(`SFTP connection to ${this.where} failed: ${detail}`);
    }
  }

  async deliver(name: string, body: Buffer, remoteDir: string): Promise<{ transferId: string }> {
    if (name.includes('/') || name.startsWith('.')) throw new Error(`Not a plain file name: ${name}`);
    if (!this.connecting) {
      this.client = this.newClient();
      this.connecting = this.connect();
    }
    try {
      await this.connecting;
    } catch (err) {
      this.connecting = undefined;
      throw err;
    }
    const finalPath = posix.join(remoteDir, name);
    const partPath = posix.join(remoteDir, `.${name}.part`);
    try {
      if ((await this.client.exists(remoteDir)) !== 'd') {
        throw new Error(`SFTP remote directory ${remoteDir} does not exist on ${this.where}`);
      }
      if (await this.client.exists(finalPath)) {
        throw new Error(`SFTP ${finalPath} already exists on ${this.where}; refusing to overwrite it`);
      }
      await this.client.put(body, partPath);
      await this.client.rename(partPath, finalPath);
    } catch (err) {
      await this.client.delete(partPath, true).catch(() => undefined);
      throw err instanceof Error && err.message.startsWith('SFTP ')
        ? err
        : new Error(`SFTP upload of ${finalPath} to ${this.where} failed: ${(err as Error).message}`);
    }
    return { transferId: `sftp-${randomUUID()}` };
  }

  async close(): Promise<void> {
    if (!this.connecting) return;
    const connected = await this.connecting.then(
      () => true,
      () => false,
    );
    this.connecting = undefined;
    if (connected) await this.client.end().catch(() => undefined);
  }
}
