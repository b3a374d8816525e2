/**
 * One run, start to end: read the roster → read Coupa → plan → guards → keep the plan → apply (or
 * hold, or stop at the plan for a dry run) → one report. The CLI runs it whole; the AWS handlers
 * run the same stages (plan in the splitter, apply in the consumers).
 */
import type { Readable } from 'node:stream';
import type { SyncConfig } from '../config';
import type { ReadOptions } from '../hr/read-hr-file';
import { HrFileError } from '../hr/read-hr-file';
import type { PlannedChange, RowOutcome, RunRef, RunReport, RunStatus } from '../model';
import { RowOutcomes } from './row-outcomes';
import type { Clock, Notification, Notifier, ReferenceListStore, ReferenceReader, RunStore, SnapshotStore, UserDirectory } from '../ports';
import { preflightPlan } from '../plan/preflight';
import { ReferenceLists } from '../plan/reference-lists';
import { readRoster } from '../roster/read-roster';
import { checkGuards, type GuardInput } from '../plan/guards';
import { readCoupaState, readEveryUser, type StateDeps } from '../plan/read-coupa-state';
import { Planner, canPlanAhead, type Plan } from '../plan/reconcile';
import type { CoupaState } from '../plan/coupa-state';
import { runDigest } from '../sync/notify';
import { OUTCOME_OF, rowOutcomesOf, type ChangeResult } from '../apply/outcomes';
import type { GuardVerdict } from '../model';
import type { RunMonitor } from '../monitoring/run-monitor';

/** How planned changes reach Coupa: the Users API, or user-import files over sFTP. */
export interface Applier {
  /** Applies the changes (in level order); every change gets exactly one result through `onResult`. */
  apply(changes: PlannedChange[], onResult: (result: ChangeResult) => void): Promise<{ stopped?: string }>;
}

export interface RunDeps {
  directory: UserDirectory;
  /**
   * Coupa's reference lists and where they are kept between runs (config preflight): without it
   * the plan checks e-mails but not references (CSO has none).
   */
  references?: { reader: ReferenceReader; kept?: ReferenceListStore };
  applier: Applier;
  runs: RunStore;
  snapshots?: SnapshotStore;
  notifier: Notifier;
  clock: Clock;
  config: SyncConfig;
  onProgress?: (message: string) => void;
  /** Reports the run into Coupa's integration monitoring (coupa.monitoring.enabled); never fails the run. */
  monitor?: RunMonitor;
  /**
   * Called once a delta file's look-ups have all answered, as the plan starts; the function it returns
   * is called once the plan is kept (or planning fails). Nothing goes to Coupa in between — a first
   * load's 100,000 changes are planned, guarded and kept there — so a caller may trade memory for time
   * in that stretch: the CLI lets V8's size-optimised collector run less often (bin/cli/collector.ts).
   * Not called for a full read of Coupa, whose garbage dwarfs its live data (the CLI's memory targets).
   */
  planStretch?: () => () => void;
}

export interface RunOptions {
  run: RunRef;
  input: Readable;
  read?: Omit<ReadOptions, 'file'>;
  /** Plan only: report what a run would do, write nothing to Coupa. */
  dryRun?: boolean;
  /**
   * AWS planner only, until its path is reworked: plan the rows of a delta file read before it broke
   * (PlannedRun.broken says where). Everyone else gets IncompleteRosterError: nothing is applied.
   */
  planBrokenDelta?: boolean;
}

/**
 * A file that could not be read to its end changes nothing, whatever the roster mode: a full roster's
 * absentees would be deactivated, and in a delta file a row never read could undo an earlier row of
 * the same login (rows are folded per login in file order).
 */
export class IncompleteRosterError extends HrFileError {}

/** A file planned and guarded: what to apply now, what is staged for approval, every row settled so far. */
export interface PlannedRun {
  run: RunRef;
  startedAt: Date;
  mode: 'delta' | 'full';
  status: RunStatus;
  dryRun: boolean;
  guards: GuardVerdict[];
  reason?: string;
  rosterLogins: number;
  /** Data rows read (valid or not). */
  rows: number;
  plan: Plan;
  /** Changes to apply now (all, or with roster.onHold "apply-rest" all but the deactivations; none when held or planning). */
  toApply: PlannedChange[];
  /** Changes a held run keeps for approval. */
  staged: PlannedChange[];
  /**
   * Outcomes known before applying: rejected, unchanged, held, and (dry run) what would happen;
   * spooled to the run's folder where the RunStore offers one (the CLI), else in memory.
   */
  outcomes: RowOutcomes;
  /** The file broke part-way (only with planBrokenDelta: the rows of a delta file before the break are planned). */
  broken?: string;
}

type PlanDeps = Omit<RunDeps, 'applier' | 'notifier'> & Pick<StateDeps, 'fullRead'>;

/** Read the roster and Coupa, plan, guard, keep the plan: everything before the first write. */
export async function planFile(options: RunOptions, deps: PlanDeps): Promise<PlannedRun> {
  // The plan stretch (RunDeps.planStretch), when one started, ends however planning ends.
  const stretch: { end?: () => void } = {};
  try {
    return await readAndPlan(options, deps, stretch);
  } finally {
    stretch.end?.();
  }
}

async function readAndPlan(options: RunOptions, deps: PlanDeps, stretch: { end?: () => void }): Promise<PlannedRun> {
  const { config, clock } = deps;
  const startedAt = clock.now();
  const mode = config.roster.mode;
  const outcomes = new RowOutcomes(deps.runs.outcomeSpool?.(options.run.runId));
  const settle = (o: RowOutcome) => outcomes.add(o);

  const { roster, broken } = await readRoster(options.input, { ...options.read, file: options.run.file, mode }, settle);
  if (broken && (mode === 'full' || !options.planBrokenDelta)) {
    const why =
      mode === 'full'
        ? 'a full roster must be read to its end (its absentees would be deactivated)'
        : 'a file must be read to its end before anything is applied (a later row of a login could undo an earlier one)';
    throw new IncompleteRosterError(
      options.run.file,
      `${broken.message.slice(options.run.file.length + 2)}; ${why}: nothing was changed. Fix the file (or its export) and run it again`,
    );
  }
  deps.onProgress?.(`read ${roster.rows} row(s) naming ${roster.listedLogins} distinct login(s)${broken ? ` (the file breaks after that: ${broken.message})` : ''}`);

  // The rows a plan settles go straight to the outcomes (a million unchanged rows are not first
  // held as objects); a plan made again (below) takes back what the first one settled.
  // One set of reference lists per run: each read (or taken from the kept copy) at most once.
  const references = deps.references && config.preflight.enabled
    ? new ReferenceLists({ ...deps.references, clock, maxAgeHours: config.preflight.maxAgeHours })
    : undefined;
  const planOptions = { file: options.run.file, mode, config };
  const plannerFor = (state: CoupaState) => {
    outcomes.mark();
    return new Planner(roster, state, planOptions, settle);
  };
  const planAgainst = async (state: CoupaState, planner = plannerFor(state)) => {
    const planned = planner.finish();
    return preflightPlan(planned, state, { references, directory: deps.directory, config }, settle);
  };
  // A delta file's logins are decided as their look-ups answer: the look-ups are rate-bound (100 s
  // for 100,000 logins at 20 req/s) and the CPU would idle meanwhile, then plan them all at once
  // while nothing goes to Coupa.
  let ahead: Planner | undefined;
  const onLookedUp = canPlanAhead(roster, planOptions)
    ? (state: CoupaState, entries: number) => {
        ahead ??= plannerFor(state);
        ahead.decideUpTo(entries);
      }
    : undefined;
  const { state, how } = await readCoupaState(roster, mode === 'full', { ...deps, config, ...(onLookedUp ? { onLookedUp } : {}) });
  if (how === 'looked-up') stretch.end = deps.planStretch?.();
  let plan = await planAgainst(state, ahead ?? plannerFor(state));
  if (references && references.readFromCoupa.length > 0) deps.onProgress?.(`pre-flight read ${references.readFromCoupa.join(', ')} from Coupa`);
  const accepted = mode === 'full' ? await deps.runs.acceptedRoster() : undefined;
  const guardInput = (p: Plan): GuardInput => ({
    mode,
    changes: p.changes,
    eligibleActive: p.eligibleActive,
    rosterLogins: roster.listedLogins,
    lastAcceptedLogins: accepted?.logins,
  });
  let guarded = checkGuards(guardInput(plan), config.roster);
  if ('needsEligibleCount' in guarded) {
    // The share test decides, and only the file's users were read: read them all (kept as a snapshot),
    // with the collector as it was: a full read's garbage.
    stretch.end?.();
    stretch.end = undefined;
    const everyUser = await readEveryUser({ ...deps, config });
    outcomes.rollback();
    plan = await planAgainst(everyUser);
    guarded = checkGuards(guardInput(plan), config.roster) as { verdicts: GuardVerdict[] };
  }
  const guards = (guarded as { verdicts: GuardVerdict[] }).verdicts;
  const held = guards.filter((g) => g.held);

  const dryRun = Boolean(options.dryRun || config.dryRun);
  const holdRest = held.length > 0 && config.roster.onHold === 'apply-rest';
  const toApply = dryRun ? [] : held.length === 0 ? plan.changes : holdRest ? plan.changes.filter((c) => c.kind !== 'deactivate') : [];
  const applying = new Set(toApply); // a Set: includes() per change was quadratic in the plan's size
  const staged = dryRun ? [] : plan.changes.filter((c) => !applying.has(c));
  const reason = held.length > 0 ? holdReason(held, dryRun ? 'planned' : holdRest ? 'rest' : 'nothing') : undefined;
  const status: RunStatus = dryRun ? 'planned' : held.length > 0 ? 'held' : 'complete';
  await deps.runs.savePlan({
    run: options.run,
    createdAt: startedAt.toISOString(),
    mode,
    status,
    guards,
    ...(reason ? { reason } : {}),
    rosterLogins: roster.listedLogins,
    changes: plan.changes,
    staged,
  });
  for (const change of dryRun ? plan.changes : []) for (const o of rowOutcomesOf({ change, outcome: OUTCOME_OF[change.kind] })) settle(o);
  // The reason is the run's (report.reason), stated once: a held row carries only what is its own.
  for (const change of staged) for (const o of rowOutcomesOf({ change, outcome: 'held' })) settle(o);
  return {
    run: options.run,
    startedAt,
    mode,
    status,
    dryRun,
    guards,
    ...(reason ? { reason } : {}),
    rosterLogins: roster.listedLogins,
    rows: roster.rows,
    plan,
    toApply,
    staged,
    outcomes,
    ...(broken ? { broken: broken.message } : {}),
  };
}

/** The alert a held run sends at once (the only message besides the run's digest). */
export function heldAlert(planned: PlannedRun, howToApprove?: string): Notification {
  const message = [planned.reason ?? 'held', ...(howToApprove ? [howToApprove] : [])].join('\n');
  return { kind: 'held', severity: 'failure', subject: `Coupa user sync held: ${planned.run.file}`, message, run: planned.run };
}

export async function runSync(options: RunOptions, deps: RunDeps): Promise<RunReport> {
  const planned = await planFile(options, deps);
  const { run, mode, guards, reason } = planned;
  const { outcomes } = planned;
  let status = planned.status;
  let stopReason: string | undefined;
  // A plan-only run changes nothing in Coupa: it is no integration run there.
  const monitor = planned.dryRun ? undefined : deps.monitor;
  await monitor?.planned(run);
  if (planned.toApply.length > 0) {
    deps.onProgress?.(`applying ${planned.toApply.length} change(s)`);
    await monitor?.applying(run.runId);
    const { stopped } = await deps.applier.apply(planned.toApply, (r) => outcomes.addAll(rowOutcomesOf(r))).catch(async (err: unknown) => {
      // The run breaks here (the CLI exits 2): its Coupa run fails with the reason rather than stay running.
      await monitor?.broken(run.runId, (err as Error).message);
      throw err;
    });
    if (stopped) {
      status = 'stopped';
      stopReason = [stopReason, stopped].filter(Boolean).join('; ');
      await deps.notifier.publish({ kind: 'stopped', severity: 'failure', subject: `Coupa user sync stopped: ${run.file}`, message: stopped, run });
    }
  }
  if (mode === 'full' && status === 'complete') await deps.runs.acceptRoster({ runId: run.runId, logins: planned.rosterLogins, at: deps.clock.now().toISOString() });
  if (planned.status === 'held') {
    await monitor?.held(run.runId);
    await deps.notifier.publish(heldAlert(planned));
  }

  const report = outcomes.report(run, planned.startedAt, deps.clock.now(), {
    status,
    dryRun: planned.dryRun,
    mode,
    guards,
    ...(reason || stopReason ? { reason: [reason, stopReason].filter(Boolean).join('; ') } : {}),
  });
  // A held run's Coupa run stays paused: its approval (or expiry, or rejection) ends it.
  const coupaMonitoring = planned.status === 'held' ? await monitor?.summary(run.runId) : await monitor?.ended(report, planned.plan.changes);
  if (coupaMonitoring) report.coupaMonitoring = coupaMonitoring;
  const where = await deps.runs.saveReport(report);
  // One digest per run (the held alert above is the only other message a run sends).
  await deps.notifier.publish(runDigest(report, where));
  return report;
}

/**
 * Which guard held the run and what was written: the facts only. How to approve or reject it depends on
 * where the run was (the CLI's flags, the AWS bucket), so the channel says it (CLI summary, held alert).
 */
function holdReason(held: GuardVerdict[], written: 'nothing' | 'rest' | 'planned'): string {
  const guards = held.map((g) => `${g.guard} guard (${g.detail})`).join(' and the ');
  if (written === 'planned') return `a real run would be held by the ${guards} until approved`;
  const what = written === 'rest' ? 'the deactivations were not applied (roster.onHold "apply-rest")' : 'nothing was written';
  return `held by the ${guards}: ${what}`;
}

