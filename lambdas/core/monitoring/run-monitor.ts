/**
 * Every applying sync run reported into Coupa's own integration monitoring (issue 17): one Coupa
 * integration run per sync run, one integration error per failed row of a user Coupa knows, and
 * those errors resolved by a later run that applies the user's change or finds the user as the
 * file wants.
 *
 * One call per phase, each able to run in its own process (the CLI calls them in one; the AWS
 * state machine's steps call them one by one): planned → applying → held → approved → ended.
 * What a later phase needs (the integration id, the Coupa run id, the error ids raised per login)
 * is kept through MonitoringStateStore, never looked up again in Coupa.
 *
 * Never in the way: every request goes through the users' transport (one rate budget); a refused
 * or failing monitoring request becomes one warning on the run's report and digest, and the phase
 * returns normally. Requests are bounded: at most 2 to find or create the integration (once per
 * state), 1 per phase, 2 at the end, one per raised error (at most MAX_ERRORS_PER_RUN) and one per
 * resolved error.
 */
import type { MonitoringConfig } from '../config';
import { CoupaAuthError } from '../coupa-errors';
import type { AbsenteeOutcome, CoupaMonitoringSummary, PlannedChange, RowOutcome, RunRef, RunReport } from '../model';
import type { Clock, IntegrationMonitoring, IntegrationRunAction, MonitoredRun, MonitoringStateStore } from '../ports';
import { reportRows } from '../report/report-rows';
import { describeMonitoredTotals, errorText, failedCreatesText, fitText } from './monitoring-text';

/** Integration errors one run raises at most: the rest are counted in the run's text (a breaker bounds failures anyway). */
export const MAX_ERRORS_PER_RUN = 500;
/** The scopes a Coupa admin grants the OAuth client for monitoring. */
export const MONITORING_SCOPE_NAMES = 'core.integration.read and core.integration.write';

/** Outcomes after which Coupa holds the user as the file wants: its earlier errors are resolved. */
const SETTLED_AS_WANTED = new Set(['created', 'updated', 'deactivated', 'reactivated', 'unchanged', 'applied']);

export interface RunMonitorDeps {
  api: IntegrationMonitoring;
  state: MonitoringStateStore;
  config: MonitoringConfig;
  /** Which channel applies the changes: the integration's type (`api` or `flat_file`). */
  channel: 'api' | 'csv';
  /** https://acme.coupahost.com: a run's page is `<instance>/integration_runs/<id>`. */
  instanceUrl: string;
  clock: Clock;
}

type Phase = 'planned' | 'applying' | 'held' | 'approved' | 'ended';

export class RunMonitor {
  constructor(private readonly deps: RunMonitorDeps) {}

  /** The sync run is planned and will apply (or be held): its Coupa integration run is created, pending. */
  async planned(run: RunRef): Promise<void> {
    const record: MonitoredRun = { startedAt: this.deps.clock.now().toISOString(), raised: 0, resolved: 0 };
    await this.guarded(run.runId, record, 'planned', async () => {
      const integrationId = await this.integrationId();
      record.integrationId = integrationId;
      record.coupaRunId = await this.deps.api.createRun(integrationId, { startTime: record.startedAt, flow: fitText(`coupa-user-sync run ${run.runId} (${baseName(run.file)}): planned`) });
      record.status = 'pending';
    });
  }

  /** Changes start to go out. */
  applying(runId: string): Promise<void> {
    return this.move(runId, 'applying', 'run', 'running');
  }

  /** The run waits for approval. */
  held(runId: string): Promise<void> {
    return this.move(runId, 'held', 'pause', 'paused');
  }

  /** The held run was approved: its staged changes go out. */
  approved(runId: string): Promise<void> {
    return this.move(runId, 'approved', 'run', 'running');
  }

  /**
   * The run ended (complete, stopped, expired, rejected): errors raised for its failed rows,
   * earlier errors resolved for users now as the file wants, its counts and end time written, and
   * `success` when no row failed, else `fail`. `changes` are the run's planned changes: they give
   * the Coupa id of each login (a failed create has none, and is listed in the run's text instead).
   */
  async ended(report: RunReport, changes: readonly PlannedChange[]): Promise<CoupaMonitoringSummary | undefined> {
    const record = await this.deps.state.runRecord(report.runId);
    if (!record) return undefined;
    // Ended already (a step retried after it finished): nothing is raised or moved twice.
    if (record.status === 'successful' || record.status === 'failed') return this.summaryOf(record);
    await this.guarded(report.runId, record, 'ended', async () => {
      const coupaRunId = record.coupaRunId!;
      const open = await this.deps.state.openErrors();
      const idOf = new Map(changes.filter((c) => c.id !== undefined).map((c) => [c.login.toLowerCase(), c.id!]));
      const failedCreates: RowOutcome[] = [];
      let notRaised = 0;
      // Failed rows an earlier attempt of this step already raised (creating an error is not idempotent).
      const alreadyRaised = record.failedRowsSeen ?? 0;
      let failedRowsSeen = 0;
      try {
        for (const o of endedRows(report)) {
          const login = o.login.toLowerCase();
          if (o.outcome === 'failed') {
            const userId = idOf.get(login);
            if (userId === undefined) {
              failedCreates.push(o);
            } else if (failedRowsSeen++ < alreadyRaised) {
              continue;
            } else if (record.raised < MAX_ERRORS_PER_RUN) {
              const id = await this.deps.api.raiseError({ runId: coupaRunId, userId, message: errorText(o), alert: this.deps.config.alertContacts });
              record.raised += 1;
              record.failedRowsSeen = failedRowsSeen;
              (open[login] ??= []).push(id);
              // Kept at once: a step cut short (a Lambda timeout runs no finally) does not raise it again.
              await this.deps.state.saveOpenErrors(open);
              await this.deps.state.saveRunRecord(report.runId, record);
            } else {
              notRaised += 1;
            }
          } else if (SETTLED_AS_WANTED.has(o.outcome) && open[login]?.length) {
            // Resolved one by one, each forgotten as soon as Coupa took it: a failure half-way leaves no id resolved twice or lost.
            while (open[login].length > 0) {
              await this.deps.api.resolveError(open[login][0]);
              open[login].shift();
              record.resolved += 1;
            }
            delete open[login];
          }
        }
      } finally {
        await this.deps.state.saveOpenErrors(open);
      }
      const succeeded = report.status === 'complete' && report.totals.failed === 0;
      // CSV rows handed to Coupa's loader and not read back (csv.waitResultsSeconds 0): the outcome is
      // Coupa's to tell (its data file source), so the run is left running rather than called successful.
      const unconfirmed = succeeded ? report.totals.submitted : 0;
      const flow = [
        `coupa-user-sync run ${report.runId} (${baseName(report.file)}): ${report.status}`,
        describeMonitoredTotals(report.totals),
        ...(unconfirmed > 0 ? [`${unconfirmed} row(s) handed to Coupa's user loader and not read back: see its data file source`] : []),
        ...(failedCreates.length > 0 ? [failedCreatesText(failedCreates)] : []),
        ...(notRaised > 0 ? [`${notRaised} more failed row(s) not raised as errors (at most ${MAX_ERRORS_PER_RUN} per run; see the run's report)`] : []),
      ].join('; ');
      await this.deps.api.updateRun(coupaRunId, { flow: fitText(flow), endTime: this.deps.clock.now().toISOString() });
      // Coupa's runs go to success only from running: a run that applied nothing was never set running.
      if (succeeded && record.status !== 'running') {
        await this.deps.api.setRunStatus(coupaRunId, 'run');
        record.status = 'running';
      }
      if (unconfirmed > 0) return;
      await this.deps.api.setRunStatus(coupaRunId, succeeded ? 'success' : 'fail');
      record.status = succeeded ? 'successful' : 'failed';
    });
    return this.summaryOf(record);
  }

  /**
   * The run broke before it could report (an error the sync itself raises, e.g. Coupa refusing the
   * credentials mid-run): its Coupa run fails with the reason, so it is not left running for ever.
   */
  async broken(runId: string, reason: string): Promise<void> {
    const record = await this.deps.state.runRecord(runId);
    if (!record || record.status === 'successful' || record.status === 'failed') return;
    await this.guarded(runId, record, 'ended', async () => {
      await this.deps.api.updateRun(record.coupaRunId!, { flow: fitText(`coupa-user-sync run ${runId}: broken: ${reason}`), endTime: this.deps.clock.now().toISOString() });
      await this.deps.api.setRunStatus(record.coupaRunId!, 'fail');
      record.status = 'failed';
    });
  }

  /** What the run's report says of its Coupa integration run so far (undefined: monitoring saw no such run). */
  async summary(runId: string): Promise<CoupaMonitoringSummary | undefined> {
    const record = await this.deps.state.runRecord(runId);
    return record ? this.summaryOf(record) : undefined;
  }

  private summaryOf(record: MonitoredRun): CoupaMonitoringSummary {
    return {
      ...(record.coupaRunId ? { integrationRunId: record.coupaRunId, url: `${this.deps.instanceUrl.replace(/\/+$/, '')}/integration_runs/${record.coupaRunId}` } : {}),
      ...(record.status ? { status: record.status } : {}),
      raised: record.raised,
      resolved: record.resolved,
      ...(record.warning ? { warning: record.warning } : {}),
    };
  }

  private async move(runId: string, phase: Phase, action: IntegrationRunAction, status: MonitoredRun['status']): Promise<void> {
    const record = await this.deps.state.runRecord(runId);
    if (!record || record.status === status) return;
    await this.guarded(runId, record, phase, async () => {
      await this.deps.api.setRunStatus(record.coupaRunId!, action);
      record.status = status;
    });
  }

  /**
   * Runs one phase's requests unless monitoring cannot write for this run, turns any failure into
   * the run's one warning, and keeps the record either way. Never throws a Coupa error.
   */
  private async guarded(runId: string, record: MonitoredRun, phase: Phase, work: () => Promise<void>): Promise<void> {
    const refused = this.deps.api.scopesRefused();
    if (refused.length > 0 && !record.warning) {
      record.warning = scopeWarning(`Coupa refused the OAuth token's scopes ${refused.join(' ')}`);
      record.scopeRefused = true;
    }
    const canWrite = !record.scopeRefused && (phase === 'planned' || record.coupaRunId !== undefined);
    if (canWrite) {
      try {
        await work();
      } catch (err) {
        if (err instanceof CoupaAuthError && err.status === 403) {
          record.warning ??= scopeWarning('Coupa refused a monitoring request (HTTP 403)');
          record.scopeRefused = true;
        } else if (err instanceof Error && err.name.startsWith('Coupa')) {
          record.warning ??= `Coupa integration monitoring could not record the run's ${phase} step (${err.message}); the users were synced as usual`;
        } else {
          throw err;
        }
      }
    }
    await this.deps.state.saveRunRecord(runId, record);
  }

  /** The integration's id: kept with the state; else found by its code, or created once. */
  private async integrationId(): Promise<string> {
    const code = this.deps.config.integrationCode;
    const kept = await this.deps.state.integrationId(code);
    if (kept) return kept;
    const id = (await this.deps.api.findIntegration(code)) ?? (await this.deps.api.createIntegration({
      code,
      name: this.deps.config.integrationName ?? code,
      endSystem: this.deps.config.endSystem,
      integrationType: this.deps.channel === 'csv' ? 'flat_file' : 'api',
    }));
    await this.deps.state.saveIntegrationId(code, id);
    return id;
  }
}

function scopeWarning(what: string): string {
  return `${what}: grant the OAuth client ${MONITORING_SCOPE_NAMES} to see this run in Coupa's integration monitoring (or set coupa.monitoring.enabled false); the users were synced as usual`;
}

/** The report's rows, then its absentees (as rows 0), in one pass. */
function* endedRows(report: RunReport): Iterable<RowOutcome> {
  yield* reportRows(report);
  for (const a of report.absentees) yield absenteeRow(a);
}

function absenteeRow(a: AbsenteeOutcome): RowOutcome {
  return { row: 0, absent: true, login: a.login, outcome: a.outcome, ...(a.changes ? { changedFields: a.changes.map((c) => c.field) } : {}), ...(a.errors ? { errors: a.errors } : {}) };
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}
