/** Which channel a dropped file goes to, and the id every trace of its run carries. */
import { createHash } from 'node:crypto';
import type { SyncConfig } from '../config';

export type Channel = 'api' | 'csv';

/** `incoming/csv/…` and `incoming/api/…` choose their channel; any other key uses config.delivery. */
export function channelFor(key: string, config: SyncConfig): Channel {
  if (key.startsWith('incoming/csv/')) return 'csv';
  if (key.startsWith('incoming/api/')) return 'api';
  return config.delivery;
}

/**
 * Whether the stack has a CSV channel (connector, batcher, results poller): only when it is
 * configured, by `delivery: "csv"` or a `csv.sftp.url`. The stack and the planner decide alike, so a
 * file routed to a channel that is not there is refused instead of waiting in a queue nobody reads.
 */
export function csvChannelDeployed(config: SyncConfig): boolean {
  return config.delivery === 'csv' || config.csv.sftp.url !== undefined;
}

/** Why a file routed to the CSV channel is refused when the stack has none (undefined: it has one, or the file goes to the API). */
export function undeployedChannelReason(channel: Channel, config: SyncConfig): string | undefined {
  if (channel !== 'csv' || csvChannelDeployed(config)) return undefined;
  return (
    'the CSV channel is not deployed in this stack (its config sets neither csv.sftp.url nor delivery "csv"), so a file under ' +
    'incoming/csv/ cannot be delivered: nothing was planned or sent. Upload it under incoming/ to use the Users API, or set ' +
    'csv.sftp.url and csv.sftp.trustedHostKeys, deploy again and upload it again'
  );
}

/**
 * Stable for one object version (a re-delivered S3 event maps to the same run), short,
 * and safe in S3 keys and SQS attributes: `<file stem>-<12 hex chars>`.
 */
export function runIdFor(bucket: string, key: string, versionOrEtag: string): string {
  const stem = (key.split('/').pop() ?? 'file').replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  const digest = createHash('sha256').update(`${bucket}\n${key}\n${versionOrEtag}`).digest('hex').slice(0, 12);
  return `${stem}-${digest}`;
}
