/**
 * The apply stage for the Users API: planned changes → POST/PUT, level by level (managers first),
 * up to `coupa.maxInFlight` requests at once so the rate governor's budget is used while Coupa takes
 * its 200–500 ms per answer. Each change carries the Coupa id: nothing is looked up again.
 *
 * Every change ends in exactly one result: applied (its outcome), failed (Coupa refused it, or the
 * breaker stopped the run before it), or handed back (transient trouble, or out of time: the caller
 * retries it — the CLI after a pause, a Lambda through its queue). A create refused because the
 * login is taken is re-read first: held with the planned values, it is `created` (taken-login.ts).
 */
import { CoupaAuthError, CoupaRejectedError } from '../coupa-errors';
import type { PlannedChange } from '../model';
import type { UserDirectory } from '../ports';
import type { CircuitBreaker } from './breaker';
import { OUTCOME_OF, resultOf, type ChangeResult } from './outcomes';
import { CONFIRMED_EXISTING, confirmedCreates, isLoginTaken, refusedAsTaken } from './taken-login';

export interface ApplyDeps {
  directory: UserDirectory;
  maxInFlight: number;
  breaker?: CircuitBreaker;
  /** A breaker per change instead (AWS: a batch may hold changes of several runs, each with its own). */
  breakerOf?: (change: PlannedChange) => CircuitBreaker | undefined;
  /** Each result as it happens (AWS records it at once: a crash must not lose what was applied). */
  onResult: (result: ChangeResult) => void | Promise<void>;
  /** Asked before each change starts: true hands the rest back (a Lambda running out of time). */
  shouldStop?: () => boolean;
}

export interface ApplyResult {
  /** Changes not applied for a transient reason: apply them again later. */
  retry: PlannedChange[];
  retryReason?: string;
  /**
   * The handed-back changes Coupa was actually asked for and failed (transient error), with the
   * error; the others in `retry` were never started (out of time, a later level, bad credentials).
   * Only these are failed attempts: a queue may count them toward dead-lettering, not the rest.
   */
  attemptsFailed: Map<PlannedChange, string>;
  /** Coupa refused the credentials: nothing more can be applied. */
  fatal?: CoupaAuthError;
  /** The breaker tripped; the changes after it were failed with `breaker.reason`. */
  stopped?: string;
}

/** The change as planned, for each copy withoutFailedManager made of it. */
const plannedOriginals = new WeakMap<PlannedChange, PlannedChange>();

/**
 * The change as it was planned (and queued): results and retries may carry a copy without its
 * manager; a caller that keeps something per planned change (the queue message) finds it by this.
 */
export function plannedOf(change: PlannedChange): PlannedChange {
  return plannedOriginals.get(change) ?? change;
}

/** A change whose manager (created in this run) did not make it goes without the manager, and says so. */
export function withoutFailedManager(change: PlannedChange, failedLogins: ReadonlySet<string>): PlannedChange {
  if (!change.dependsOn || !failedLogins.has(change.dependsOn.toLowerCase())) return change;
  const { manager: _, ...send } = change.send;
  const copy = {
    ...change,
    send,
    changes: change.changes.filter((c) => c.field !== 'manager'),
    warnings: [...(change.warnings ?? []), `manager "${change.dependsOn}" could not be created or reactivated: the manager was left unchanged`],
  };
  plannedOriginals.set(copy, plannedOf(change));
  return copy;
}

/**
 * An update whose only change was a manager that failed in this run: nothing is left to send, so no
 * PUT goes out and the row is `unchanged` (its warning says the manager was left as it was), not
 * `updated` with no changes.
 */
const nothingLeft = (change: PlannedChange): boolean => change.kind === 'update' && change.changes.length === 0;

async function write(change: PlannedChange, directory: UserDirectory): Promise<void> {
  if (change.kind === 'create') await directory.create(change.login, change.send);
  else await directory.update(change.id!, change.login, change.send);
}

function breakerLookup(deps: ApplyDeps): (change: PlannedChange) => CircuitBreaker | undefined {
  return (change) => (deps.breakerOf ? deps.breakerOf(change) : deps.breaker);
}

/** Applies `changes` (already in level order); results go to `onResult` as they happen. */
export async function applyChanges(changes: readonly PlannedChange[], deps: ApplyDeps): Promise<ApplyResult> {
  const result: ApplyResult = { retry: [], attemptsFailed: new Map() };
  const breakerOf = breakerLookup(deps);
  const failed = new Set<string>();
  const levels = new Map<number, PlannedChange[]>();
  for (const c of changes) {
    // push, not a spread: copying the level per change made a 100,000-change first load quadratic.
    const level = levels.get(c.level);
    if (level) level.push(c);
    else levels.set(c.level, [c]);
  }

  for (const level of [...levels.keys()].sort((a, b) => a - b)) {
    let queue = levels.get(level)!.map((c) => withoutFailedManager(c, failed));
    if (deps.directory.createMany && deps.directory.updateMany) queue = await applyInBulk(queue, deps, result, failed);
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const change = queue[next++];
        if (result.fatal || deps.shouldStop?.()) {
          result.retry.push(change);
          result.retryReason ??= result.fatal ? result.fatal.message : 'stopped early: out of time';
          continue;
        }
        if (nothingLeft(change)) {
          await deps.onResult(resultOf(change, 'unchanged'));
          continue;
        }
        const breaker = breakerOf(change);
        if (breaker?.tripped) {
          await deps.onResult(resultOf(change, 'failed', [`not applied: ${breaker.reason}`]));
          continue;
        }
        try {
          await write(change, deps.directory);
          breaker?.record(true);
          await deps.onResult(resultOf(change, OUTCOME_OF[change.kind]));
        } catch (refusal) {
          let err = refusal;
          if (refusedAsTaken(change, refusal)) {
            try {
              if ((await confirmedCreates([change], deps.directory)).has(change)) {
                breaker?.record(true);
                await deps.onResult(resultOf(change, 'created', undefined, [CONFIRMED_EXISTING]));
                continue;
              }
            } catch (readErr) {
              // The re-read failed: whether it is ours is unknown, so the change is tried again later (not failed).
              err = readErr;
            }
          }
          if (err instanceof CoupaRejectedError) {
            breaker?.record(false);
            failed.add(change.login.toLowerCase());
            await deps.onResult(resultOf(change, 'failed', err.messages.length ? err.messages : [err.message]));
          } else {
            if (err instanceof CoupaAuthError) result.fatal = err;
            else result.attemptsFailed.set(change, (err as Error).message);
            result.retry.push(change);
            result.retryReason = (err as Error).message;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.maxInFlight, queue.length)) }, worker));
    // A level's retries must land before the next level starts: its reports may wait for them.
    if (result.retry.length > 0 || result.fatal) {
      for (const later of [...levels.keys()].filter((l) => l > level).sort((a, b) => a - b)) result.retry.push(...levels.get(later)!);
      break;
    }
  }
  if (deps.breaker?.tripped) result.stopped = deps.breaker.reason;
  return result;
}

/** Items per bulk call where the flavour has them (CSO's lenient POST/PUT /api/users). */
export const BULK_CHUNK = 50;

/**
 * CSO: a level's creates, then its updates, go out in lenient bulk calls of BULK_CHUNK; each item's
 * answer settles its change (an item CSO skipped fails with the reason). A call that fails as a
 * whole (transient) hands its changes back; returns the changes left for the one-by-one path (none).
 */
async function applyInBulk(queue: PlannedChange[], deps: ApplyDeps, result: ApplyResult, failed: Set<string>): Promise<PlannedChange[]> {
  const { directory } = deps;
  const breakerOf = breakerLookup(deps);
  for (const change of queue.filter(nothingLeft)) await deps.onResult(resultOf(change, 'unchanged'));
  const creates = queue.filter((c) => c.kind === 'create');
  const updates = queue.filter((c) => c.kind !== 'create' && !nothingLeft(c));
  const send = async (items: PlannedChange[], call: (chunk: PlannedChange[]) => Promise<Array<{ user?: unknown; error?: string }>>) => {
    for (let i = 0; i < items.length; i += BULK_CHUNK) {
      const chunk: PlannedChange[] = [];
      for (const change of items.slice(i, i + BULK_CHUNK)) {
        const breaker = breakerOf(change);
        if (breaker?.tripped) await deps.onResult(resultOf(change, 'failed', [`not applied: ${breaker.reason}`]));
        else chunk.push(change);
      }
      if (chunk.length === 0) continue;
      if (result.fatal || deps.shouldStop?.()) {
        result.retry.push(...chunk);
        result.retryReason ??= result.fatal ? result.fatal.message : 'stopped early: out of time';
        continue;
      }
      try {
        const answers = await call(chunk);
        const taken = chunk.filter((change, n) => change.kind === 'create' && !answers[n]?.user && isLoginTaken([answers[n]?.error ?? '']));
        // A failed re-read leaves those creates failed with Coupa's own message, as before the re-read existed.
        const confirmed = await confirmedCreates(taken, directory).catch(() => new Set<PlannedChange>());
        for (const [n, change] of chunk.entries()) {
          const answer = answers[n];
          const ok = (Boolean(answer?.user) && !answer?.error) || confirmed.has(change);
          breakerOf(change)?.record(ok);
          if (!ok) failed.add(change.login.toLowerCase());
          if (confirmed.has(change)) await deps.onResult(resultOf(change, 'created', undefined, [CONFIRMED_EXISTING]));
          else await deps.onResult(ok ? resultOf(change, OUTCOME_OF[change.kind]) : resultOf(change, 'failed', [answer?.error ?? 'Coupa did not apply it']));
        }
      } catch (err) {
        if (err instanceof CoupaAuthError) result.fatal = err;
        else for (const change of chunk) result.attemptsFailed.set(change, (err as Error).message);
        result.retry.push(...chunk);
        result.retryReason = (err as Error).message;
      }
    }
  };
  await send(creates, (chunk) => directory.createMany!(chunk.map((c) => ({ login: c.login, fields: c.send }))));
  await send(updates, (chunk) => directory.updateMany!(chunk.map((c) => ({ id: c.id!, login: c.login, changes: c.send }))));
  return [];
}
