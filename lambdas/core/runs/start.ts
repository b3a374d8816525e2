/**
 * What starts a run: a new object under incoming/ (a run that applies) or plan/ (a plan only). Any
 * other key starts nothing — the bucket's notifications send only those two prefixes, and this is
 * checked again here: nothing written elsewhere in the bucket (runs/, state/, …) can start or steer a run.
 */
import type { SyncConfig } from '../config';
import { channelFor, runIdFor } from '../sync/route';
import type { RunStart } from './contract';

export const INCOMING_PREFIX = 'incoming/';
export const PLAN_PREFIX = 'plan/';

export interface DroppedObject {
  bucket: string;
  key: string;
  /** The object's version id (or, unversioned, its ETag): one run per upload. */
  version: string;
  versionId?: string;
  /** When the storage event says the object was created. */
  eventTime: string;
}

/** The run a dropped object starts, or undefined when it starts none (not under incoming/ or plan/, or a folder marker). */
export function runStartOf(object: DroppedObject, config: SyncConfig): RunStart | undefined {
  const { key } = object;
  const dryRun = key.startsWith(PLAN_PREFIX);
  if (!dryRun && !key.startsWith(INCOMING_PREFIX)) return undefined;
  if (key.endsWith('/')) return undefined;
  return {
    run: { runId: runIdFor(object.bucket, key, object.version), file: key },
    ...(object.versionId ? { version: object.versionId } : {}),
    channel: channelFor(dryRun ? `${INCOMING_PREFIX}${key.slice(PLAN_PREFIX.length)}` : key, config),
    dryRun,
    arrivedAt: object.eventTime,
    bucket: object.bucket,
    mode: 'run',
  };
}
