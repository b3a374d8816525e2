/**
 * `npx tsx bench/bundles.ts`: bundles every Lambda handler exactly as SyncFunction's NodejsFunction
 * does (esbuild, ESM, minified, node22, the same banner, externals and inlined config) and reports each bundle's
 * size and its cold import time: the bundle is imported once in a fresh `node` process, timed with
 * performance.now() around `await import()`. Bundles are written under node_modules/.cache so that
 * the external `@aws-sdk/*` resolve from the project's node_modules, as they do from the runtime's.
 *
 * Targets (issues 10 and 15): every bundle < 300 KB, every cold import < 100 ms, no exception. The
 * run's steps are two Lambdas for this: run-plan carries the plan stage (HR reader, planner,
 * pre-flight, checkpointed read), run-task the turns, queueing and the three report renderers; neither
 * carries the other's. No bundle carries the config parser (zod): the config is validated at synth.
 * The splitter, which only starts an execution, is the smallest bundle.
 *
 * The handlers load their AWS SDK clients with import() on first use, so the cold import no longer
 * includes them; the `+ SDK` column adds loading every SDK package the bundle can import, which is
 * what the first invocation that touches all of them pays (most pay for fewer).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundledConfigDefine, parseConfig } from '../lambdas/core/config';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BUNDLE_LIMIT_BYTES = 300 * 1024;
export const IMPORT_LIMIT_MS = 100;

/** The options SyncFunction gives NodejsFunction, as esbuild sees them. */
const EXTERNALS = ['@aws-sdk/*', 'aws-cdk-lib', 'constructs', 'cdk-nag'];
const BANNER = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";
/**
 * The config every bundle carries, inlined as SyncFunction inlines it (the defaults here; a deployment's
 * hr mapping adds its own size on top), so these figures are those of `cdk synth`'s assets.
 */
const DEFINE = bundledConfigDefine(parseConfig({}));

export interface BundleFigure {
  handler: string;
  bytes: number;
  /** Median of `runs` cold imports, each in a fresh process. */
  importMs: number;
  /** The same, plus loading every @aws-sdk package the bundle imports on first use. */
  withSdkMs: number;
  sdkPackages: string[];
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
    define: DEFINE,
    logLevel: 'error',
  });
  return outfile;
}

/** One cold import in a new process (no module cache, no JIT warm-up): [the bundle, the bundle and its SDK packages]. */
function coldImportMs(file: string, sdkPackages: string[]): [number, number] {
  const script =
    `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); const t1 = performance.now();` +
    `for (const p of ${JSON.stringify(sdkPackages)}) await import(p);` +
    `process.stdout.write(JSON.stringify([t1 - t0, performance.now() - t0]));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    // The handlers build their clients lazily: no environment is needed to import them.
    env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', POWERTOOLS_METRICS_DISABLED: 'true' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as [number, number];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measureBundles(options: { runs?: number; handlers?: string[] } = {}): Promise<BundleFigure[]> {
  const runs = options.runs ?? 5;
  const outDir = join(ROOT, 'node_modules', '.cache', 'bench-bundles');
  mkdirSync(outDir, { recursive: true });
  const figures: BundleFigure[] = [];
  for (const handler of options.handlers ?? handlerNames()) {
    const file = await bundle(handler, outDir);
    const code = readFileSync(file, 'utf8');
    const sdkPackages = [...new Set([...code.matchAll(/["'](@aws-sdk\/client-[a-z0-9-]+)["']/g)].map((m) => m[1]))].sort();
    const times = Array.from({ length: runs }, () => coldImportMs(file, sdkPackages));
    figures.push({
      handler,
      bytes: statSync(file).size,
      importMs: median(times.map((t) => t[0])),
      withSdkMs: median(times.map((t) => t[1])),
      sdkPackages,
    });
  }
  return figures;
}

export function formatFigures(figures: BundleFigure[]): string {
  const rows = figures.map((f) => {
    const kb = (f.bytes / 1024).toFixed(0).padStart(5);
    const ms = f.importMs.toFixed(0).padStart(5);
    const sdk = f.withSdkMs.toFixed(0).padStart(5);
    const ok = f.bytes < BUNDLE_LIMIT_BYTES && f.importMs < IMPORT_LIMIT_MS ? 'ok  ' : 'OVER';
    const clients = f.sdkPackages.map((p) => p.replace('@aws-sdk/client-', '')).join(', ');
    return `${f.handler.padEnd(20)} ${kb} KB ${ms} ms  ${ok} ${sdk} ms  ${clients}`;
  });
  return [
    `limits: bundle < ${BUNDLE_LIMIT_BYTES / 1024} KB, cold import < ${IMPORT_LIMIT_MS} ms`,
    `${'handler'.padEnd(20)} bundle   import        + SDK    SDK clients (loaded on first use)`,
    ...rows,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await measureBundles({ runs: Number(process.env.BENCH_RUNS ?? 5) });
  console.log(formatFigures(figures));
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(figures, null, 2));
  if (figures.some((f) => f.bytes >= BUNDLE_LIMIT_BYTES || f.importMs >= IMPORT_LIMIT_MS)) process.exitCode = 1;
}
