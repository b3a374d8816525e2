/**
 * Issue 14: the Report step of a 500,000-row run on the AWS path, within one 15-minute run-task
 * invocation and under 1 GB. The real step (lambdas/core/runs/report.ts `report(state, 'final', deps)`)
 * reads the run's outcomes as the consumers wrote them — one object per batch of ten under
 * runs/<runId>/outcomes/, written here by the real S3OutcomeLedger — through the real S3OutcomeLog
 * and S3StateStore, behind an object store that answers like S3 from afar: every GET waits
 * BENCH_REPORT_GET_MS (default 20 ms) and every LIST page (1,000 keys, as S3 pages them) as long.
 *
 * Nothing the store holds counts against the Lambda's memory: the outcome objects are kept in one file
 * on disk (the store reads each back by its offset), the report files are streamed and counted, not kept.
 * One child process per run, so its peak RSS (bench/max-rss.cjs) is the step's own plus tsx (~35 MB)
 * and the writing of the outcome objects before it (timed apart).
 *
 * Run alone: `npx tsx bench/aws-report.ts [outcomes]` (default 500000).
 * The child: `node --import tsx bench/aws-report.ts --child <outcomes>` prints one JSON line.
 */
import { renderReportChunks } from '../lambdas/core/report';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { S3OutcomeLedger, S3OutcomeLog } from '../lambdas/adapters/aws/s3-outcome-ledger';
import { S3StateStore } from '../lambdas/adapters/aws/s3-state-store';
import { parseConfig } from '../lambdas/core/config';
import type { RowOutcome, RunRef } from '../lambdas/core/model';
import { systemClock, type ObjectStore, type RunRecord, type RunRecordStore } from '../lambdas/core/ports';
import { report } from '../lambdas/core/runs/report';
import type { RunState } from '../lambdas/core/runs/contract';
import { loginOf } from './users';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const REPORT_OUTCOMES = 500_000;
/** Outcomes per object: an api-consumer batch (Lambda's SQS batch of ten, one change each). */
const PER_OBJECT = 10;
const GET_MS = Number(process.env.BENCH_REPORT_GET_MS ?? 20);
const LIST_PAGE = 1_000;

export interface ReportBench {
  outcomes: number;
  objects: number;
  getMs: number;
  gets: number;
  lists: number;
  writeSeconds: number;
  reportSeconds: number;
  peakRssMb: number;
  reportBytes: Record<string, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * S3 from afar: objects under runs/…/outcomes/ are appended to one file on disk and read back by
 * offset after `getMs`; other bodies up to 64 KB are kept, larger ones (the report files) counted;
 * `files` are objects read from local files (an HR file).
 */
export class FarObjectStore implements ObjectStore {
  readonly offsets = new Map<string, [number, number]>();
  readonly small = new Map<string, Buffer>();
  readonly sizes = new Map<string, number>();
  gets = 0;
  lists = 0;
  private end = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly path: string,
    private readonly getMs = GET_MS,
    private readonly files = new Map<string, string>(),
  ) {}

  async get(key: string): Promise<Readable> {
    this.gets += 1;
    await sleep(this.getMs);
    const local = this.files.get(key);
    if (local) return createReadStream(local);
    const at = this.offsets.get(key);
    if (at) return createReadStream(this.path, { start: at[0], end: at[0] + at[1] - 1 });
    const body = this.small.get(key);
    if (!body) throw Object.assign(new Error(`NoSuchKey ${key}`), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return Readable.from([body]);
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    const bytes = Buffer.from(body);
    this.sizes.set(key, bytes.length);
    if (key.includes('/outcomes/')) {
      await this.file.write(bytes, 0, bytes.length, this.end);
      this.offsets.set(key, [this.end, bytes.length]);
      this.end += bytes.length;
    } else if (bytes.length <= 64 * 1024) this.small.set(key, bytes);
  }

  async putFile(key: string, path: string): Promise<void> {
    let bytes = 0;
    for await (const chunk of createReadStream(path)) bytes += (chunk as Buffer).length;
    this.sizes.set(key, bytes);
  }

  async create(key: string, body: string): Promise<boolean> {
    if (this.small.has(key)) return false;
    await this.put(key, body);
    return true;
  }

  /** ListObjectsV2, page by page: GET_MS each. */
  async listKeys(prefix: string): Promise<string[]> {
    const all = [...this.offsets.keys(), ...this.small.keys()].filter((k) => k.startsWith(prefix)).sort();
    const keys: string[] = [];
    for (let start = 0; start === 0 || start < all.length; start += LIST_PAGE) {
      this.lists += 1;
      await sleep(this.getMs);
      keys.push(...all.slice(start, start + LIST_PAGE));
    }
    return keys;
  }
}

/** The run's record as Report finds it: planned, every change queued and settled. */
export function appliedRecord(run: RunRef, rows: number): RunRecord {
  const at = new Date(Date.now() - 6 * 3_600_000).toISOString();
  return {
    run,
    channel: 'api',
    dryRun: false,
    arrivedAt: at,
    bucket: 'bench',
    phase: 'applying',
    admittedAt: at,
    plan: { startedAt: at, rows, absentees: 0, details: { status: 'complete', mode: 'delta', guards: [] }, planSha256: '0'.repeat(64), toApply: rows, staged: 0, rosterLogins: 0 },
    queued: rows,
    settled: rows,
    failed: 0,
    submitted: 0,
  };
}

/** What an api-consumer records for a row it updated. */
const updated = (row: number): RowOutcome => ({
  row,
  login: loginOf(row - 1),
  outcome: 'updated',
  changedFields: ['lastname'],
  changes: [{ field: 'lastname', before: `Number ${row - 1}`, after: `Renamed ${row - 1}` }],
});

async function reportOnce(outcomes: number): Promise<Omit<ReportBench, 'peakRssMb'>> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-aws-report-'));
  const path = join(dir, 'outcome-objects');
  const file = await open(path, 'w+');
  try {
    const store = new FarObjectStore(file, path);
    const run: RunRef = { runId: 'hr-bench-report', file: 'incoming/hr.csv' };
    // The consumers' writes: one object per batch of ten, keyed by the time (one ms apart) as the ledger keys them.
    let tick = Date.now() - 3_600_000;
    const ledger = new S3OutcomeLedger(store, { ...systemClock, now: () => new Date(tick++) });
    const writing = performance.now();
    for (let row = 1; row <= outcomes; row += PER_OBJECT) {
      await ledger.record(run, Array.from({ length: Math.min(PER_OBJECT, outcomes - row + 1) }, (_, i) => updated(row + i)));
    }
    const writeSeconds = (performance.now() - writing) / 1000;

    const record = appliedRecord(run, outcomes);
    const records: Pick<RunRecordStore, 'get' | 'update'> = {
      get: async () => record,
      update: async (_runId, patch) => void Object.assign(record, patch),
    };
    const started = performance.now();
    const { status } = await report({ run } as RunState, 'final', {
      records: records as RunRecordStore,
      outcomes: new S3OutcomeLog(store, (prefix) => store.listKeys(prefix)),
      state: new S3StateStore(store, 'bench', join(dir, 'tmp'), renderReportChunks),
      notifier: { publish: async () => undefined },
      clock: systemClock,
      config: parseConfig({ delivery: 'api', coupa: { url: 'http://127.0.0.1:9' } }),
    });
    const reportSeconds = (performance.now() - started) / 1000;
    if (status !== 'complete') throw new Error(`the report of ${outcomes} outcomes is ${status}, not complete`);
    if (!store.sizes.has(`runs/${run.runId}/report.json`)) throw new Error('no report.json was uploaded');
    if (store.gets < store.offsets.size) throw new Error(`the report read ${store.gets} of ${store.offsets.size} outcome objects`);
    const reportBytes = Object.fromEntries([...store.sizes].filter(([k]) => k.includes('/report.')).map(([k, n]) => [k.replace(/.*\//, ''), n]));
    return { outcomes, objects: store.offsets.size, getMs: GET_MS, gets: store.gets, lists: store.lists, writeSeconds, reportSeconds, reportBytes };
  } finally {
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One run in a child process of its own; its peak RSS from bench/max-rss.cjs. */
export async function benchAwsReport(outcomes = REPORT_OUTCOMES): Promise<ReportBench> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-aws-report-rss-'));
  try {
    const rssFile = join(dir, 'max-rss');
    const child = spawn(process.execPath, ['--require', join(ROOT, 'bench/max-rss.cjs'), '--import', 'tsx', join(ROOT, 'bench/aws-report.ts'), '--child', String(outcomes)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_RSS_FILE: rssFile, POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`report of ${outcomes} outcomes exited ${code}: ${out.slice(-2000)}`);
    const result = JSON.parse(out.trim().split('\n').pop()!) as Omit<ReportBench, 'peakRssMb'>;
    return { ...result, peakRssMb: Number(await readFile(rssFile, 'utf8')) / 1024 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatAwsReport(r: ReportBench): string[] {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const inTime = r.reportSeconds < 15 * 60;
  const inMemory = r.peakRssMb < 1024;
  return [
    `  ${r.outcomes} outcomes in ${r.objects} objects of ${PER_OBJECT} (written in ${r.writeSeconds.toFixed(1)} s, not counted), ${r.getMs} ms per GET and per LIST page of ${LIST_PAGE}:`,
    `  Report ${r.reportSeconds.toFixed(1)} s (${r.gets} GET, ${r.lists} LIST) — target < 900 s (one invocation): ${inTime ? 'met' : 'NOT met'}; ` +
      `peak RSS ${r.peakRssMb.toFixed(0)} MB — target < 1024 MB: ${inMemory ? 'met' : 'NOT met'}`,
    `  uploaded: ${Object.entries(r.reportBytes).map(([k, n]) => `${k} ${mb(n)}`).join(', ')}`,
  ];
}

const [, self, flag, arg] = process.argv;
if (self && fileURLToPath(import.meta.url) === self) {
  if (flag === '--child') process.stdout.write(`${JSON.stringify(await reportOnce(Number(arg)))}\n`);
  else console.log(formatAwsReport(await benchAwsReport(Number(process.argv[2] ?? REPORT_OUTCOMES))).join('\n'));
}
