/**
 * Applies a batch of sync messages to Coupa: one bulk lookup for the whole batch, then per
 * record plan → POST/PUT. Messages of one login run in order; a retryable failure sends that
 * message and the login's later messages back to the queue, so order survives retries.
 */
import { CoupaAuthError, CoupaRejectedError } from '../coupa-errors';
import type { BulkItemResult, UserDirectory } from '../ports';
import type { SyncConfig } from '../config';
import type { CoupaUser, Outcome, RowOutcome, SyncMessage } from '../model';
import type { Notifier, OutcomeLedger } from '../ports';
import { byRun, notifyFailures, type SettledRow } from './notify';
import { planRecord, type Plan, type PlanOptions } from '../plan/plan-user';

export interface ConsumeDeps {
  directory: UserDirectory;
  ledger: OutcomeLedger;
  notifier: Notifier;
  config: SyncConfig;
  /** Plan only: look users up and report what would change, write nothing. */
  dryRun?: boolean;
  /**
   * Asked before each login is started: true stops the batch there and sends the rest back to
   * the queue (a Lambda running out of time must not be killed mid-batch with nothing recorded).
   */
  shouldStop?: () => boolean;
}

export interface ConsumeResult {
  outcomes: RowOutcome[];
  /** The same message objects that hit a retryable failure (SQS: batchItemFailures). */
  retry: SyncMessage[];
  /** Why they are retried (the last transient error), for logs and the dead-letter report. */
  retryReason?: string;
  /**
   * Coupa refused the credentials: the batch stopped; `retry` holds every message not settled.
   * The run cannot go on (CLI: stop; Lambda: fail those messages, alarm).
   */
  fatal?: CoupaAuthError;
}

const OUTCOME_OF: Record<'create' | 'update' | 'deactivate', Outcome> = {
  create: 'created',
  update: 'updated',
  deactivate: 'deactivated',
};

function groupByLogin(messages: SyncMessage[]): Map<string, SyncMessage[]> {
  const groups = new Map<string, SyncMessage[]>();
  for (const m of messages) {
    const group = groups.get(m.record.login) ?? [];
    group.push(m);
    groups.set(m.record.login, group);
  }
  return groups;
}

async function apply(plan: Plan, message: SyncMessage, directory: UserDirectory): Promise<CoupaUser | undefined> {
  const { login } = message.record;
  if (plan.kind === 'create') return directory.create(login, plan.fields);
  if (plan.kind === 'update' || plan.kind === 'deactivate') return directory.update(plan.id, login, plan.changes);
  return undefined;
}

/** Dry run: the state a real run would leave, so a login's later rows are planned against it. */
function simulate(plan: Plan, message: SyncMessage, current: CoupaUser | undefined): CoupaUser | undefined {
  if (plan.kind === 'create') return { id: '(new)', login: message.record.login, fields: { ...plan.fields } };
  if ((plan.kind === 'update' || plan.kind === 'deactivate') && current) {
    return { ...current, fields: { ...current.fields, ...plan.changes } };
  }
  return current;
}

function outcomeOf(message: SyncMessage, plan: Plan): RowOutcome {
  const { row, login } = message.record;
  if (plan.kind === 'unchanged') return { row, login, outcome: 'unchanged' };
  if (plan.kind === 'reject') return { row, login, outcome: 'rejected', errors: plan.errors };
  return { row, login, outcome: OUTCOME_OF[plan.kind], changedFields: plan.changedFields };
}

const planOptions = (deps: ConsumeDeps): PlanOptions => ({
  protectedLogins: deps.config.coupa.protectedLogins,
  ownedCollections: deps.config.coupa.ownedCollections,
});

/** Runs one login's messages in order; stops at the first retryable failure. */
async function consumeLogin(
  messages: SyncMessage[],
  found: CoupaUser | undefined,
  deps: ConsumeDeps,
  result: Settled,
): Promise<void> {
  let current = found;
  for (const [i, message] of messages.entries()) {
    const plan = planRecord(message.record, current, planOptions(deps));
    try {
      current = deps.dryRun ? simulate(plan, message, current) : ((await apply(plan, message, deps.directory)) ?? current);
      result.settled.push({ message, outcome: outcomeOf(message, plan) });
    } catch (err) {
      if (err instanceof CoupaRejectedError) {
        const errors = err.messages.length ? err.messages : [err.message];
        result.settled.push({ message, outcome: failed(message, errors) });
        continue;
      }
      handBack(err, messages.slice(i), result);
      return;
    }
  }
}

function failed(message: SyncMessage, errors: string[]): RowOutcome {
  return { row: message.record.row, login: message.record.login, outcome: 'failed', errors };
}

/** Bad credentials stop the batch; anything else transient (or unexpected) goes back to the queue. */
function handBack(err: unknown, messages: SyncMessage[], result: Settled): void {
  if (err instanceof CoupaAuthError) result.fatal = err;
  result.retry.push(...messages);
  result.retryReason = (err as Error).message;
}

/**
 * Where the flavour has bulk writes (CSO), each login's first change goes out in one call per
 * kind (create, update) instead of one call per user; the lenient answers come back per item.
 * Returns each login's remaining messages and state, for the one-by-one path.
 */
async function applyFirstChangesInBulk(
  groups: Map<string, SyncMessage[]>,
  found: Map<string, CoupaUser>,
  deps: ConsumeDeps,
  result: Settled,
): Promise<Map<string, { rest: SyncMessage[]; current?: CoupaUser }>> {
  const { directory } = deps;
  const left = new Map<string, { rest: SyncMessage[]; current?: CoupaUser }>();
  const creates: Array<{ message: SyncMessage; plan: Extract<Plan, { kind: 'create' }> }> = [];
  const updates: Array<{ message: SyncMessage; plan: Extract<Plan, { kind: 'update' | 'deactivate' }> }> = [];
  for (const [login, [first, ...rest]] of groups) {
    const plan = planRecord(first.record, found.get(login), planOptions(deps));
    left.set(login, { rest, current: found.get(login) });
    if (plan.kind === 'create') creates.push({ message: first, plan });
    else if (plan.kind === 'update' || plan.kind === 'deactivate') updates.push({ message: first, plan });
    else result.settled.push({ message: first, outcome: outcomeOf(first, plan) });
  }
  // A failed bulk call hands its logins back whole (first change and the rest), so order holds.
  const giveBack = (items: Array<{ message: SyncMessage }>, err: unknown) => {
    handBack(err, items.flatMap(({ message }) => [message, ...left.get(message.record.login)!.rest]), result);
    for (const { message } of items) left.delete(message.record.login);
  };
  const send = async <T extends { message: SyncMessage; plan: Plan }>(items: T[], call: (items: T[]) => Promise<BulkItemResult[]>) => {
    if (items.length === 0) return;
    if (result.fatal) return giveBack(items, result.fatal);
    try {
      const answers = await call(items);
      items.forEach(({ message, plan }, n) => {
        const answer = answers[n];
        if (answer?.user) left.get(message.record.login)!.current = answer.user;
        result.settled.push({ message, outcome: answer?.user ? outcomeOf(message, plan) : failed(message, [answer?.error ?? 'Coupa did not apply it']) });
      });
    } catch (err) {
      giveBack(items, err);
    }
  };
  await send(creates, (items) => directory.createMany!(items.map(({ message, plan }) => ({ login: message.record.login, fields: plan.fields }))));
  await send(updates, (items) => directory.updateMany!(items.map(({ message, plan }) => ({ id: plan.id, login: message.record.login, changes: plan.changes }))));
  return left;
}

/**
 * config.coupa.matchFallback: logins unknown to Coupa are looked for by employee number or e-mail,
 * so an HR login change renames the Coupa user instead of creating a duplicate.
 */
async function addFallbackMatches(found: Map<string, CoupaUser>, groups: Map<string, SyncMessage[]>, deps: ConsumeDeps): Promise<void> {
  if (deps.config.coupa.matchFallback === 'none' || !deps.directory.findByFallback) return;
  const missing = [...groups.keys()].filter((login) => !found.has(login));
  if (missing.length === 0) return;
  const records = missing.map((login) => {
    const { fields } = groups.get(login)![0].record;
    return { login, employeeNumber: fields['employee-number'] ?? undefined, email: fields.email ?? undefined };
  });
  for (const [login, user] of await deps.directory.findByFallback(records)) found.set(login, user);
}

/** Outcomes paired with the message they settle (a batch may mix runs). */
interface Settled {
  settled: SettledRow[];
  retry: SyncMessage[];
  retryReason?: string;
  fatal?: CoupaAuthError;
}

export async function consumeBatch(messages: SyncMessage[], deps: ConsumeDeps): Promise<ConsumeResult> {
  if (messages.length === 0) return { outcomes: [], retry: [] };
  const groups = groupByLogin(messages);
  let found: Map<string, CoupaUser>;
  try {
    found = await deps.directory.findByLogins([...groups.keys()]);
    await addFallbackMatches(found, groups, deps);
  } catch (err) {
    const fatal = err instanceof CoupaAuthError ? err : undefined;
    return { outcomes: [], retry: [...messages], retryReason: (err as Error).message, fatal };
  }
  const result: Settled = { settled: [], retry: [] };
  const bulk = !deps.dryRun && deps.directory.createMany && deps.directory.updateMany && groups.size > 1;
  const todo = bulk
    ? await applyFirstChangesInBulk(groups, found, deps, result)
    : new Map([...groups].map(([login, group]) => [login, { rest: group, current: found.get(login) }]));
  for (const { rest, current } of todo.values()) {
    if (rest.length === 0) continue;
    if (result.fatal || deps.shouldStop?.()) {
      result.retry.push(...rest);
      result.retryReason ??= result.fatal ? result.fatal.message : 'stopped early: out of time for this batch';
      continue;
    }
    await consumeLogin(rest, current, deps, result);
  }
  // What was applied is recorded even when the batch stopped early or the credentials failed.
  await settle(result.settled, deps);
  const { retry, retryReason, fatal } = result;
  return { outcomes: result.settled.map((s) => s.outcome), retry, retryReason, ...(fatal ? { fatal } : {}) };
}

/**
 * Records final outcomes in each run's ledger and tells people about the failures — unless
 * `notify: false` (a caller whose failures are already alarmed, and listed in the run's digest).
 */
export async function settle(
  settled: SettledRow[],
  deps: { ledger: OutcomeLedger; notifier: Notifier },
  options: { notify?: boolean } = {},
): Promise<void> {
  for (const { run, rows } of byRun(settled)) {
    await deps.ledger.record(run, rows.map((s) => s.outcome));
    if (options.notify !== false) await notifyFailures(run, rows.map((s) => s.outcome), deps.notifier);
  }
}
