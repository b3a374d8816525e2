/**
 * `npm start`: the example HR file through the whole local pipeline against the embedded
 * emulator. The example holds a row Coupa rejects and a row with bad input on purpose, so
 * the failure path is visible; the demo itself succeeds (exit 0) when the pipeline ran.
 */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { executeRun } from './run-command';
import { parseRunOptions } from './run-options';

const EXAMPLE = fileURLToPath(new URL('../../examples/hr-users.csv', import.meta.url));
/** The demo reports into the emulator's integration monitoring, as a Coupa admin would see it (docs/monitoring.md). */
const DEMO_CONFIG = fileURLToPath(new URL('../../examples/demo-config.json', import.meta.url));

export async function runDemoCommand(argv: string[]): Promise<number> {
  const file = relative(process.cwd(), EXAMPLE) || EXAMPLE;
  const config = argv.includes('--config') ? [] : ['--config', relative(process.cwd(), DEMO_CONFIG) || DEMO_CONFIG];
  const options = parseRunOptions([file, '--report', 'runs/demo-report.json', ...config, ...argv], 'demo');
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const { report } = await executeRun(options, out);
  const expected = report.totals.failed + report.totals.rejected;
  out(
    `\nDemo finished: ${expected} row(s) were not applied on purpose (one whose e-mail another Coupa user holds, caught by pre-flight; one with bad input).` +
      `\nTry: npx coupa-sync plan ${file} --report plan.html   (the plan, before → after, nothing written)`,
  );
  return 0;
}
