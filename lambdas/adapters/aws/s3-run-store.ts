/**
 * RunStore on S3. The splitter leaves a marker `runs/pending/<runId>` next to each split.json;
 * the reporter lists only those markers and deletes one once its run is reported. Why markers:
 * runs/ is the audit trail and never expires, so listing it (even with a delimiter, one entry per
 * run ever) would grow without bound and run every 5 minutes; the markers list only open runs.
 * `pending` cannot clash with a run id, which always ends in `-<12 hex>` (runIdFor).
 */
import { type S3Client } from '@aws-sdk/client-s3';
import type { PendingRunStore } from '../../core/sync/report-runs';
import { HELD_RUNS_PREFIX, PENDING_RUNS_PREFIX, heldMarkerKey, pendingMarkerKey, splitKey } from '../../core/sync/run-layout';
import type { RecordedOutcomes, RunSplit } from '../../core/sync/run-status';
import type { BreakerVerdict, ObjectStore } from '../../core/ports';
import { readBreakerVerdict } from './s3-run-breaker';
import { listKeys } from './s3-list';
import { outcomesPrefix } from './s3-outcome-ledger';
import { s3Sdk } from './sdk';

export { PENDING_RUNS_PREFIX, pendingMarkerKey, splitKey } from '../../core/sync/run-layout';

// Plain checks, not zod: classic zod and its locales were ~440 KB of every bundle.
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const isIsoDateTime = (v: unknown): v is string => typeof v === 'string' && ISO_DATETIME.test(v) && !Number.isNaN(Date.parse(v));

/** Why `v` is not a split summary, or undefined when it is one. */
export function splitProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (!isObject(v.run) || typeof v.run.runId !== 'string' || !v.run.runId || typeof v.run.file !== 'string') return 'run: expected { runId, file }';
  if (!Number.isInteger(v.rows) || (v.rows as number) < 0) return 'rows: expected a whole number ≥ 0';
  if (!isIsoDateTime(v.splitAt)) return 'splitAt: expected an ISO date-time';
  return undefined;
}

/** Why `v` is not an outcome record, or undefined when it is one. */
export function outcomeRecordProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'not an object';
  if (!isIsoDateTime(v.recordedAt)) return 'recordedAt: expected an ISO date-time';
  if (!Array.isArray(v.outcomes)) return 'outcomes: expected an array';
  const bad = v.outcomes.findIndex(
    (o) => !isObject(o) || !Number.isInteger(o.row) || typeof o.login !== 'string' || typeof o.outcome !== 'string',
  );
  return bad >= 0 ? `outcomes[${bad}]: expected { row, login, outcome }` : undefined;
}

/** Outcome files read at once: enough to be quick, few enough not to hit S3's per-prefix rate. */
const READ_CONCURRENCY = 16;

export class S3RunStore implements PendingRunStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    private readonly objects: ObjectStore,
  ) {}

  async pendingRuns(): Promise<string[]> {
    return (await listKeys(this.s3, this.bucket, PENDING_RUNS_PREFIX)).map((k) => k.slice(PENDING_RUNS_PREFIX.length)).filter(Boolean);
  }

  async split(runId: string): Promise<RunSplit> {
    const data = await this.readJson(splitKey(runId));
    const problem = splitProblem(data);
    if (problem) throw new Error(`${splitKey(runId)} is not a split summary with rows: ${problem}`);
    const { run, rows, splitAt, absentees, details, approvedAt } = data as RunSplit;
    return {
      run: { runId: run.runId, file: run.file },
      rows,
      splitAt,
      ...(absentees ? { absentees } : {}),
      ...(details ? { details } : {}),
      ...(approvedAt ? { approvedAt } : {}),
    };
  }

  async outcomes(runId: string): Promise<RecordedOutcomes[]> {
    const keys = await listKeys(this.s3, this.bucket, outcomesPrefix(runId));
    const records: RecordedOutcomes[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const i = next++;
        const data = await this.readJson(keys[i]);
        const problem = outcomeRecordProblem(data);
        if (problem) throw new Error(`${keys[i]} is not an outcome record: ${problem}`);
        records[i] = data as RecordedOutcomes;
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
    return records;
  }

  /** Overwrites any earlier copy, so a pass repeated after a crash writes the same files again. */
  async close(runId: string): Promise<void> {
    await this.s3.send(new (await s3Sdk()).DeleteObjectCommand({ Bucket: this.bucket, Key: pendingMarkerKey(runId) }));
  }

  async breakerVerdict(runId: string): Promise<BreakerVerdict | undefined> {
    return readBreakerVerdict(this.objects, runId);
  }

  async heldRuns(): Promise<string[]> {
    return (await listKeys(this.s3, this.bucket, HELD_RUNS_PREFIX)).map((k) => k.slice(HELD_RUNS_PREFIX.length)).filter(Boolean);
  }

  async closeHeld(runId: string): Promise<void> {
    await this.s3.send(new (await s3Sdk()).DeleteObjectCommand({ Bucket: this.bucket, Key: heldMarkerKey(runId) }));
  }

  private async readJson(key: string): Promise<unknown> {
    const out = await this.s3.send(new (await s3Sdk()).GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!out.Body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    return JSON.parse(await out.Body.transformToString('utf8'));
  }
}
