/**
 * Child process of bench/reader.ts: reads one HR file with readHrFile and prints its peak RSS.
 * Bundled with esbuild and run by plain node, as the splitter Lambda runs it, so the figure is the
 * reader's and not a TypeScript loader's.
 */
import { createReadStream } from 'node:fs';
import { readHrFile } from '../lambdas/core/hr/read-hr-file';

async function main(file: string): Promise<void> {
  let rows = 0;
  for await (const { result } of readHrFile(createReadStream(file), { file })) if (result.ok) rows++;
  // maxRSS is in kilobytes.
  process.stdout.write(`${JSON.stringify({ rows, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

main(process.argv[2]).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
