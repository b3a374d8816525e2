/**
 * Reader speed and memory (issue 9): on a generated HR file of 1M rows,
 *   - throughput of readHrFile ÷ throughput of bare csv-parse on the same file, in the same process
 *     (target ≥ 0.5: the reader's mapping and validation may cost at most as much as the parsing);
 *   - peak RSS reading 1M rows ÷ peak RSS reading 10k rows, each in its own child process running
 *     the bundled reader (target ≤ 1.5: memory must not grow with the file).
 *
 * Run alone: `npx tsx bench/reader.ts` (env BENCH_READER_ROWS, default 1,000,000). `npm run bench`
 * calls benchReader() from bench/run.ts.
 */
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { build } from 'esbuild';
import { readHrFile } from '../lambdas/core/hr/read-hr-file';

const runChild = promisify(execFile);

export interface ReaderBench {
  rows: number;
  fileMb: number;
  readerRowsPerSecond: number;
  csvParseRowsPerSecond: number;
  /** readHrFile ÷ bare csv-parse (≥ 0.5 is the target). */
  throughputRatio: number;
  rss10kMb: number;
  rss1mMb: number;
  /** Peak RSS at `rows` ÷ at 10k rows (≤ 1.5 is the target). */
  rssRatio: number;
}

/** A canonical HR file: the columns a typical export maps to, realistic cell lengths. */
async function writeHrFile(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('login,email,firstname,lastname,active,employee-number,manager,default-locale,purchasing-user\n');
  for (let i = 0; i < rows; i++) {
    const line = `emp${i}.person,emp${i}.person@example.com,Firstname${i % 977},Lastname${i % 1013},true,E${100000 + i},mgr${i % 100}.person,en,${i % 2 === 0 ? 'yes' : 'no'}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function timeBareCsvParse(file: string): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  let rows = 0;
  for await (const _record of createReadStream(file).pipe(parse())) rows++;
  return { rows: rows - 1, seconds: (performance.now() - started) / 1000 };
}

async function timeReader(file: string): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  let rows = 0;
  for await (const { result } of readHrFile(createReadStream(file), { file })) if (result.ok) rows++;
  return { rows, seconds: (performance.now() - started) / 1000 };
}

async function peakRssKb(bundle: string, file: string): Promise<number> {
  const { stdout } = await runChild(process.execPath, [bundle, file], { maxBuffer: 1024 * 1024 });
  return (JSON.parse(stdout) as { maxRssKb: number }).maxRssKb;
}

export async function benchReader(rows = Number(process.env.BENCH_READER_ROWS ?? 1_000_000)): Promise<ReaderBench> {
  const dir = await mkdtemp(join(tmpdir(), 'coupa-sync-reader-'));
  try {
    const big = join(dir, 'hr-big.csv');
    const small = join(dir, 'hr-10k.csv');
    await writeHrFile(big, rows);
    await writeHrFile(small, 10_000);
    // Warm both up once, then take the better of two runs each, interleaved (same process, same file).
    await timeBareCsvParse(small);
    await timeReader(small);
    const bare = [await timeBareCsvParse(big), await timeReader(big), await timeBareCsvParse(big), await timeReader(big)];
    const best = (runs: Array<{ rows: number; seconds: number }>) => runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
    const csvParse = best([bare[0], bare[2]]);
    const reader = best([bare[1], bare[3]]);
    if (reader.rows !== rows || csvParse.rows !== rows) throw new Error(`row count mismatch: reader ${reader.rows}, csv-parse ${csvParse.rows}, file ${rows}`);

    const bundle = join(dir, 'reader-child.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('./reader-child.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      logLevel: 'silent',
    });
    const rss10k = await peakRssKb(bundle, small);
    const rss1m = await peakRssKb(bundle, big);
    const readerRowsPerSecond = reader.rows / reader.seconds;
    const csvParseRowsPerSecond = csvParse.rows / csvParse.seconds;
    return {
      rows,
      fileMb: (await stat(big)).size / 2 ** 20,
      readerRowsPerSecond,
      csvParseRowsPerSecond,
      throughputRatio: readerRowsPerSecond / csvParseRowsPerSecond,
      rss10kMb: rss10k / 1024,
      rss1mMb: rss1m / 1024,
      rssRatio: rss1m / rss10k,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatReaderBench(b: ReaderBench): string[] {
  const f = (n: number, d = 2) => n.toFixed(d);
  return [
    `reader: ${b.rows} rows (${f(b.fileMb, 0)} MB): readHrFile ${f(b.readerRowsPerSecond, 0)} rows/s, bare csv-parse ${f(b.csvParseRowsPerSecond, 0)} rows/s, ` +
      `ratio ${f(b.throughputRatio)} (target ≥ 0.5: ${b.throughputRatio >= 0.5 ? 'met' : 'NOT met'})`,
    `reader peak RSS (bundled, own process): 10k rows ${f(b.rss10kMb, 0)} MB, ${b.rows} rows ${f(b.rss1mMb, 0)} MB, ` +
      `ratio ${f(b.rssRatio)} (target ≤ 1.5: ${b.rssRatio <= 1.5 ? 'met' : 'NOT met'})`,
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchReader()
    .then((b) => console.log(formatReaderBench(b).join('\n')))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
