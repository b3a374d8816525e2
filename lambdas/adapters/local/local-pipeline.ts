/**
 * One HR file through the same stages the Lambdas run — roster, Coupa state, plan, guards, apply,
 * report (lambdas/core/run/run-sync.ts) — with local adapters: the file from disk, the state
 * folder for plans, reports, snapshot and the last accepted roster, a console notifier, and the
 * Users API or the CSV channel to apply.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SyncConfig } from '../../core/config';
import { apiApplier } from '../../core/apply/api-applier';
import { csvApplier } from '../../core/csv/csv-applier';
import type { RunRef, RunReport } from '../../core/model';
import { systemClock, type Clock, type DataFileSourceReader, type FileDrop, type IntegrationMonitoring, type ReferenceReader, type UserDirectory } from '../../core/ports';
import { RunMonitor } from '../../core/monitoring/run-monitor';
import { MONITORING_STATE_PREFIX, ObjectStoreMonitoringState } from '../aws/s3-monitoring-state';
import { FsObjectStore } from './fs-object-store';
import { ApprovalError, approveRun } from '../../core/run/approve';
import { runSync, type RunDeps } from '../../core/run/run-sync';
import { runIdFor } from '../../core/sync/route';
import { ConsoleNotifier } from './console-notifier';
import { FsReferenceListStore, FsRunStore, FsSnapshotStore, instanceFolder } from './fs-run-store';

/** The CSV channel: user-import files dropped to sFTP (or a folder), Coupa's verdict read back. */
export interface LocalCsvChannel {
  drop: FileDrop;
  reader: DataFileSourceReader;
  /** Seconds to wait for Coupa's loader (0 = do not wait: rows end as `submitted`). */
  waitSeconds: number;
  pollSeconds?: number;
  onProgress?: (message: string) => void;
}

export interface LocalTarget {
  config: SyncConfig;
  /** Coupa users (reads, and writes through the API channel). */
  directory: UserDirectory;
  /** Coupa's reference lists for pre-flight (core only); kept in the state folder per instance. */
  references?: ReferenceReader;
  /** The Coupa instance's URL: state is kept per instance. */
  instance?: string;
  /** Where plans, reports, the snapshot and the accepted roster are kept; default a throw-away folder. */
  stateDir?: string;
  /** Deliver through the CSV channel instead of the API. */
  csv?: LocalCsvChannel;
  /** Coupa's integration monitoring, used when config.coupa.monitoring.enabled (share the directory's transport). */
  monitoring?: IntegrationMonitoring;
  notifier?: ConsoleNotifier;
  clock?: Clock;
  /** Pause before applying a change again after transient trouble, times the attempt. */
  retryDelayMs?: number;
  onProgress?: (message: string) => void;
  /** RunDeps.planStretch: the stretch from a delta file's last look-up to its first write. */
  planStretch?: () => () => void;
}

export interface LocalRunOptions extends LocalTarget {
  /** Path of the HR file. */
  file: string;
  dryRun?: boolean;
}

export interface LocalRunResult {
  report: RunReport;
  notifier: ConsoleNotifier;
}

/** A new id for every local run of a file: the file's identity plus the start time. */
export async function localRunRef(file: string, at: Date): Promise<RunRef> {
  const path = resolve(file);
  const info = await stat(path);
  return { runId: runIdFor('local', path, `${info.size}-${info.mtimeMs}-${at.toISOString()}`), file };
}

async function depsFor(target: LocalTarget, run: RunRef): Promise<RunDeps & { notifier: ConsoleNotifier }> {
  const clock = target.clock ?? systemClock;
  const notifier = target.notifier ?? new ConsoleNotifier();
  const stateDir = target.stateDir ?? (await mkdtemp(join(tmpdir(), 'coupa-sync-state-')));
  const { config, directory, csv } = target;
  const applier = csv
    ? csvApplier({ run, drop: csv.drop, reader: csv.reader, notifier, clock, config, waitSeconds: csv.waitSeconds, pollSeconds: csv.pollSeconds, onProgress: csv.onProgress })
    : apiApplier({ directory, config, clock, retryDelayMs: target.retryDelayMs });
  const instance = target.instance ?? 'local';
  // Kept in the state folder per instance, under the keys the AWS path uses below its prefix.
  const monitor = target.monitoring && config.coupa.monitoring.enabled
    ? new RunMonitor({
        api: target.monitoring,
        state: new ObjectStoreMonitoringState(new FsObjectStore(stateDir), `${MONITORING_STATE_PREFIX}${instanceFolder(instance)}/`),
        config: config.coupa.monitoring,
        channel: csv ? 'csv' : 'api',
        instanceUrl: instance,
        clock,
      })
    : undefined;
  return {
    directory,
    applier,
    ...(monitor ? { monitor } : {}),
    runs: new FsRunStore(stateDir, target.instance ?? 'local'),
    snapshots: new FsSnapshotStore(stateDir, target.instance ?? 'local'),
    ...(target.references ? { references: { reader: target.references, kept: new FsReferenceListStore(stateDir, target.instance ?? 'local') } } : {}),
    notifier,
    clock,
    config,
    onProgress: target.onProgress,
    ...(target.planStretch ? { planStretch: target.planStretch } : {}),
  };
}

export async function runLocalPipeline(options: LocalRunOptions): Promise<LocalRunResult> {
  const run = await localRunRef(options.file, (options.clock ?? systemClock).now());
  const deps = await depsFor(options, run);
  const report = await runSync(
    { run, input: createReadStream(options.file), read: { ownedCollections: options.config.coupa.ownedCollections, hr: options.config.hr }, dryRun: options.dryRun },
    deps,
  );
  return { report, notifier: deps.notifier };
}

/** `coupa-sync approve <runId>`: the held run's staged changes, re-checked and applied. */
export async function approveLocalRun(runId: string, target: LocalTarget): Promise<LocalRunResult> {
  const deps = await depsFor(target, { runId, file: '' });
  const plan = await deps.runs.loadPlan(runId);
  const instance = target.instance ?? 'local';
  if (plan?.instance && plan.instance !== instance) {
    throw new ApprovalError(`run ${runId} was planned against ${plan.instance}, not ${instance}: approve it against the same Coupa (--coupa-url)`);
  }
  // The CSV channel names its files after the run: give it the real run.
  const withRun = plan && target.csv ? await depsFor(target, plan.run) : deps;
  return { report: await approveRun(runId, withRun), notifier: deps.notifier };
}
