/**
 * The planner's state on S3: each run's plan next to its report (runs/<runId>/plan.json), the last
 * accepted full roster (state/accepted-roster.json) and the kept snapshot of Coupa's users
 * (state/coupa-users.ndjson), which the next run refreshes with updated_at instead of reading all;
 * and a run's unfinished full read (state/reads/<runId>.ndjson) while continuations carry it on.
 *
 * A run's row outcomes are spooled to the Lambda's /tmp while it is planned (<tmp>/coupa-sync/<runId>/
 * outcomes.jsonl), and each report format is written there row by row before it is uploaded: a
 * million rejected rows are never a million objects, nor one 150 MB string, in memory.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunReport } from '../../core/model';
import { REPORT_CONTENT_TYPES, type ReportFormat, type ReportRenderer } from '../../core/report/formats';
import type { AcceptedRoster, ObjectStore, ReadCheckpointStore, RunStore, SnapshotStore, StoredPlan } from '../../core/ports';
import { FsLineSpool } from '../local/fs-line-spool';
import { writeChunks } from '../local/write-chunks';
import { isMissing, readJsonIfPresent } from './s3-read';

import { planKey } from '../../core/sync/run-layout';
export { planKey };
export const reportKey = (runId: string, format: ReportFormat = 'json') => `runs/${runId}/report.${format}`;

/**
 * The report files of a run, in the order the digest names them: the page people open first,
 * then the spreadsheet, then the JSON for programs.
 */
const REPORT_FILES: readonly ReportFormat[] = ['html', 'csv', 'json'];
export const ACCEPTED_ROSTER_KEY = 'state/accepted-roster.json';
export const SNAPSHOT_KEY = 'state/coupa-users.ndjson';
/** Where a run's unfinished read of Coupa's users waits for its continuation (a lifecycle rule expires strays). */
export const READ_CHECKPOINTS_PREFIX = 'state/reads/';
export const readCheckpointKey = (runId: string) => `${READ_CHECKPOINTS_PREFIX}${runId}.ndjson`;

async function mkdirFor(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}

/** Where the planner's temporary files go: /tmp in Lambda (the splitter's ephemeral storage). */
export const DEFAULT_TEMP_DIR = join(tmpdir(), 'coupa-sync');

/** A run id as a folder name (run ids are made of the file name and a hash: checked all the same). */
function runFolder(tempDir: string, runId: string): string {
  if (!/^[\w.-]+$/.test(runId) || runId === '.' || runId === '..') throw new Error(`not a run id: ${JSON.stringify(runId)}`);
  return join(tempDir, runId);
}

export class S3StateStore implements RunStore, SnapshotStore, ReadCheckpointStore {
  /** The folder of the last spool handed out: a warm Lambda plans one run at a time, so it goes when the next run starts. */
  private spooled?: string;
  private lastSpool?: FsLineSpool;

  constructor(
    private readonly objects: ObjectStore,
    private readonly bucket: string,
    private readonly tempDir: string = DEFAULT_TEMP_DIR,
    /**
     * The report renderers (lambdas/core/report's renderReportChunks), given only where reports are
     * written: the run-task function's Report step. The planning function stores plans, never
     * reports, and its bundle stays without the renderers.
     */
    private readonly render?: ReportRenderer,
  ) {}

  /**
   * A fresh spool for the run in /tmp. An earlier invocation's file for the same run (a retried
   * event on a warm Lambda) and the previous run's folder are removed first: /tmp outlives an
   * invocation, and a spool of a million rows is ~200 MB.
   */
  outcomeSpool(runId: string): FsLineSpool {
    const folder = runFolder(this.tempDir, runId);
    // The last spool may still hold its file open (a read suspended before the report): close it
    // first, or the deleted file's space stays taken.
    this.lastSpool?.close();
    if (this.spooled && this.spooled !== folder) rmSync(this.spooled, { recursive: true, force: true });
    rmSync(join(folder, 'outcomes.jsonl'), { force: true });
    this.spooled = folder;
    this.lastSpool = new FsLineSpool(join(folder, 'outcomes.jsonl'));
    return this.lastSpool;
  }

  private readJson<T>(key: string): Promise<T | undefined> {
    return readJsonIfPresent<T>(this.objects, key);
  }

  async savePlan(plan: StoredPlan): Promise<void> {
    await this.objects.put(planKey(plan.run.runId), JSON.stringify(plan), 'application/json');
  }

  loadPlan(runId: string): Promise<StoredPlan | undefined> {
    return this.readJson<StoredPlan>(planKey(runId));
  }

  async saveReport(report: RunReport): Promise<string[]> {
    const render = this.render;
    if (!render) throw new Error('this store was made without the report renderers: reports are written by the run-task function');
    const locations: string[] = [];
    for (const format of REPORT_FILES) {
      await this.uploadReport(report, format, render);
      locations.push(`s3://${this.bucket}/${reportKey(report.runId, format)}`);
    }
    return locations;
  }

  /**
   * One format written row by row to a file in /tmp (a spooled report reads its rows from the spool
   * as it goes), then uploaded as a stream of known length (S3 needs it up front) and removed.
   */
  private async uploadReport(report: RunReport, format: ReportFormat, render: ReportRenderer): Promise<void> {
    const path = join(runFolder(this.tempDir, report.runId), `report.${format}.${process.pid}.tmp`);
    try {
      await mkdirFor(path);
      await writeChunks(path, render(report, format));
      const key = reportKey(report.runId, format);
      if (this.objects.putFile) await this.objects.putFile(key, path, REPORT_CONTENT_TYPES[format]);
      else await this.objects.put(key, await readFile(path), REPORT_CONTENT_TYPES[format]);
    } finally {
      await rm(path, { force: true });
    }
  }

  loadReport(runId: string): Promise<RunReport | undefined> {
    return this.readJson<RunReport>(reportKey(runId));
  }

  acceptedRoster(): Promise<AcceptedRoster | undefined> {
    return this.readJson<AcceptedRoster>(ACCEPTED_ROSTER_KEY);
  }

  async acceptRoster(accepted: AcceptedRoster): Promise<void> {
    await this.objects.put(ACCEPTED_ROSTER_KEY, JSON.stringify(accepted), 'application/json');
  }

  read(): Promise<AsyncIterable<string> | undefined> {
    return this.readLines(SNAPSHOT_KEY);
  }

  write(lines: Iterable<string>): Promise<void> {
    return this.writeLines(SNAPSHOT_KEY, lines);
  }

  readCheckpoint(runId: string): Promise<AsyncIterable<string> | undefined> {
    return this.readLines(readCheckpointKey(runId));
  }

  writeCheckpoint(runId: string, lines: Iterable<string>): Promise<void> {
    return this.writeLines(readCheckpointKey(runId), lines);
  }

  async removeCheckpoint(runId: string): Promise<void> {
    // Users' data at rest no longer than needed; without delete, the lifecycle rule expires it.
    await this.objects.delete?.(readCheckpointKey(runId));
  }

  private async readLines(key: string): Promise<AsyncIterable<string> | undefined> {
    try {
      return createInterface({ input: await this.objects.get(key), crlfDelay: Infinity });
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  private async writeLines(key: string, lines: Iterable<string>): Promise<void> {
    // One body: S3 needs the length up front, and a snapshot is tens of MB at most (500k users ≈ 150 MB).
    const parts: string[] = [];
    for (const line of lines) parts.push(line);
    await this.objects.put(key, `${parts.join('\n')}\n`, 'application/x-ndjson');
  }
}
