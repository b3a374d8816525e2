/**
 * Plan: the HR file (exactly its version) against Coupa as the ReadCoupa step or the kept snapshot
 * has it — the same planFile the CLI runs — then guards, the plan kept (runs/<runId>/plan.json, its
 * SHA-256 returned for the steps that read it), the rows it settles recorded, and what comes next.
 */
import type { RowOutcome, RunRef } from '../model';
import type { OutcomeLedger, RunPlanSummary } from '../ports';
import { HrFileError } from '../hr/read-hr-file';
import { NeedsFullRead, readEveryUserCheckpointed } from '../plan/checkpointed-read';
import type { StateDeps } from '../plan/read-coupa-state';
import { planFile } from '../run/run-sync';
import { planKey } from '../sync/run-layout';
import type { PlanResult, RunState } from './contract';
import type { RunStepDeps } from './deps';
import { laneOf } from './admit';
import { hashOf } from './integrity';

/**
 * Settled outcomes per ledger object: a million rejected rows are 200 objects of ~1 MB, never one
 * 150 MB body built in memory.
 */
export const OUTCOMES_PER_RECORD = 5_000;

export async function recordInChunks(ledger: OutcomeLedger, run: RunRef, outcomes: Iterable<RowOutcome>): Promise<number> {
  let chunk: RowOutcome[] = [];
  let recorded = 0;
  for (const outcome of outcomes) {
    chunk.push(outcome);
    if (chunk.length === OUTCOMES_PER_RECORD) {
      await ledger.record(run, chunk);
      recorded += chunk.length;
      chunk = [];
    }
  }
  if (chunk.length > 0) await ledger.record(run, chunk);
  return recorded + chunk.length;
}

type PlanDeps = Pick<RunStepDeps, 'records' | 'objects' | 'state' | 'ledger' | 'directory' | 'clock' | 'config' | 'log' | 'references' | 'monitor'>;

export async function plan(state: RunState, deps: PlanDeps): Promise<PlanResult> {
  const { run } = state;
  await deps.records.update(run.runId, { phase: 'planning' });
  // The plan carries on the read ReadCoupa kept (to its end, whatever the time: only what was created
  // since is left); without one it asks for it rather than read every user here.
  const fullRead = (d: StateDeps) =>
    readEveryUserCheckpointed(d, {
      runId: run.runId,
      store: deps.state,
      timeLeft: () => Number.POSITIVE_INFINITY,
      maxContinuations: Number.MAX_SAFE_INTEGER,
      requireCheckpoint: true,
    });
  const references = deps.references && deps.config.preflight.enabled ? await deps.references(laneOf(state)) : undefined;
  let planned;
  try {
    planned = await planFile(
      { run, input: await deps.objects.get(run.file, state.version), read: { ownedCollections: deps.config.coupa.ownedCollections, hr: deps.config.hr }, dryRun: state.dryRun },
      {
        directory: await deps.directory(laneOf(state)),
        runs: deps.state,
        snapshots: deps.state,
        clock: deps.clock,
        config: deps.config,
        fullRead,
        ...(references ? { references } : {}),
      },
    );
  } catch (err) {
    if (!(err instanceof NeedsFullRead)) throw err;
    if (state.read?.force) throw new Error(`run ${run.runId}: the plan still lacks Coupa's users after ReadCoupa read them`);
    return { outcome: 'needs-full-read', toApply: 0, staged: 0, rows: 0 };
  }
  // A file that cannot be read to its end changes nothing, delta or full (nothing is recorded or queued yet).
  if (planned.broken) throw new HrFileError(run.file, `${planned.broken.slice(run.file.length + 2)}; the file must be read to its end: nothing was changed`);

  await recordInChunks(deps.ledger, run, planned.outcomes.recorded());
  const planSha256 = await hashOf(deps.objects, planKey(run.runId));
  const outcome: PlanResult['outcome'] = planned.dryRun ? 'planned' : planned.status === 'held' ? 'held' : planned.toApply.length > 0 ? 'apply' : 'nothing';
  const summary: RunPlanSummary = {
    startedAt: planned.startedAt.toISOString(),
    rows: planned.rows,
    absentees: planned.toApply.filter((c) => c.absent).length,
    details: { status: planned.status, dryRun: planned.dryRun, mode: planned.mode, guards: planned.guards, ...(planned.reason ? { reason: planned.reason } : {}) },
    planSha256,
    toApply: planned.toApply.length,
    staged: planned.staged.length,
    rosterLogins: planned.rosterLogins,
  };
  await deps.records.update(run.runId, { plan: summary });
  // One Coupa integration run per sync run that applies (a plan-only run is none), created pending.
  if (!planned.dryRun) await (await deps.monitor?.(state.channel))?.planned(run);
  deps.log('HR file planned', { outcome, rows: planned.rows, toApply: planned.toApply.length, staged: planned.staged.length });
  return { outcome, planSha256, toApply: planned.toApply.length, staged: planned.staged.length, rows: planned.rows };
}
