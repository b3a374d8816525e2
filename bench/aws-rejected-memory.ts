/**
 * Peak memory of the AWS path on a file whose every row is rejected (issue 9), on the state machine
 * (issue 14): the Plan step (lambdas/core/runs/plan.ts) then the Report step (runs/report.ts), as the
 * run-plan and run-task Lambdas run them (here in one process), with the real S3StateStore, S3OutcomeLedger and S3OutcomeLog on the
 * object store of bench/aws-report.ts (outcome objects on disk, report files counted and dropped: S3's
 * side of an upload is not the Lambda's memory; no latency) and a Coupa directory with no users (a
 * delta file of rejected rows looks nobody up). One process; its peak RSS is
 * process.resourceUsage().maxRSS at the end.
 *
 * Run alone: `npx tsx bench/aws-rejected-memory.ts [rows]` (default 1000000).
 *
 * Before the state machine, the planner did both in one invocation (planRun, all-rejected 1,000,000
 * rows on the shared 2-core machine, peak RSS including tsx ~35 MB): 1,685 MB with every outcome in
 * memory, 291 MB once spooled to /tmp (24.9 s). The figure on the state machine is in
 * docs/benchmarks.md.
 */
import { renderReportChunks } from '../lambdas/core/report';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3OutcomeLedger, S3OutcomeLog } from '../lambdas/adapters/aws/s3-outcome-ledger';
import { S3StateStore } from '../lambdas/adapters/aws/s3-state-store';
import { parseConfig } from '../lambdas/core/config';
import { systemClock, type RunRecordStore, type UserDirectory } from '../lambdas/core/ports';
import type { RunState } from '../lambdas/core/runs/contract';
import { plan } from '../lambdas/core/runs/plan';
import { report } from '../lambdas/core/runs/report';
import { appliedRecord, FarObjectStore } from './aws-report';
import { HR_HEADER, loginOf } from './users';

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
  const objectsFile = await open(join(dir, 'outcome-objects'), 'w+');
  try {
    const file = join(dir, 'hr.csv');
    await writeRejectedFile(file, rows);
    const objects = new FarObjectStore(objectsFile, join(dir, 'outcome-objects'), 0, new Map([['incoming/hr.csv', file]]));
    const run = { runId: 'hr-bench', file: 'incoming/hr.csv' };
    const state: RunState = { run, channel: 'api', dryRun: false, arrivedAt: new Date().toISOString(), bucket: 'bench' };
    const record = appliedRecord(run, rows);
    delete record.plan;
    const records = {
      get: async () => record,
      update: async (_runId: string, patch: object) => void Object.assign(record, patch),
    } as unknown as RunRecordStore;
    const stateStore = new S3StateStore(objects, 'bench', join(dir, 'tmp'), renderReportChunks);
    const config = parseConfig({ delivery: 'api', coupa: { url: 'http://127.0.0.1:9' } });
    const started = Date.now();
    const planned = await plan(state, {
      records,
      objects,
      state: stateStore,
      ledger: new S3OutcomeLedger(objects),
      directory: async () => emptyCoupa,
      clock: systemClock,
      config,
      log: () => undefined,
    });
    const planSeconds = (Date.now() - started) / 1000;
    const reported = await report(state, 'final', {
      records,
      outcomes: new S3OutcomeLog(objects, (prefix) => objects.listKeys(prefix)),
      state: stateStore,
      notifier: { publish: async () => undefined },
      clock: systemClock,
      config,
    });
    const seconds = (Date.now() - started) / 1000;
    const reports = Object.fromEntries([...objects.sizes].filter(([k]) => k.includes('/report.')).map(([k, n]) => [k.replace(/.*\//, ''), `${(n / 1e6).toFixed(1)} MB`]));
    console.log(
      JSON.stringify({
        rows,
        plan: planned.outcome,
        status: reported.status,
        planSeconds,
        seconds,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        outcomeObjects: objects.offsets.size,
        largestOutcomeObjectMb: +(Math.max(...[...objects.offsets.values()].map(([, n]) => n)) / 1e6).toFixed(1),
        reports,
      }),
    );
  } finally {
    await objectsFile.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
