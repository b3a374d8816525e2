/**
 * Issue 7 on the CSV channel in AWS: a manager created or reactivated in a run reaches Coupa before
 * the users who report to it, across batches. Within one batch the files go level by level
 * (batcher.ts); but up to CSV_BATCHER_POLLERS batches are built at once from a standard queue that
 * keeps no order, so a report whose manager sits in another batch could be loaded first and fail
 * with "Manager is invalid". So a report waits (is handed back to the queue) until its manager is in
 * this batch or was settled by an earlier one (SettledLogins), for a bounded number of receives.
 */
import type { ChangeMessage, PlannedChange } from '../model';
import type { SettledLogins } from '../ports';

/**
 * The least maxReceiveCount of the csv queue (lib/constructs/queues.ts): AWS advises at least 5 for a
 * queue Lambda polls, so a row never dead-letters only because its batch met a throttle.
 */
export const MIN_CSV_RECEIVE_COUNT = 5;

/**
 * From this receive on, a report stops waiting for its manager. Every hand-back counts as a receive
 * toward the csv queue's maxReceiveCount, so the limit stays 2 below it: the last two receives are
 * left for genuine delivery failures, and a report never dead-letters only because of order. With
 * the backoff of comeBackSooner (1, 2, 4, 8, 16, 30… min) that is a wait of up to 3 min at the least
 * maxReceiveCount (5) and about 90 min at the default (10): the manager's batch is usually settled
 * within seconds; the long tail covers its failed delivery, which comes back after the queue's
 * visibility timeout (about 30 min).
 */
export function managerWaitReceives(maxReceiveCount: number): number {
  return Math.max(maxReceiveCount, MIN_CSV_RECEIVE_COUNT) - 2;
}

/** Kinds whose login another change of the run may depend on (the planner's `dependsOn`). */
const isManagerKind = (m: ChangeMessage) => m.change.kind === 'create' || m.change.kind === 'reactivate';

/** Warnings the batcher adds to a change it sends (kept apart from the planner's, for the manifest). */
const deliveryWarnings = new WeakMap<PlannedChange, string[]>();

export function deliveryWarningsOf(change: PlannedChange): string[] | undefined {
  return deliveryWarnings.get(change);
}

/** The API channel's withoutFailedManager, for a manager that did not arrive in time. */
export function withoutLateManager(message: ChangeMessage): ChangeMessage {
  const { manager: _, ...send } = message.change.send;
  const warning = `manager "${message.change.dependsOn}" was not delivered in time: the manager was left unchanged`;
  const change = {
    ...message.change,
    send,
    changes: message.change.changes.filter((c) => c.field !== 'manager'),
    warnings: [...(message.change.warnings ?? []), warning],
  };
  deliveryWarnings.set(change, [warning]);
  const copy = { ...message, change };
  originals.set(copy, message);
  return copy;
}

/** The message as received, for each copy withoutLateManager made (its queue time is kept by it). */
const originals = new WeakMap<ChangeMessage, ChangeMessage>();

export function receivedOf(message: ChangeMessage): ChangeMessage {
  return originals.get(message) ?? message;
}

export interface ManagerOrder {
  /** To send now (a copy without its manager when it waited long enough). */
  ready: ChangeMessage[];
  /** To hand back: their manager is not settled yet (or waits itself). */
  waiting: ChangeMessage[];
}

/**
 * Splits a batch into what may go now and what waits for its manager. The store is asked only for
 * runs with a message whose manager is not in the batch, once per run, and only about those
 * managers (a run may settle 100,000 managers; a batch of 10 needs at most 10 of them).
 * `receiveCount`: SQS's ApproximateReceiveCount of each message (1 when unknown).
 */
export async function holdForManagers(
  batch: readonly ChangeMessage[],
  settledLogins: SettledLogins,
  receiveCount: (m: ChangeMessage) => number,
  waitReceives: number,
): Promise<ManagerOrder> {
  const key = (runId: string, login: string) => `${runId}\n${login.toLowerCase()}`;
  const inBatch = new Map(batch.map((m) => [key(m.runId, m.change.login), m]));
  const elsewhere = new Map<string, Set<string>>();
  for (const m of batch) {
    const manager = m.change.dependsOn?.toLowerCase();
    if (manager && !inBatch.has(key(m.runId, manager))) elsewhere.set(m.runId, (elsewhere.get(m.runId) ?? new Set()).add(manager));
  }
  const settledByRun = new Map<string, Promise<Set<string>>>();
  const settled = (runId: string) => {
    if (!settledByRun.has(runId)) settledByRun.set(runId, settledLogins.settledOf(runId, [...(elsewhere.get(runId) ?? [])]));
    return settledByRun.get(runId)!;
  };
  const waits = new Set<ChangeMessage>();
  const ready: ChangeMessage[] = [];
  const waiting: ChangeMessage[] = [];
  // Lowest level first: a manager's own fate (waits or goes) is known before its reports'.
  for (const message of [...batch].sort((a, b) => a.change.level - b.change.level)) {
    const manager = message.change.dependsOn;
    const managerHere = manager ? inBatch.get(key(message.runId, manager)) : undefined;
    const blocked = !manager ? false : managerHere ? waits.has(managerHere) : !(await settled(message.runId)).has(manager.toLowerCase());
    if (!blocked) ready.push(message);
    else if (receiveCount(message) >= waitReceives) ready.push(withoutLateManager(message));
    else {
      waits.add(message);
      waiting.push(message);
    }
  }
  return { ready, waiting };
}

/**
 * What a delivered batch records: the logins of the managers it settled, per run (only creates and
 * reactivations: no other change is ever waited for).
 */
export function settledManagers(delivered: readonly ChangeMessage[]): Map<string, string[]> {
  const byRun = new Map<string, string[]>();
  for (const m of delivered.filter(isManagerKind)) {
    const logins = byRun.get(m.runId);
    if (logins) logins.push(m.change.login.toLowerCase());
    else byRun.set(m.runId, [m.change.login.toLowerCase()]);
  }
  return byRun;
}
