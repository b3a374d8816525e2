/** `coupa-sync run <hr-file>`: one HR file through the local pipeline against any Coupa URL. */
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig, type SyncConfig } from '../../lambdas/core/config';
import { loadSyncConfig } from '../../lambdas/adapters/local/config-file';
import { CoupaAuthError, CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import type { DataFileSourceReader, UserDirectory } from '../../lambdas/core/ports';
import { CoupaHttp, createIntegrationMonitoring, createReferenceReader, createUserDirectory } from '../../lambdas/adapters/coupa';
import { HrFileError } from '../../lambdas/core/hr/read-hr-file';
import type { RunReport } from '../../lambdas/core/model';
import { exitCodeFor } from '../../lambdas/core/sync/report';
import { relaxForPlanStretch } from './collector';
import { approveLocalRun, runLocalPipeline, type LocalCsvChannel, type LocalTarget } from '../../lambdas/adapters/local/local-pipeline';
import { ApprovalError, rejectRun } from '../../lambdas/core/run/approve';
import { AwsApprovalError, approveInAws, rejectInAws } from './aws-approval';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { systemClock } from '../../lambdas/core/ports';
import { checkReportPaths, writeReportFiles } from '../../lambdas/adapters/local/report-files';
import { FsRunStore } from '../../lambdas/adapters/local/fs-run-store';
import { parseSftpUrl } from '../../lambdas/adapters/local/sftp-file-drop';
import { resolveTarget } from './coupa-target';
import { setUpCsvChannel, type CsvChannelSetup } from './csv-channel';
import { parseApproveOptions, parseRejectOptions, parseRunOptions, type ApproveOptions, type RejectOptions, type RunOptions } from './run-options';
import { formatSummary } from './summary';
import { UsageError } from './usage';

type ConfigOptions = Pick<RunOptions, 'config' | 'format' | 'flavor' | 'delivery' | 'waitResults' | 'sftpUrl' | 'roster'>;

export function configFor(options: ConfigOptions, env = process.env): SyncConfig {
  try {
    return mergeConfig(options, env);
  } catch (err) {
    throw new UsageError((err as Error).message, false);
  }
}

/** Reading the CSV loader's results needs core.integration.read on top of the user scopes. */
const RESULTS_SCOPE = 'core.integration.read';

function mergeConfig(options: ConfigOptions, env: NodeJS.ProcessEnv): SyncConfig {
  const base = loadSyncConfig(options.config);
  const delivery = options.delivery ?? base.delivery;
  const flavor = options.flavor ?? base.coupa.flavor;
  let scopes = env.COUPA_SCOPES ?? base.coupa.scopes;
  if (delivery === 'csv' && !env.COUPA_SCOPES && !scopes.split(/\s+/).includes(RESULTS_SCOPE)) scopes = `${scopes} ${RESULTS_SCOPE}`;
  const remoteDirectory = options.sftpUrl ? parseSftpUrl(options.sftpUrl).remoteDirectory || base.csv.remoteDirectory : base.csv.remoteDirectory;
  return parseConfig({
    ...base,
    delivery,
    roster: { ...base.roster, mode: options.roster ?? base.roster.mode },
    coupa: {
      ...base.coupa,
      flavor,
      // CSO is JSON only: its flavour implies the format.
      format: options.format ?? (flavor === 'cso' ? 'json' : base.coupa.format),
      scopes,
    },
    csv: { ...base.csv, remoteDirectory, waitResultsSeconds: options.waitResults ?? base.csv.waitResultsSeconds },
  });
}

/** Coupa could not be reached before anything was applied: the run did not start (exit 2). */
export class CoupaUnreachableError extends Error {
  override name = 'CoupaUnreachableError';
}

/**
 * One cheap call before anything is written: bad credentials, a missing scope or an unreachable
 * URL stop the run with exit 2 instead of failing every row (or, for CSV, after files went out).
 */
async function preflight(baseUrl: string, directory: UserDirectory, reader?: DataFileSourceReader): Promise<void> {
  try {
    await directory.findByLogins(['coupa-sync.preflight']);
    await reader?.findByFileName('coupa-sync-preflight.csv');
  } catch (err) {
    if (err instanceof CoupaRetryableError) throw new CoupaUnreachableError(`cannot reach Coupa at ${baseUrl}: ${err.message}`);
    throw err;
  }
}

/** Progress lines, at most one every 2 s, so a long run is visibly alive. */
function progressPrinter(out: (line: string) => void): (message: string) => void {
  let last = 0;
  return (message) => {
    if (Date.now() - last < 2000) return;
    last = Date.now();
    out(`  … ${message}`);
  };
}

/** Fails before the run (exit 2) when a report cannot be written, not after Coupa was changed. */
async function checkReports(paths: string[]): Promise<void> {
  try {
    await checkReportPaths(paths);
  } catch (err) {
    throw new UsageError((err as Error).message, false);
  }
}

export interface RunOutput {
  report: RunReport;
  exitCode: number;
}

/** The state folder: --state-dir, else .coupa-sync/ in the working directory; none for the embedded emulator. */
function stateDirFor(options: Pick<RunOptions, 'stateDir' | 'coupaUrl'>): string | undefined {
  return options.stateDir ?? (options.coupaUrl ? DEFAULT_STATE_DIR : undefined);
}

export const DEFAULT_STATE_DIR = '.coupa-sync';

/** A word as a POSIX shell reads it back: bare when safe, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The approve and reject commands of a held run, with the flags it ran with (Coupa URL, config,
 * state folder, channel), so they can be pasted as printed from any folder.
 */
export function decisionCommands(runId: string, options: RunOptions): { approve: string; reject: string } {
  const stateDir = resolve(stateDirFor(options) ?? DEFAULT_STATE_DIR);
  const flag = (name: string, value: string | number | undefined) => (value === undefined ? [] : [`--${name}`, shellQuote(String(value))]);
  const approve = [
    'coupa-sync approve',
    shellQuote(runId),
    ...flag('coupa-url', options.coupaUrl),
    ...flag('config', options.config && resolve(options.config)),
    ...flag('state-dir', stateDir),
    ...flag('format', options.format),
    ...flag('flavor', options.flavor),
    ...flag('delivery', options.delivery),
    ...flag('sftp-url', options.sftpUrl),
    ...flag('sftp-host-key', options.sftpHostKey),
    ...flag('wait-results', options.waitResults),
  ];
  return { approve: approve.join(' '), reject: ['coupa-sync reject', shellQuote(runId), ...flag('state-dir', stateDir)].join(' ') };
}

async function writeReports(report: RunReport, paths: string[], out: (line: string) => void): Promise<void> {
  await writeReportFiles(report, paths);
  for (const path of paths) out(`Report: ${path}`);
}

/** Runs a file and returns the report; throws UsageError/HrFileError/CoupaAuthError when it cannot start. */
export async function executeRun(options: RunOptions, out: (line: string) => void): Promise<RunOutput> {
  await access(options.file).catch(() => {
    throw new HrFileError(options.file, 'cannot read the file (does it exist?)');
  });
  const config = configFor(options);
  await checkReports(options.reports);
  return withTarget(options, config, out, async (local, csv) => {
    const started = Date.now();
    const { report } = await runLocalPipeline({ ...local, file: options.file, dryRun: options.dryRun, csv });
    if (report.status === 'held' && options.coupaUrl) report.commands = decisionCommands(report.runId, options);
    out(formatSummary(report, (Date.now() - started) / 1000, { embedded: !options.coupaUrl }));
    await writeReports(report, options.reports, out);
    return { report, exitCode: exitCodeFor(report) };
  });
}

/** Connects to Coupa (or the embedded emulator), sets up the channel, checks the credentials once, runs `body`. */
async function withTarget(
  options: Pick<RunOptions, 'coupaUrl' | 'sftpUrl' | 'sftpHostKey' | 'dryRun' | 'stateDir'> & { file?: string },
  config: SyncConfig,
  out: (line: string) => void,
  body: (local: LocalTarget, csv: LocalCsvChannel | undefined) => Promise<RunOutput>,
): Promise<RunOutput> {
  const csvDelivery = config.delivery === 'csv' && !options.dryRun && !config.dryRun;
  // Against the embedded emulator with no sFTP server, a local folder stands in for /Incoming/Users.
  const localRoot = csvDelivery && !options.coupaUrl && !options.sftpUrl ? await mkdtemp(join(tmpdir(), 'coupa-sync-sftp-')) : undefined;
  const incomingDir = localRoot && join(localRoot, config.csv.remoteDirectory);
  if (incomingDir) await mkdir(incomingDir, { recursive: true });
  const target = await resolveTarget(options.coupaUrl, config.coupa, incomingDir ? { loader: { incomingDir, pollMs: 300 } } : {});
  let csv: CsvChannelSetup | undefined;
  try {
    const via = csvDelivery ? `CSV files to ${options.sftpUrl ?? `${localRoot} (local folder)`}${config.csv.remoteDirectory}` : 'Users API';
    const dry = options.dryRun || config.dryRun ? ' · plan only' : '';
    out(`coupa-sync: ${options.file ?? 'approval'} → ${target.baseUrl}${target.emulator ? ' (embedded emulator)' : ''} · ${config.coupa.flavor}/${config.coupa.format} · ${config.roster.mode} roster · ${via}${dry}`);
    const clientOptions = { baseUrl: target.baseUrl, config: config.coupa, credentials: target.credentials };
    // One transport, so users, reference lists and monitoring requests share one rate budget and one OAuth token.
    const http = new CoupaHttp(clientOptions);
    const directory = createUserDirectory(clientOptions, http);
    const references = createReferenceReader(clientOptions, http);
    const monitoring = config.coupa.monitoring.enabled ? createIntegrationMonitoring(clientOptions, http) : undefined;
    csv = csvDelivery
      ? await setUpCsvChannel({ config, baseUrl: target.baseUrl, credentials: target.credentials, sftpUrl: options.sftpUrl, sftpHostKey: options.sftpHostKey, localRoot, out })
      : undefined;
    await preflight(target.baseUrl, directory, csv?.channel.reader);
    const local: LocalTarget = {
      config,
      directory,
      ...(references ? { references } : {}),
      ...(monitoring ? { monitoring } : {}),
      instance: target.baseUrl,
      stateDir: stateDirFor(options),
      onProgress: progressPrinter(out),
      planStretch: relaxForPlanStretch,
    };
    return await body(local, csv?.channel);
  } finally {
    await csv?.close();
    await target.close();
    if (localRoot) await rm(localRoot, { recursive: true, force: true });
  }
}

/** `coupa-sync approve <runId>`: applies a held run's staged changes after re-checking each. */
export async function executeApprove(options: ApproveOptions, out: (line: string) => void): Promise<RunOutput> {
  if (!options.coupaUrl) throw new UsageError('approve needs --coupa-url: the instance the held run was planned against');
  // The held plan's roster mode is the run's (the config's default may say otherwise).
  const plan = await new FsRunStore(stateDirFor(options)!, options.coupaUrl).loadPlan(options.runId).catch(() => undefined);
  const config = configFor({ ...options, roster: options.roster ?? plan?.mode });
  await checkReports(options.reports);
  return withTarget({ ...options, dryRun: false }, config, out, async (local, csv) => {
    const started = Date.now();
    const { report } = await approveLocalRun(options.runId, { ...local, csv, stateDir: stateDirFor(options) });
    out(formatSummary(report, (Date.now() - started) / 1000));
    await writeReports(report, options.reports, out);
    return { report, exitCode: exitCodeFor(report) };
  });
}

/** `coupa-sync reject <runId>`: marks a held run rejected in the state folder; Coupa is not contacted. */
export async function executeReject(options: RejectOptions, out: (line: string) => void): Promise<RunOutput> {
  await checkReports(options.reports);
  // The instance only names where accepted rosters go; a rejection writes none.
  const runs = new FsRunStore(options.stateDir ?? DEFAULT_STATE_DIR, 'local');
  const report = await rejectRun(options.runId, options.why, { runs, notifier: new ConsoleNotifier(), clock: systemClock });
  out(`Run ${report.runId} of ${report.file} rejected: nothing of it was written, and it can no longer be approved.`);
  out(`  ${report.reason}`);
  await writeReports(report, options.reports, out);
  return { report, exitCode: 0 };
}

/** Errors that mean the run could not start (exit 2): nothing was changed. */
function cannotStart(err: unknown): err is Error {
  return err instanceof HrFileError || err instanceof CoupaAuthError || err instanceof CoupaUnreachableError || err instanceof ApprovalError;
}

async function exitCodeOf(work: () => Promise<RunOutput>, failed = 'the run could not start'): Promise<number> {
  try {
    return (await work()).exitCode;
  } catch (err) {
    if (cannotStart(err)) {
      process.stderr.write(`coupa-sync: ${failed}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

const stdout = (line: string) => process.stdout.write(`${line}\n`);

export async function runRunCommand(argv: string[]): Promise<number> {
  const options = parseRunOptions(argv);
  return exitCodeOf(() => executeRun(options, stdout));
}

/** `coupa-sync plan <hr-file>` = `run --dry-run`: the plan, its before → after and the guards' verdicts. */
export async function runPlanCommand(argv: string[]): Promise<number> {
  const options = parseRunOptions(argv, 'plan');
  return exitCodeOf(() => executeRun({ ...options, dryRun: true }, stdout));
}

export async function runRejectCommand(argv: string[]): Promise<number> {
  const options = parseRejectOptions(argv);
  if (options.table) return decideInAws(() => rejectInAws(options.runId, options.table!, options.why, stdout));
  return exitCodeOf(() => executeReject(options, stdout), 'nothing was rejected');
}

export async function runApproveCommand(argv: string[]): Promise<number> {
  const options = parseApproveOptions(argv);
  if (options.table) return decideInAws(() => approveInAws(options.runId, options.table!, stdout));
  return exitCodeOf(() => executeApprove(options, stdout));
}

/** AWS: the decision goes to the run's state machine through its task token (bin/cli/aws-approval.ts). */
async function decideInAws(decide: () => Promise<void>): Promise<number> {
  try {
    await decide();
    return 0;
  } catch (err) {
    if (!(err instanceof AwsApprovalError)) throw err;
    process.stderr.write(`coupa-sync: ${err.message}\n`);
    return 2;
  }
}
