/**
 * Plan time and peak memory of the CLI (issue 7): `coupa-sync plan <file> --roster full` as a child
 * process against an emulator in another child process, so only the CLI's memory is measured (its
 * peak RSS, from process.resourceUsage().maxRSS written on exit by the bench/max-rss.cjs preload).
 *
 * Run alone: `npx tsx bench/cli-memory.ts [users…]` (default 100000); `npx tsx bench/cli-memory.ts
 * rejected 1000000` plans a file whose every row is rejected (issue 9), as a delta file.
 *
 * Peak RSS of the CLI child, issue 7 (targets < 256 MB at 100k, < 512 MB at 1M; 1 % of users changed;
 * measured on the shared 2-core machine, so plan times vary ±50 % with its load):
 *
 *   step (branch cli-memory)                                    100k      500k      1M
 *   before (tsx, every outcome an object, Maps of strings)     309 MB    932 MB    1,250 MB
 *   + esbuild bundle instead of tsx (bin/cli-loader.mjs)       278 MB
 *   + outcomes spooled to outcomes.jsonl, reports streamed     257 MB
 *   + roster and user table in PackedMaps                      ~210 MB   544 MB
 *   + V8 --optimize-for-size, no matched-login set             175 MB              640 MB
 *   + plan's settled rows not held in an array first                                539 MB
 *   + no case index for the roster, booleans packed            154 MB    —         491 MB
 *
 *   plan time, final: 100k 15.5 s (was 21.5 s), 1M 227 s (was 205 s; the size-optimized GC costs
 *   time, the load of the machine more)
 *
 *   all-rejected 1M-row file (was 865 MiB, issue 9): 255 MB in 19 s (exit 1)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { HR_HEADER, loginOf, writeHrFile } from './users';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CliPlanBench {
  users: number;
  changed: number;
  seedSeconds: number;
  planSeconds: number;
  peakRssMb: number;
  exitCode: number | null;
  /** The CLI's last lines of output (its summary). */
  tail: string;
}

interface EmulatorChild {
  url: string;
  clientId: string;
  clientSecret: string;
  seedSeconds: number;
  child: ChildProcess;
}

export async function startEmulatorChild(users: number, latencyMs = 0): Promise<EmulatorChild> {
  const child = spawn(process.execPath, ['--max-old-space-size=16384', '--import', 'tsx', join(ROOT, 'bench/emulator-child.ts'), String(users), String(latencyMs)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`emulator child exited (${code}) before it listened`))));
  const first = await Promise.race([new Promise<string>((resolve) => lines.once('line', resolve)), exited]);
  lines.close();
  child.stdout!.resume();
  return { ...(JSON.parse(first) as Omit<EmulatorChild, 'child'>), child };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/**
 * A file of `users` rows whose every row is rejected (an e-mail that is not one): issue 9's case of
 * a run that must keep and report every rejection. Planned as a delta file (nothing to look up),
 * against an emulator with no users.
 */
async function writeRejectedFile(path: string, users: number): Promise<number> {
  const out = createWriteStream(path);
  out.write(`${HR_HEADER}\n`);
  let chunk = '';
  for (let i = 0; i < users; i++) {
    chunk += `${loginOf(i)},not-an-email-${i},Emp,Number ${i},true,E${i}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return 0;
}

export async function benchCliPlan(users: number, changedShare = 0.01, rejected = false): Promise<CliPlanBench> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-cli-bench-'));
  const emulator = await startEmulatorChild(rejected ? 0 : users);
  try {
    const file = join(dir, 'hr.csv');
    const changed = rejected ? await writeRejectedFile(file, users) : await writeHrFile(file, users, Math.max(1, Math.round(1 / changedShare)));
    const rssFile = join(dir, 'max-rss');
    const started = performance.now();
    const cli = spawn(
      process.execPath,
      [...(process.env.BENCH_CLI_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--require', join(ROOT, 'bench/max-rss.cjs'), '--import', join(ROOT, 'bench/unthrottled.mjs'), join(ROOT, 'bin/coupa-sync.mjs'), 'plan', file, '--roster', rejected ? 'delta' : 'full', '--coupa-url', emulator.url, '--state-dir', join(dir, 'state'), ...(process.env.BENCH_CLI_ARGS?.split(' ').filter(Boolean) ?? [])],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, COUPA_CLIENT_ID: emulator.clientId, COUPA_CLIENT_SECRET: emulator.clientSecret, BENCH_RSS_FILE: rssFile, NODE_OPTIONS: process.env.BENCH_CLI_NODE_OPTIONS ?? '' },
      },
    );
    let output = '';
    cli.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    cli.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const exitCode = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    const planSeconds = (performance.now() - started) / 1000;
    const rss = await readFile(rssFile, 'utf8').catch(() => undefined);
    // No figure when the CLI died before its exit handler ran (out of memory, killed).
    const peakRssMb = rss === undefined ? NaN : Number(rss) / 1024;
    return { users, changed, seedSeconds: emulator.seedSeconds, planSeconds, peakRssMb, exitCode, tail: output.trim().split('\n').slice(-6).join('\n') };
  } finally {
    await stopChild(emulator.child);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rejected = process.argv[2] === 'rejected';
  const sizes = process.argv.slice(rejected ? 3 : 2).map(Number);
  for (const n of sizes.length ? sizes : [100_000]) console.log(await benchCliPlan(n, 0.01, rejected));
}
