/**
 * RunStore on S3. The splitter leaves a marker `runs/pending/<runId>` next to each split.json;
 * the reporter lists only those markers and deletes one once its run is reported. Why markers:
 * runs/ is the audit trail and never expires, so listing it (even with a delimiter, one entry per
 * run ever) would grow without bound and run every 5 minutes; the markers list only open runs.
 * `pending` cannot clash with a run id, which always ends in `-<12 hex>` (runIdFor).
 */
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { PendingRunStore } from '../../core/sync/report-runs';
import { HELD_RUNS_PREFIX, PENDING_RUNS_PREFIX, heldMarkerKey, pendingMarkerKey, splitKey } from '../../core/sync/run-layout';
import type { RecordedOutcomes, RunSplit } from '../../core/sync/run-status';
import { listKeys } from './s3-list';
import { outcomesPrefix } from './s3-outcome-ledger';

export { PENDING_RUNS_PREFIX, pendingMarkerKey, splitKey } from '../../core/sync/run-layout';

const splitShape = z.looseObject({
  run: z.object({ runId: z.string().min(1), file: z.string() }),
  rows: z.number().int().min(0),
  splitAt: z.iso.datetime(),
});
const outcomeRecordShape = z.looseObject({
  recordedAt: z.iso.datetime(),
  outcomes: z.array(z.looseObject({ row: z.number().int(), login: z.string(), outcome: z.string() })),
});

/** Outcome files read at once: enough to be quick, few enough not to hit S3's per-prefix rate. */
const READ_CONCURRENCY = 16;

export class S3RunStore implements PendingRunStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async pendingRuns(): Promise<string[]> {
    return (await listKeys(this.s3, this.bucket, PENDING_RUNS_PREFIX)).map((k) => k.slice(PENDING_RUNS_PREFIX.length)).filter(Boolean);
  }

  async split(runId: string): Promise<RunSplit> {
    const parsed = splitShape.safeParse(await this.readJson(splitKey(runId)));
    if (!parsed.success) throw new Error(`${splitKey(runId)} is not a split summary with rows: ${parsed.error.issues[0]?.message}`);
    const { run, rows, splitAt, absentees, details, approvedAt } = parsed.data as typeof parsed.data & Pick<RunSplit, 'absentees' | 'details' | 'approvedAt'>;
    return { run, rows, splitAt, ...(absentees ? { absentees } : {}), ...(details ? { details } : {}), ...(approvedAt ? { approvedAt } : {}) };
  }

  async outcomes(runId: string): Promise<RecordedOutcomes[]> {
    const keys = await listKeys(this.s3, this.bucket, outcomesPrefix(runId));
    const records: RecordedOutcomes[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const i = next++;
        const parsed = outcomeRecordShape.safeParse(await this.readJson(keys[i]));
        if (!parsed.success) throw new Error(`${keys[i]} is not an outcome record: ${parsed.error.issues[0]?.message}`);
        records[i] = parsed.data as RecordedOutcomes;
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
    return records;
  }

  /** Overwrites any earlier copy, so a pass repeated after a crash writes the same files again. */
  async close(runId: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: pendingMarkerKey(runId) }));
  }

  async heldRuns(): Promise<string[]> {
    return (await listKeys(this.s3, this.bucket, HELD_RUNS_PREFIX)).map((k) => k.slice(HELD_RUNS_PREFIX.length)).filter(Boolean);
  }

  async closeHeld(runId: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: heldMarkerKey(runId) }));
  }

  private async readJson(key: string): Promise<unknown> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!out.Body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    return JSON.parse(await out.Body.transformToString('utf8'));
  }
}
