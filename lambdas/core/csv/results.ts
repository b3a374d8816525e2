/**
 * Reads back Coupa's verdict on delivered user-import files (`GET /api/data_file_sources`) and
 * turns it into per-HR-row outcomes. Coupa picks files up every 3–6 minutes, so a file may stay
 * pending for a while: callers poll (CLI) or come back later (scheduled Lambda).
 */
import { CoupaRetryableError } from '../coupa-errors';
import type { DataFileSourceReader, DataFileSourceResult } from '../ports';
import type { RowOutcome, RunRef } from '../model';
import type { Clock, Notifier, OutcomeLedger, TransferTracker } from '../ports';
import type { CsvManifest, CsvManifestRow, ManifestStore } from './manifest';

export interface CsvResultsDeps {
  reader: DataFileSourceReader;
  /** AWS: the connector's transfers, so a failed one is sent again, then its rows failed with the reason. */
  transfers?: TransferTracker;
  manifests: ManifestStore;
  ledger: OutcomeLedger;
  notifier: Notifier;
  clock: Clock;
}

export interface CsvResultsOptions {
  /** How long to wait for Coupa; 0 = look once. */
  timeoutSeconds: number;
  pollSeconds: number;
  onProgress?: (msg: string) => void;
}

const FINAL_STATUSES = new Set(['done', 'failed']);
/** Transfers of one file before its rows are failed; each retry waits for the next pass (every 5 minutes in AWS). */
export const MAX_TRANSFER_ATTEMPTS = 3;
/** Statuses of a load an administrator has halted: still pending (it may be resumed), but worth saying. */
const HELD_STATUSES = new Set(['stopped', 'paused']);
const MAX_LISTED = 50;

type LoaderError = DataFileSourceResult['errors'][number];

/**
 * One loader error as published (SNS, report): the file line, the column and Coupa's words, but
 * never the cell's value, which is often personal (e-mail, names). A message that repeats the
 * value has it blanked out too.
 */
function describeLoaderError(fileName: string, e: LoaderError): string {
  const what = e.field ? `${e.field}: ` : '';
  const value = e.value.trim();
  const messages = value.length >= 4 ? e.messages.map((m) => m.split(value).join('(value)')) : e.messages;
  return `Coupa loader (${fileName}, line ${e.row}): ${what}${messages.join('; ')}`;
}

/** Per-row outcomes of a file Coupa finished with (`Done` or `Failed`). */
export function outcomesOf(manifest: CsvManifest, result: DataFileSourceResult): RowOutcome[] {
  if (result.status.toLowerCase() === 'failed') {
    const why = `Coupa loader failed the whole file ${manifest.fileName}: ${result.resultText || 'status Failed'}`;
    const fileErrors = result.errors.map((e) => describeLoaderError(manifest.fileName, e));
    return manifest.rows.map((r) => ({ row: r.row, login: r.login, outcome: 'failed', errors: [why, ...fileErrors], ...(r.absent ? { absent: true } : {}) }));
  }

  const lines = new Set(manifest.rows.map((r) => r.line));
  const byLine = new Map<number, string[]>();
  const unplaced: string[] = [];
  for (const e of result.errors) {
    const line = e.row - 1; // Coupa counts the header as line 1
    const text = describeLoaderError(manifest.fileName, e);
    if (lines.has(line)) byLine.set(line, [...(byLine.get(line) ?? []), text]);
    else unplaced.push(text);
  }
  // An error Coupa cannot tie to a data line (e.g. on the header) may have touched every row.
  return manifest.rows.map((r: CsvManifestRow): RowOutcome => {
    const errors = [...(byLine.get(r.line) ?? []), ...unplaced];
    const absent = r.absent ? { absent: true } : {};
    const warnings = r.warnings?.length ? { warnings: r.warnings } : {};
    if (errors.length > 0) return { row: r.row, login: r.login, outcome: 'failed', errors, ...absent, ...warnings };
    return { row: r.row, login: r.login, outcome: r.deactivate ? 'deactivated' : 'applied', ...absent, ...warnings };
  });
}

/** Records each manifest row's outcome (outcomes[i] for rows[i]) in its run's ledger; returns the runs. */
async function recordPerRun(manifest: CsvManifest, outcomes: RowOutcome[], deps: Pick<CsvResultsDeps, 'ledger'>): Promise<Map<string, { run: RunRef; outcomes: RowOutcome[] }>> {
  const runs = new Map<string, { run: RunRef; outcomes: RowOutcome[] }>();
  manifest.rows.forEach((r, i) => {
    const entry = runs.get(r.run.runId) ?? { run: r.run, outcomes: [] };
    entry.outcomes.push(outcomes[i]);
    runs.set(r.run.runId, entry);
  });
  for (const { run, outcomes: runOutcomes } of runs.values()) await deps.ledger.record(run, runOutcomes);
  return runs;
}

async function settleFile(manifest: CsvManifest, result: DataFileSourceResult, deps: CsvResultsDeps): Promise<RowOutcome[]> {
  const outcomes = outcomesOf(manifest, result);
  const runs = await recordPerRun(manifest, outcomes, deps);

  const failed = manifest.rows.map((r, i) => ({ r, o: outcomes[i] })).filter(({ o }) => o.outcome === 'failed');
  if (failed.length > 0) {
    const lines = failed
      .slice(0, MAX_LISTED)
      .map(({ r, o }) => `HR file ${r.run.file} row ${r.row}, login ${r.login}: ${(o.errors ?? []).join('; ')}`);
    if (failed.length > MAX_LISTED) lines.push(`… and ${failed.length - MAX_LISTED} more (see the run reports)`);
    const onlyRun = runs.size === 1 ? [...runs.values()][0].run : undefined;
    await deps.notifier.publish({
      kind: 'csv-load-failed',
      severity: 'failure',
      subject: `Coupa user sync: ${failed.length} row(s) failed in CSV load ${manifest.fileName}`,
      message: [`Coupa's loader reported failures for ${manifest.fileName} (status ${result.status}):`, ...lines].join('\n'),
      ...(onlyRun ? { run: onlyRun } : {}),
      logins: [...new Set(failed.map(({ r }) => r.login))],
    });
  }
  await deps.manifests.complete(manifest.fileName);
  return outcomes;
}

/**
 * Coupa has not seen the file: did its transfer fail? Then send it again, or — after
 * MAX_TRANSFER_ATTEMPTS — fail its rows with the connector's reason. True when the file is settled.
 */
async function transferGaveUp(manifest: CsvManifest, deps: CsvResultsDeps, outcomes: RowOutcome[]): Promise<boolean> {
  const { state, reason } = await deps.transfers!.status(manifest);
  if (state !== 'failed') return false;
  const attempts = manifest.attempts ?? 1;
  if (attempts < MAX_TRANSFER_ATTEMPTS) {
    const { transferId } = await deps.transfers!.resend(manifest);
    // In place: a poll loop (CLI) asks about the new transfer next time round.
    Object.assign(manifest, { transferId, attempts: attempts + 1 });
    await deps.manifests.save(manifest);
    return false;
  }
  const why = `the sFTP transfer of ${manifest.fileName} failed ${attempts} times: ${reason ?? 'no reason given'}`;
  const failed = manifest.rows.map((r): RowOutcome => ({ row: r.row, login: r.login, outcome: 'failed', errors: [why], ...(r.absent ? { absent: true } : {}) }));
  await recordPerRun(manifest, failed, deps);
  await deps.manifests.complete(manifest.fileName);
  outcomes.push(...failed);
  return true;
}

export async function collectCsvResults(
  pending: CsvManifest[],
  deps: CsvResultsDeps,
  opts: CsvResultsOptions,
): Promise<{ outcomes: RowOutcome[]; pending: CsvManifest[] }> {
  const deadline = deps.clock.now().getTime() + opts.timeoutSeconds * 1000;
  const outcomes: RowOutcome[] = [];
  let waiting = [...pending];

  for (;;) {
    const still: CsvManifest[] = [];
    const held: string[] = [];
    for (const manifest of waiting) {
      let result: DataFileSourceResult | undefined;
      try {
        result = await deps.reader.findByFileName(manifest.fileName);
      } catch (err) {
        // A transient Coupa hiccup leaves the file pending for the next pass; anything else is a real problem.
        if (!(err instanceof CoupaRetryableError)) throw err;
        opts.onProgress?.(`could not read the load of ${manifest.fileName} yet: ${err.message}`);
      }
      if (result && FINAL_STATUSES.has(result.status.toLowerCase())) outcomes.push(...(await settleFile(manifest, result, deps)));
      else if (!result && deps.transfers && (await transferGaveUp(manifest, deps, outcomes))) continue;
      else {
        still.push(manifest);
        if (result && HELD_STATUSES.has(result.status.toLowerCase())) held.push(`${manifest.fileName} is ${result.status}`);
      }
    }
    waiting = still;
    // A stopped or paused load stays pending (it may be resumed), but nobody should wait for it unknowingly.
    const heldNote =
      held.length > 0 ? `; in Coupa's loader ${held.join(', ')} (held loads stay pending until an administrator resumes them in Coupa)` : '';

    const left = deadline - deps.clock.now().getTime();
    if (waiting.length === 0 || left <= 0) {
      if (heldNote) opts.onProgress?.(`${waiting.length} file(s) left pending${heldNote}`);
      break;
    }
    opts.onProgress?.(
      `waiting for Coupa to load ${pending.length} file(s): ${pending.length - waiting.length} done, ` +
        `${waiting.length} pending, ${Math.ceil(left / 1000)} s left${heldNote}`,
    );
    await deps.clock.sleep(Math.min(Math.max(opts.pollSeconds, 0.05) * 1000, left));
  }
  return { outcomes, pending: waiting };
}
