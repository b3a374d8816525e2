/**
 * The run table (docs/orchestration.md, "The table"): its key schema, one key builder per kind of
 * item, and the little marshalling the adapters need. One module, so the CDK table, the adapters
 * and the test harness (test/support/dynalite.ts) cannot disagree about a name.
 *
 * Why a marshaller of our own rather than @aws-sdk/util-dynamodb: the Lambda runtime ships only the
 * client packages, and the items here hold six attribute types (S, N, BOOL, M, L, NULL).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** The table's keys (both strings) and its TTL attribute (epoch seconds). */
export const RUN_TABLE_KEYS = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
} as const;

export type Lane = 'apply' | 'preview';
export type ItemKey = { pk: { S: string }; sk: { S: string } };

const key = (pk: string, sk: string): ItemKey => ({ pk: { S: pk }, sk: { S: sk } });
const lower = (login: string) => login.toLowerCase();

/* ─── A run's items: one partition per run ─── */
export const runPartition = (runId: string) => `run#${runId}`;
/** The run record (RunRecord). */
export const runKey = (runId: string) => key(runPartition(runId), 'run');
/** A login's settled mark: counts it once in settled/submitted. */
export const settledKey = (runId: string, login: string) => key(runPartition(runId), `settled#${lower(login)}`);
/** A login's failed attempts (AttemptLog). */
export const attemptKey = (runId: string, login: string) => key(runPartition(runId), `attempt#${lower(login)}`);
/** The run's breaker tallies and verdict (RunBreakerStore). */
export const breakerKey = (runId: string) => key(runPartition(runId), 'breaker');
/** A manager whose CSV file went (SettledLogins). */
export const csvSettledKey = (runId: string, login: string) => key(runPartition(runId), `csv#${lower(login)}`);

/* ─── Dead-letter marks: one partition per queue ─── */
export const deadLetterKey = (queue: string, messageId: string) => key(`dlq#${queue}`, messageId);

/* ─── The lines of runs: one partition per bucket, sorted by lane, then arrival, then run id ─── */
export const linePartition = (bucket: string) => `line#${bucket}`;
/** Every waiting entry of a lane begins with this sort key (a strongly consistent Query reads them in order). */
export const waitPrefix = (lane: Lane) => `${lane}#wait#`;
export const waitKey = (bucket: string, lane: Lane, arrivedAt: string, runId: string) => key(linePartition(bucket), `${waitPrefix(lane)}${arrivedAt}#${runId}`);
export const turnKey = (bucket: string, lane: Lane) => key(linePartition(bucket), `${lane}#turn`);
export const latestKey = (bucket: string, lane: Lane) => key(linePartition(bucket), `${lane}#latest`);

/* ─── Expiry ─── */
/** The TTL value `days` after `now` (epoch seconds), or undefined for 0 days (kept for ever). */
export function expiresAt(now: Date, days: number): number | undefined {
  return days > 0 ? Math.floor(now.getTime() / 1000) + Math.round(days * 86_400) : undefined;
}

/* ─── Marshalling ─── */
export type Plain = string | number | boolean | null | Plain[] | { [name: string]: Plain | undefined };

/** A value as DynamoDB stores it. `undefined` members of an object are left out (as JSON would). */
export function toAttribute(value: Plain): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot store the number ${value}`);
    return { N: String(value) };
  }
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toAttribute) };
  return { M: toAttributes(value) };
}

/** An object's defined members as attributes. */
export function toAttributes(value: { [name: string]: Plain | undefined }): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, member] of Object.entries(value)) if (member !== undefined) out[name] = toAttribute(member);
  return out;
}

export function fromAttribute(value: AttributeValue): Plain {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(fromAttribute);
  if (value.M !== undefined) return fromAttributes(value.M);
  throw new Error(`unexpected attribute type ${Object.keys(value).join(',')} in the run table`);
}

/** An item as a plain object, without its keys and TTL (they are the table's, not the record's). */
export function fromAttributes(item: Record<string, AttributeValue>, omit: readonly string[] = []): { [name: string]: Plain } {
  const out: { [name: string]: Plain } = {};
  for (const [name, member] of Object.entries(item)) if (!omit.includes(name)) out[name] = fromAttribute(member);
  return out;
}

/** The table's own attributes, left out of what an adapter hands back. */
export const TABLE_ATTRIBUTES = [RUN_TABLE_KEYS.partitionKey.name, RUN_TABLE_KEYS.sortKey.name, RUN_TABLE_KEYS.timeToLiveAttribute] as const;

/* ─── Errors ─── */
/** A single write's condition did not hold. */
export function isConditionFailed(err: unknown): boolean {
  return (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** A conditional write: true when written, false when its condition did not hold (nothing written); any other error thrown. */
export async function writeIf(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/**
 * Why a transaction was cancelled, one reason per item in order (`None` for an item that was fine),
 * or undefined when the error is not a cancelled transaction.
 */
export function cancellationReasons(err: unknown): string[] | undefined {
  const e = err as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
  if (e?.name !== 'TransactionCanceledException') return undefined;
  return (e.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
}

/** Cancelled only because a condition did not hold (nothing else went wrong, so nothing was written). */
export function isCancelledByCondition(err: unknown): boolean {
  const reasons = cancellationReasons(err);
  return !!reasons && reasons.includes('ConditionalCheckFailed') && reasons.every((r) => r === 'None' || r === 'ConditionalCheckFailed');
}

/** Cancelled because another transaction was writing one of the items at the same moment: worth another try. */
export function isTransactionConflict(err: unknown): boolean {
  const reasons = cancellationReasons(err);
  return !!reasons && reasons.includes('TransactionConflict');
}
