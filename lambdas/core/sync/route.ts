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
 * Stable for one object version (a re-delivered S3 event maps to the same run), short,
 * and safe in S3 keys and SQS attributes: `<file stem>-<12 hex chars>`.
 */
export function runIdFor(bucket: string, key: string, versionOrEtag: string): string {
  const stem = (key.split('/').pop() ?? 'file').replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  const digest = createHash('sha256').update(`${bucket}\n${key}\n${versionOrEtag}`).digest('hex').slice(0, 12);
  return `${stem}-${digest}`;
}
