/**
 * Issue 15: planning time and peak memory grow linearly with the number of changes. Each size is
 * planned in a child process of its own (so its peak RSS is its own) through planFile, the planner's
 * core code (run-sync.ts: read the roster, read Coupa, plan, guards, keep the plan), against an
 * in-memory Coupa: no HTTP, so the figure is the planner's own work. A delta file in which every
 * user changes (a company's first load), the plan and outcomes kept in a temp state folder as the
 * CLI keeps them (FsRunStore).
 *
 * Run alone: `npx tsx bench/plan-growth.ts [changes…]` (default 10000 100000 500000).
 * The child: `node --import tsx bench/plan-growth.ts --child <changes>` prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FsRunStore } from '../lambdas/adapters/local/fs-run-store';
import { parseConfig } from '../lambdas/core/config';
import type { CoupaUser } from '../lambdas/core/model';
import { systemClock, type UserDirectory } from '../lambdas/core/ports';
import { planFile } from '../lambdas/core/run/run-sync';
import { seedUser, writeHrFile } from './users';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PLAN_SIZES = [10_000, 100_000, 500_000];

export interface PlanGrowth {
  changes: number;
  planSeconds: number;
  peakRssMb: number;
}

/** Coupa's users 0 … n-1 in memory, found by login, e-mail or employee number (ignoring case, as Coupa does). */
function memoryCoupa(n: number): UserDirectory {
  const byKey = { login: new Map<string, CoupaUser>(), email: new Map<string, CoupaUser>(), 'employee-number': new Map<string, CoupaUser>() };
  for (let i = 0; i < n; i++) {
    const { login, ...fields } = seedUser(i);
    const user: CoupaUser = { id: String(i + 1), login, fields: fields as CoupaUser['fields'] };
    byKey.login.set(login.toLowerCase(), user);
    byKey.email.set(String(fields.email).toLowerCase(), user);
    byKey['employee-number'].set(String(fields['employee-number']).toLowerCase(), user);
  }
  const unused = (): never => {
    throw new Error('not used by a delta plan');
  };
  return {
    canListUpdatedSince: false,
    async findBy(key, values) {
      const found: CoupaUser[] = [];
      for (const value of values) {
        const user = byKey[key].get(value.toLowerCase());
        if (user) found.push(user);
      }
      return found;
    },
    findByLogins: unused,
    create: unused,
    update: unused,
    listUsers: unused,
  };
}

/** In the child: writes the file, then times planFile alone. */
async function planOnce(changes: number): Promise<{ changes: number; planSeconds: number; planned: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-plan-growth-'));
  try {
    const file = join(dir, 'hr.csv');
    await writeHrFile(file, changes, 1); // every user renamed
    const directory = memoryCoupa(changes);
    const config = parseConfig({ roster: { mode: 'delta' } });
    const runs = new FsRunStore(join(dir, 'state'), 'bench');
    const started = performance.now();
    const planned = await planFile(
      { run: { runId: 'plan-growth', file: 'hr.csv' }, input: createReadStream(file) },
      { directory, runs, clock: systemClock, config },
    );
    const planSeconds = (performance.now() - started) / 1000;
    const updates = planned.toApply.filter((c) => c.kind === 'update').length;
    if (updates !== changes) throw new Error(`planned ${updates} updates of ${planned.toApply.length} changes, expected ${changes}`);
    return { changes, planSeconds, planned: planned.toApply.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One size in a child process of its own; its peak RSS from bench/max-rss.cjs. */
export async function benchPlanGrowth(changes: number): Promise<PlanGrowth> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-plan-growth-rss-'));
  try {
    const rssFile = join(dir, 'max-rss');
    const child = spawn(process.execPath, ['--require', join(ROOT, 'bench/max-rss.cjs'), '--import', 'tsx', join(ROOT, 'bench/plan-growth.ts'), '--child', String(changes)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_RSS_FILE: rssFile },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`plan of ${changes} changes exited ${code}: ${out.slice(-2000)}`);
    const result = JSON.parse(out.trim().split('\n').pop()!) as { planSeconds: number };
    const rss = Number(await readFile(rssFile, 'utf8')) / 1024;
    return { changes, planSeconds: result.planSeconds, peakRssMb: rss };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Lines for the bench's output: each size, then each size's ratio to the smallest against its ratio of changes. */
export function formatPlanGrowth(results: PlanGrowth[]): string[] {
  const [base] = results;
  const lines = results.map(
    (r) => `  ${r.changes} changes: plan ${r.planSeconds.toFixed(2)} s (${(r.planSeconds * 1e6 / r.changes).toFixed(1)} µs/change), peak RSS ${r.peakRssMb.toFixed(0)} MB`,
  );
  for (const r of results.slice(1)) {
    const size = r.changes / base.changes;
    const time = r.planSeconds / base.planSeconds;
    // Linear: time per change at most 1.5× the smallest size's (fixed start-up costs make it fall, a quadratic step makes it climb).
    const perChange = time / size;
    lines.push(
      `  ratio ${r.changes}:${base.changes} = ${size.toFixed(0)}× the changes: ${time.toFixed(1)}× the time (${perChange.toFixed(2)} per change), ${(r.peakRssMb / base.peakRssMb).toFixed(1)}× the peak RSS — linear (≤ 1.5 per change): ${perChange <= 1.5 ? 'met' : 'NOT met'}`,
    );
  }
  return lines;
}

const [, self, flag, arg] = process.argv;
if (self && fileURLToPath(import.meta.url) === self) {
  if (flag === '--child') {
    process.stdout.write(`${JSON.stringify(await planOnce(Number(arg)))}\n`);
  } else {
    const sizes = process.argv.slice(2).map(Number);
    const results: PlanGrowth[] = [];
    for (const n of sizes.length ? sizes : PLAN_SIZES) results.push(await benchPlanGrowth(n));
    console.log(formatPlanGrowth(results).join('\n'));
  }
}
