/**
 * Peak memory of the AWS planner on a file whose every row is rejected (issue 9): planRun with the
 * real S3StateStore and S3OutcomeLedger on an in-memory object store that keeps small bodies and
 * discards large ones once counted (S3's side of the upload is not the Lambda's memory), and a
 * Coupa directory with no users (a delta file of rejected rows looks nobody up). One process; its
 * peak RSS is process.resourceUsage().maxRSS at the end.
 *
 * Run alone: `npx tsx bench/aws-rejected-memory.ts [rows]` (default 1000000).
 *
 * All-rejected 1,000,000 rows, on the shared 2-core machine (peak RSS includes tsx, ~35 MB):
 *
 *                                                        peak RSS    ledger objects   time
 *   before (outcomes in memory, one record() call,
 *           each report format rendered as one string)  1,685 MB    1                18.6 s
 *   after  (spool in /tmp, 5,000 outcomes per record(),
 *           reports written to /tmp and streamed up)       291 MB    200              24.9 s
 *
 * The uploads are the same either way: report.json 208.8 MB, report.csv 112.8 MB, report.html 1.2 MB.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { S3OutcomeLedger } from '../lambdas/adapters/aws/s3-outcome-ledger';
import { S3StateStore } from '../lambdas/adapters/aws/s3-state-store';
import { parseConfig } from '../lambdas/core/config';
import { systemClock, type ObjectStore, type UserDirectory } from '../lambdas/core/ports';
import { planRun } from '../lambdas/core/sync/aws-plan';
import { HR_HEADER, loginOf } from './users';

/** Bodies up to this size are kept (claims, split.json, plan.json); larger ones are counted and dropped. */
const KEEP_BYTES = 64 * 1024;

/** An object store that reads the HR file from disk and keeps only small bodies. */
class CountingObjectStore implements ObjectStore {
  readonly kept = new Map<string, Buffer>();
  readonly sizes = new Map<string, number>();

  constructor(private readonly files: Map<string, string>) {}

  async get(key: string): Promise<Readable> {
    const file = this.files.get(key);
    if (file) return createReadStream(file);
    const body = this.kept.get(key);
    if (!body) throw Object.assign(new Error(`NoSuchKey ${key}`), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    return Readable.from([body]);
  }

  async put(key: string, body: string | Buffer): Promise<void> {
    this.keep(key, Buffer.byteLength(body), () => Buffer.from(body));
  }

  /** Absent on main before the aws-spool branch: the planner then put() the report's text. */
  async putFile(key: string, path: string): Promise<void> {
    let bytes = 0;
    for await (const chunk of createReadStream(path)) bytes += (chunk as Buffer).length;
    this.keep(key, bytes, () => Buffer.alloc(0));
  }

  async create(key: string, body: string): Promise<boolean> {
    if (this.kept.has(key)) return false;
    await this.put(key, body);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.kept.delete(key);
  }

  private keep(key: string, bytes: number, body: () => Buffer): void {
    this.sizes.set(key, bytes);
    if (bytes <= KEEP_BYTES) this.kept.set(key, body());
  }
}

/** Coupa with no users: the plan of rejected rows looks nobody up, and nothing is written. */
const emptyCoupa: UserDirectory = {
  canListUpdatedSince: true,
  findByLogins: async () => new Map(),
  findBy: async () => [],
  create: async () => {
    throw new Error('the bench plans only');
  },
  update: async () => {
    throw new Error('the bench plans only');
  },
  listUsers: async function* () {},
};

async function writeRejectedFile(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${HR_HEADER}\n`);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `${loginOf(i)},not-an-email-${i},Emp,Number ${i},true,E${i}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const dir = await mkdtemp(join(tmpdir(), 'aws-rejected-'));
  try {
    const file = join(dir, 'hr.csv');
    await writeRejectedFile(file, rows);
    const objects = new CountingObjectStore(new Map([['incoming/hr.csv', file]]));
    // The constructor's third argument (the temp folder) is ignored on main before the aws-spool branch.
    const state = new (S3StateStore as unknown as new (...args: unknown[]) => S3StateStore)(objects, 'bench', join(dir, 'tmp'));
    const started = Date.now();
    const result = await planRun(
      { run: { runId: 'hr-bench', file: 'incoming/hr.csv' }, channel: 'api', dryRun: false },
      {
        objects,
        state,
        ledger: new S3OutcomeLedger(objects),
        notifier: { publish: async () => undefined },
        queue: () => ({ send: async () => undefined }),
        directory: async () => emptyCoupa,
        config: parseConfig({ delivery: 'api', coupa: { url: 'http://127.0.0.1:9' } }),
        clock: systemClock,
        log: () => undefined,
      },
    );
    const seconds = (Date.now() - started) / 1000;
    const outcomeKeys = [...objects.sizes.keys()].filter((k) => k.includes('/outcomes/'));
    const largest = Math.max(...objects.sizes.values());
    const reports = Object.fromEntries([...objects.sizes].filter(([k]) => k.includes('/report.')).map(([k, n]) => [k.replace(/.*\//, ''), `${(n / 1e6).toFixed(1)} MB`]));
    console.log(
      JSON.stringify({
        rows,
        status: result?.status,
        rejected: result?.rejected,
        seconds,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        outcomeObjects: outcomeKeys.length,
        largestBodyMb: +(largest / 1e6).toFixed(1),
        reports,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
