/** `coupa-sync run <hr-file>`: one HR file through the local pipeline against any Coupa URL. */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { loadConfigFile, parseConfig, type SyncConfig } from '../../lambdas/core/config';
import { CoupaAuthError } from '../../lambdas/core/coupa/directory';
import { createUserDirectory } from '../../lambdas/core/coupa';
import { HrFileError } from '../../lambdas/core/hr/read-hr-file';
import type { RunReport } from '../../lambdas/core/model';
import { exitCodeFor } from '../../lambdas/core/sync/report';
import { runLocalPipeline } from '../../lambdas/adapters/local/local-pipeline';
import { resolveTarget } from './coupa-target';
import { parseRunOptions, type RunOptions } from './run-options';
import { formatSummary } from './summary';
import { UsageError } from './usage';

export function configFor(options: Pick<RunOptions, 'config' | 'format' | 'delivery' | 'waitResults'>, env = process.env): SyncConfig {
  try {
    return mergeConfig(options, env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function mergeConfig(options: Pick<RunOptions, 'config' | 'format' | 'delivery' | 'waitResults'>, env: NodeJS.ProcessEnv): SyncConfig {
  const base = options.config ? loadConfigFile(options.config) : parseConfig({});
  return parseConfig({
    ...base,
    delivery: options.delivery ?? base.delivery,
    coupa: { ...base.coupa, format: options.format ?? base.coupa.format, scopes: env.COUPA_SCOPES ?? base.coupa.scopes },
    csv: { ...base.csv, waitResultsSeconds: options.waitResults ?? base.csv.waitResultsSeconds },
  });
}

export interface RunOutput {
  report: RunReport;
  exitCode: number;
}

/** Runs a file and returns the report; throws UsageError/HrFileError/CoupaAuthError when it cannot start. */
export async function executeRun(options: RunOptions, out: (line: string) => void): Promise<RunOutput> {
  await access(options.file).catch(() => {
    throw new HrFileError(options.file, 'cannot read the file (does it exist?)');
  });
  const config = configFor(options);
  const target = await resolveTarget(options.coupaUrl, config.coupa);
  try {
    out(`coupa-sync: ${options.file} → ${target.baseUrl}${target.emulator ? ' (embedded emulator)' : ''} · ${config.coupa.flavor}/${config.coupa.format}${options.dryRun ? ' · dry run' : ''}`);
    const directory = createUserDirectory({ baseUrl: target.baseUrl, config: config.coupa, credentials: target.credentials });
    const started = Date.now();
    const { report } = await runLocalPipeline({ file: options.file, config, directory, dryRun: options.dryRun });
    out(formatSummary(report, (Date.now() - started) / 1000));
    if (options.report) {
      await mkdir(dirname(options.report), { recursive: true });
      await writeFile(options.report, `${JSON.stringify(report, null, 2)}\n`);
      out(`Report: ${options.report}`);
    }
    return { report, exitCode: exitCodeFor(report) };
  } finally {
    await target.close();
  }
}

export async function runRunCommand(argv: string[]): Promise<number> {
  const options = parseRunOptions(argv);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    return (await executeRun(options, out)).exitCode;
  } catch (err) {
    if (err instanceof HrFileError || err instanceof CoupaAuthError) {
      process.stderr.write(`coupa-sync: the run could not start: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
