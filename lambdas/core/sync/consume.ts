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
}

export interface ConsumeResult {
  outcomes: RowOutcome[];
  /** The same message objects that hit a retryable failure (SQS: batchItemFailures). */
  retry: SyncMessage[];
  /** Why they are retried (the last transient error), for logs and the dead-letter report. */
  retryReason?: string;
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
      if (!deps.dryRun) current = (await apply(plan, message, deps.directory)) ?? current;
      result.settled.push({ message, outcome: outcomeOf(message, plan) });
    } catch (err) {
      if (err instanceof CoupaAuthError) throw err;
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

type FallbackDirectory = UserDirectory & {
  findByFallback(records: Array<{ login: string; employeeNumber?: string; email?: string }>): Promise<Map<string, CoupaUser>>;
};

function hasFallback(directory: UserDirectory): directory is FallbackDirectory {
  return typeof (directory as Partial<FallbackDirectory>).findByFallback === 'function';
}

/**
 * config.coupa.matchFallback: logins unknown to Coupa are looked for by employee number or e-mail,
 * so an HR login change renames the Coupa user instead of creating a duplicate.
 */
async function addFallbackMatches(found: Map<string, CoupaUser>, groups: Map<string, SyncMessage[]>, deps: ConsumeDeps): Promise<void> {
  if (deps.config.coupa.matchFallback === 'none' || !hasFallback(deps.directory)) return;
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
}

export async function consumeBatch(messages: SyncMessage[], deps: ConsumeDeps): Promise<ConsumeResult> {
  if (messages.length === 0) return { outcomes: [], retry: [] };
  const groups = groupByLogin(messages);
  let found: Map<string, CoupaUser>;
  try {
    found = await deps.directory.findByLogins([...groups.keys()]);
    await addFallbackMatches(found, groups, deps);
  } catch (err) {
    if (err instanceof CoupaAuthError) throw err;
    return { outcomes: [], retry: [...messages], retryReason: (err as Error).message };
  }
  const result: Settled = { settled: [], retry: [] };
  try {
    for (const [login, group] of groups) {
      await consumeLogin(group, found.get(login), deps, result);
    }
  } finally {
    // Even when credentials fail mid-batch, what was already applied is recorded.
    await settle(result.settled, deps);
  }
  return { outcomes: result.settled.map((s) => s.outcome), retry: result.retry, retryReason: result.retryReason };
}

/** Records final outcomes in each run's ledger and tells people about the failures. */
export async function settle(settled: SettledRow[], deps: { ledger: OutcomeLedger; notifier: Notifier }): Promise<void> {
  for (const { run, rows } of byRun(settled)) {
    await deps.ledger.record(run, rows.map((s) => s.outcome));
    await notifyFailures(run, rows.map((s) => s.outcome), deps.notifier);
  }
}
