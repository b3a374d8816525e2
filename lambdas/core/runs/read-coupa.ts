/**
 * ReadCoupa: a full read of Coupa's users, when the plan will need one, in as many invocations as it
 * takes. Each invocation reads until its time is nearly up and keeps the cursor (the users read, the
 * next offset: plan/checkpointed-read.ts); the state machine loops on `done`. The plan step then
 * carries the kept read on (what was created since), refreshes what changed since it began, and
 * keeps it as the snapshot.
 *
 * Due when the roster is full and no kept snapshot can be refreshed instead, or when the plan asked
 * for it (`force`: a guard needs every user). Otherwise nothing is read here.
 */
import { advanceFullRead } from '../plan/checkpointed-read';
import { snapshotUsable, type StateDeps } from '../plan/read-coupa-state';
import type { ReadResult, RunState } from './contract';
import type { RunStepDeps } from './deps';
import { laneOf } from './admit';

/**
 * Time kept back from the invocation for the page in flight when the deadline comes, retried to its
 * worst (coupa.requestTimeoutMs + maxRetryMs, 90 s by default), and for keeping the cursor.
 */
export const READ_RESERVE_MS = 150_000;

type ReadDeps = Pick<RunStepDeps, 'directory' | 'state' | 'clock' | 'config' | 'log' | 'timeLeft'>;

export async function readCoupa(state: RunState, deps: ReadDeps): Promise<ReadResult> {
  const force = state.read?.force === true;
  const stateDeps: StateDeps = {
    directory: await deps.directory(laneOf(state)),
    snapshots: deps.state,
    clock: deps.clock,
    config: deps.config,
    onProgress: (message) => deps.log(message),
  };
  const carryingOn = state.read !== undefined && !state.read.done;
  const due = carryingOn || force || (deps.config.roster.mode === 'full' && !(await snapshotUsable(stateDeps)));
  if (!due) return { done: true, step: 0, usersRead: 0 };
  const advance = await advanceFullRead(stateDeps, {
    runId: state.run.runId,
    store: deps.state,
    timeLeft: () => deps.timeLeft() - READ_RESERVE_MS,
    maxContinuations: deps.config.roster.maxReadContinuations + 1,
  });
  deps.log(advance.done ? "Coupa's users read" : "Coupa's users not all read yet: the next ReadCoupa carries on", { ...advance });
  return { ...advance, ...(force ? { force } : {}) };
}
