/**
 * Plan time and peak memory of the CLI (issue 7): `coupa-sync plan <file> --roster full` as a child
 * process against an emulator in another child process, so only the CLI's memory is measured (its
 * peak RSS, from process.resourceUsage().maxRSS written on exit by the bench/max-rss.cjs preload).
 *
 * Run alone: `npx tsx bench/cli-memory.ts [users…]` (default 100000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHrFile } from './users';

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

export async function benchCliPlan(users: number, changedShare = 0.01): Promise<CliPlanBench> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-cli-bench-'));
  const emulator = await startEmulatorChild(users);
  try {
    const file = join(dir, 'hr.csv');
    const changed = await writeHrFile(file, users, Math.max(1, Math.round(1 / changedShare)));
    const rssFile = join(dir, 'max-rss');
    const started = performance.now();
    const cli = spawn(
      process.execPath,
      [...(process.env.BENCH_CLI_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--require', join(ROOT, 'bench/max-rss.cjs'), '--import', join(ROOT, 'bench/unthrottled.mjs'), join(ROOT, 'bin/coupa-sync.mjs'), 'plan', file, '--roster', 'full', '--coupa-url', emulator.url, '--state-dir', join(dir, 'state'), ...(process.env.BENCH_CLI_ARGS?.split(' ').filter(Boolean) ?? [])],
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
  const sizes = process.argv.slice(2).map(Number);
  for (const n of sizes.length ? sizes : [100_000]) console.log(await benchCliPlan(n));
}
