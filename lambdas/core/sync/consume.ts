/**
 * Applies a batch of sync messages to Coupa: one bulk lookup for the whole batch, then per
 * record plan → POST/PUT. Messages of one login run in order; a retryable failure sends that
 * message and the login's later messages back to the queue, so order survives retries.
 */
import { CoupaAuthError, CoupaRejectedError, type UserDirectory } from '../coupa/directory';
import type { SyncConfig } from '../config';
import type { CoupaUser, Outcome, RowOutcome, SyncMessage } from '../model';
import type { Notifier, OutcomeLedger } from '../ports';
import { byRun, notifyFailures, type SettledRow } from './notify';
import { planRecord, type Plan } from './plan';

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

/** Runs one login's messages in order; stops at the first retryable failure. */
async function consumeLogin(
  messages: SyncMessage[],
  found: CoupaUser | undefined,
  deps: ConsumeDeps,
  result: Settled,
): Promise<void> {
  let current = found;
  for (const [i, message] of messages.entries()) {
    const plan = planRecord(message.record, current, { protectedLogins: deps.config.coupa.protectedLogins });
    try {
      current = deps.dryRun ? simulate(plan, message, current) : ((await apply(plan, message, deps.directory)) ?? current);
      result.settled.push({ message, outcome: outcomeOf(message, plan) });
    } catch (err) {
      if (err instanceof CoupaAuthError) {
        result.fatal = err;
        result.retryReason = err.message;
        result.retry.push(...messages.slice(i));
        return;
      }
      if (err instanceof CoupaRejectedError) {
        const { row, login } = message.record;
        const errors = err.messages.length ? err.messages : [err.message];
        result.settled.push({ message, outcome: { row, login, outcome: 'failed', errors } });
        continue;
      }
      // Retryable, or unexpected: back to the queue (the DLQ catches what never succeeds).
      result.retry.push(...messages.slice(i));
      result.retryReason = (err as Error).message;
      return;
    }
  }
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
  for (const [login, group] of groups) {
    if (result.fatal || deps.shouldStop?.()) {
      result.retry.push(...group);
      result.retryReason ??= result.fatal ? result.fatal.message : 'stopped early: out of time for this batch';
      continue;
    }
    await consumeLogin(group, found.get(login), deps, result);
  }
  // What was applied is recorded even when the batch stopped early or the credentials failed.
  await settle(result.settled, deps);
  const { retry, retryReason, fatal } = result;
  return { outcomes: result.settled.map((s) => s.outcome), retry, retryReason, ...(fatal ? { fatal } : {}) };
}

/** Records final outcomes in each run's ledger and tells people about the failures. */
export async function settle(settled: SettledRow[], deps: { ledger: OutcomeLedger; notifier: Notifier }): Promise<void> {
  for (const { run, rows } of byRun(settled)) {
    await deps.ledger.record(run, rows.map((s) => s.outcome));
    await notifyFailures(run, rows.map((s) => s.outcome), deps.notifier);
  }
}
