/**
 * The CSV channel as the CLI sets it up: a direct SFTP drop (`--sftp-url`, key or password from
 * the environment, host key pinned or accepted on first use with a warning), or, against the
 * embedded emulator, a folder its CSV loader watches. Results come back from data_file_sources.
 */
import { readFile } from 'node:fs/promises';
import type { SyncConfig } from '../../lambdas/core/config';
import { createDataFileSourceReader, type CoupaCredentials } from '../../lambdas/adapters/coupa';
import type { LocalCsvChannel } from '../../lambdas/adapters/local/local-pipeline';
import { FolderFileDrop } from '../../lambdas/adapters/local/folder-file-drop';
import { SftpFileDrop, parseSftpUrl } from '../../lambdas/adapters/local/sftp-file-drop';
import { UsageError } from './usage';

export interface CsvChannelSetup {
  channel: LocalCsvChannel;
  close(): Promise<void>;
}

async function sftpCredentials(env: NodeJS.ProcessEnv): Promise<{ privateKey: Buffer } | { password: string }> {
  if (env.COUPA_SFTP_KEY_FILE) {
    try {
      return { privateKey: await readFile(env.COUPA_SFTP_KEY_FILE) };
    } catch (err) {
      throw new UsageError(`cannot read COUPA_SFTP_KEY_FILE ${env.COUPA_SFTP_KEY_FILE}: ${(err as Error).message}`, false);
    }
  }
  if (env.COUPA_SFTP_PASSWORD) return { password: env.COUPA_SFTP_PASSWORD };
  throw new UsageError('set COUPA_SFTP_KEY_FILE (private key file) or COUPA_SFTP_PASSWORD for --sftp-url', false);
}

export async function setUpCsvChannel(args: {
  config: SyncConfig;
  baseUrl: string;
  credentials: CoupaCredentials;
  sftpUrl?: string;
  sftpHostKey?: string;
  /** Local folder standing in for the sFTP root (embedded emulator). */
  localRoot?: string;
  out: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}): Promise<CsvChannelSetup> {
  const { config, out } = args;
  const reader = createDataFileSourceReader({ baseUrl: args.baseUrl, config: config.coupa, credentials: args.credentials });
  const common = {
    reader,
    waitSeconds: config.csv.waitResultsSeconds,
    onProgress: (message: string) => out(`  ${message}`),
  };
  if (args.sftpUrl) {
    let url;
    try {
      url = parseSftpUrl(args.sftpUrl);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const drop = new SftpFileDrop({
      host: url.host,
      port: url.port,
      username: url.username,
      ...(await sftpCredentials(args.env ?? process.env)),
      hostKey: args.sftpHostKey,
      onUnverifiedHostKey: (fingerprint) =>
        out(`WARNING: accepting the sFTP server's host key ${fingerprint} without verification; pin it with --sftp-host-key ${fingerprint}`),
    });
    return { channel: { ...common, drop, pollSeconds: 10 }, close: () => drop.close() };
  }
  if (!args.localRoot) throw new UsageError('--delivery csv against a real Coupa needs --sftp-url');
  return { channel: { ...common, drop: new FolderFileDrop(args.localRoot), pollSeconds: 0.5 }, close: async () => {} };
}
