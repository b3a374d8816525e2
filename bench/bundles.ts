/**
 * `npx tsx bench/bundles.ts`: bundles every Lambda handler exactly as SyncFunction's NodejsFunction
 * does (esbuild, ESM, minified, node22, the same banner and externals) and reports each bundle's
 * size and its cold import time: the bundle is imported once in a fresh `node` process, timed with
 * performance.now() around `await import()`. Bundles are written under node_modules/.cache so that
 * the external `@aws-sdk/*` resolve from the project's node_modules, as they do from the runtime's.
 *
 * Targets (issue 10): every bundle < 300 KB, every cold import < 100 ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BUNDLE_LIMIT_BYTES = 300 * 1024;
export const IMPORT_LIMIT_MS = 100;

/** The options SyncFunction gives NodejsFunction, as esbuild sees them. */
const EXTERNALS = ['@aws-sdk/*', 'aws-cdk-lib', 'constructs', 'cdk-nag'];
const BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

export interface BundleFigure {
  handler: string;
  bytes: number;
  /** Median of `runs` cold imports, each in a fresh process. */
  importMs: number;
}

export function handlerNames(): string[] {
  return readdirSync(join(ROOT, 'lambdas'))
    .filter((f) => f.endsWith('.ts') && statSync(join(ROOT, 'lambdas', f)).isFile())
    .map((f) => f.slice(0, -3))
    .sort();
}

async function bundle(handler: string, outDir: string): Promise<string> {
  const outfile = join(outDir, handler, 'index.mjs');
  await build({
    entryPoints: [join(ROOT, 'lambdas', `${handler}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    external: EXTERNALS,
    logLevel: 'error',
  });
  return outfile;
}

/** One cold import in a new process (no module cache, no JIT warm-up). */
function coldImportMs(file: string): number {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t0));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    // The handlers build their clients lazily: no environment is needed to import them.
    env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', POWERTOOLS_METRICS_DISABLED: 'true' },
    encoding: 'utf8',
  });
  return Number(out);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measureBundles(options: { runs?: number; handlers?: string[] } = {}): Promise<BundleFigure[]> {
  const runs = options.runs ?? 5;
  const outDir = join(ROOT, 'node_modules', '.cache', 'bench-bundles');
  mkdirSync(outDir, { recursive: true });
  const figures: BundleFigure[] = [];
  for (const handler of options.handlers ?? handlerNames()) {
    const file = await bundle(handler, outDir);
    const times = Array.from({ length: runs }, () => coldImportMs(file));
    figures.push({ handler, bytes: statSync(file).size, importMs: median(times) });
  }
  return figures;
}

export function formatFigures(figures: BundleFigure[]): string {
  const rows = figures.map((f) => {
    const kb = (f.bytes / 1024).toFixed(0).padStart(5);
    const ms = f.importMs.toFixed(0).padStart(5);
    const ok = f.bytes < BUNDLE_LIMIT_BYTES && f.importMs < IMPORT_LIMIT_MS ? 'ok' : 'OVER';
    return `${f.handler.padEnd(20)} ${kb} KB ${ms} ms  ${ok}`;
  });
  return [`${'handler'.padEnd(20)} bundle   cold import (limits ${BUNDLE_LIMIT_BYTES / 1024} KB, ${IMPORT_LIMIT_MS} ms)`, ...rows].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await measureBundles({ runs: Number(process.env.BENCH_RUNS ?? 5) });
  console.log(formatFigures(figures));
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(figures, null, 2));
  if (figures.some((f) => f.bytes >= BUNDLE_LIMIT_BYTES || f.importMs >= IMPORT_LIMIT_MS)) process.exitCode = 1;
}
