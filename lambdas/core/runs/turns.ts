/**
 * Runs take turns (one lane per kind of run, see contract.ts): a run writes to Coupa only while it
 * holds its lane's turn, so two runs' changes of one user never race in the queue, and each run is
 * planned against Coupa as the earlier run left it. The line and the turn live in the run table
 * (RunLineStore): the turn is taken by a conditional write and given back by a conditional delete
 * naming its holder, so two runs never hold it at once. The state machine asks again after
 * `waitSeconds` while a run waits (WaitForTurn).
 *
 * - Order: arrival (the storage event's time), then run id. A run takes the turn only once it has been
 *   in line LINE_SETTLE_MS after its arrival, so files dropped seconds apart line up in arrival order
 *   even when their events come in the other order.
 * - Stale: a file that arrived before the latest run that already took the turn is not applied over
 *   it (its alert says to upload it again if it should be). An approval is never stale: its staged
 *   changes are re-checked against Coupa as it is then (Recheck).
 * - Leftovers: an entry or a turn whose run has ended (its record says so) is taken out of the way;
 *   a run left waiting longer than reports.reportAfterHours gets one alert.
 */
import type { LineEntry, RunPhase } from '../ports';
import { RUN_ERRORS, RunStepError, type Lane, type RunState, type TurnResult } from './contract';
import type { RunStepDeps } from './deps';
import { laneOf } from './admit';

/** How long a new arrival waits for files dropped just before it whose events come late. */
export const LINE_SETTLE_MS = 30_000;
/** The first wait, and the longest: waits grow by half each time (the execution history stays small). */
export const FIRST_TURN_WAIT_S = 10;
export const MAX_TURN_WAIT_S = 600;

/** Phases after which a run holds no turn and waits in no line. */
const ENDED: ReadonlySet<RunPhase> = new Set(['reported', 'failed', 'expired', 'rejected', 'refused', 'stale']);

type TurnDeps = Pick<RunStepDeps, 'line' | 'records' | 'notifier' | 'clock' | 'config' | 'log'>;

/** The run's place in line: an approved run lines up again at its approval time. */
export function lineEntryOf(state: RunState): LineEntry {
  const arrivedAt = state.phase === 'approved' && state.approval ? state.approval.approvedAt : state.arrivedAt;
  return { runId: state.run.runId, file: state.run.file, arrivedAt };
}

export function nextWait(previous: TurnResult | undefined): number {
  if (previous?.status !== 'waiting') return FIRST_TURN_WAIT_S;
  return Math.min(MAX_TURN_WAIT_S, Math.max(FIRST_TURN_WAIT_S, Math.ceil(previous.waitSeconds * 1.5)));
}

async function ended(runId: string, deps: TurnDeps): Promise<boolean> {
  const record = await deps.records.get(runId);
  return record !== undefined && ENDED.has(record.phase);
}

export async function takeTurn(state: RunState, deps: TurnDeps): Promise<TurnResult> {
  const lane = laneOf(state);
  const entry = lineEntryOf(state);
  const { runId } = state.run;
  const now = deps.clock.now();
  const taken: TurnResult = { status: 'taken', waitSeconds: 0 };
  await deps.line.enter(lane, entry);

  let holder = await deps.line.holder(lane);
  if (holder?.runId === runId) return taken; // a retried step: it holds the turn already
  if (holder && (await ended(holder.runId, deps))) {
    deps.log('turn left by an ended run: released', { lane, holder: holder.runId });
    await deps.line.release(lane, holder.runId);
    holder = undefined;
  }
  if (lane === 'apply' && state.phase !== 'approved') {
    const latest = await deps.line.latestStart(lane);
    if (latest !== undefined && entry.arrivedAt < latest) {
      await deps.line.leave(lane, entry);
      return { status: 'stale', waitSeconds: 0 };
    }
  }
  const waiting = (behind: string): Promise<TurnResult> => waitLonger(lane, entry, behind, state, deps);
  if (holder) return waiting(holder.runId);
  for (const first of await deps.line.waiting(lane)) {
    if (first.runId === runId) break;
    if (await ended(first.runId, deps)) {
      await deps.line.leave(lane, first);
      continue;
    }
    return waiting(first.runId);
  }
  // An approval is an operator's act, not a storage event that may come late: it waits for no settling.
  const settleLeft = state.phase === 'approved' ? 0 : LINE_SETTLE_MS - (now.getTime() - Date.parse(entry.arrivedAt));
  if (settleLeft > 0) return { status: 'waiting', waitSeconds: Math.max(1, Math.ceil(settleLeft / 1000)) };
  // The turn records its holder's arrival as the lane's latest start (what makes older files stale).
  // An approval is no newer file: it keeps the latest start as it is, or every file that arrived while
  // it was held would turn stale.
  const arrivedAt = state.phase === 'approved' ? ((await deps.line.latestStart(lane)) ?? state.arrivedAt) : entry.arrivedAt;
  if (await deps.line.take(lane, { runId, arrivedAt, takenAt: now.toISOString() })) return taken;
  return waiting((await deps.line.holder(lane))?.runId ?? 'another run');
}

/** Still waiting: one alert once the wait passes reports.reportAfterHours. */
async function waitLonger(lane: Lane, entry: LineEntry, behind: string, state: RunState, deps: TurnDeps): Promise<TurnResult> {
  const hours = deps.config.reports.reportAfterHours;
  const waitedHours = (deps.clock.now().getTime() - Date.parse(entry.arrivedAt)) / 3_600_000;
  if (waitedHours > hours && (await deps.line.markAlerted(lane, entry, deps.clock.now().toISOString()))) {
    await deps.notifier.publish({
      kind: 'waiting',
      severity: 'failure',
      subject: `Coupa user sync: ${entry.file} waits for an earlier run`,
      message:
        `${entry.file}: run ${entry.runId} has waited more than ${hours} h (reports.reportAfterHours) behind run ${behind}. ` +
        'Runs of a bucket write to Coupa one at a time, oldest first; it starts by itself once the earlier run ends ' +
        '(find that run\'s execution by its run id: the runbook says where).',
      run: state.run,
    });
  }
  return { status: 'waiting', waitSeconds: nextWait(state.turn), behind };
}

/** Gives the lane's turn back if the run holds it (a conditional delete naming it), and leaves the line. */
export async function releaseTurn(state: RunState, deps: Pick<RunStepDeps, 'line'>): Promise<void> {
  const lane = laneOf(state);
  await deps.line.release(lane, state.run.runId);
  // Not holding it (a refused or failed run, or a release repeated): its entries still leave the line.
  await deps.line.leave(lane, lineEntryOf(state));
  if (state.phase === 'approved') await deps.line.leave(lane, { runId: state.run.runId, arrivedAt: state.arrivedAt });
}

/** A write step (Enqueue, Recheck) goes on only while its run holds the apply lane's turn. */
export async function requireTurn(state: RunState, deps: Pick<RunStepDeps, 'line'>): Promise<void> {
  const holder = await deps.line.holder('apply');
  if (holder?.runId !== state.run.runId) {
    throw new RunStepError(RUN_ERRORS.turnLost, `run ${state.run.runId} does not hold the turn (held by ${holder?.runId ?? 'nobody'}): it lines up again`);
  }
}
