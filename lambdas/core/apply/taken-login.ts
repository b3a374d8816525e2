/**
 * A create that Coupa refuses with "Login has already been taken" is often our own earlier delivery:
 * a change queued twice (a planner killed after queueing and run again beyond the queue's
 * deduplication window), or a create whose answer was lost. Re-reading that user tells the two
 * apart: if Coupa holds every value the change sets, the row is `created` (confirmed), not failed;
 * a user someone else created with other values stays a failure with Coupa's own message.
 */
import { CoupaRejectedError } from '../coupa-errors';
import type { CoupaUser, FieldChange, PlannedChange, SyncField } from '../model';
import { sameValue } from '../plan/diff';
import type { UserDirectory } from '../ports';

export const CONFIRMED_EXISTING = 'confirmed: the user already existed with these values (an earlier delivery created it)';

/** Coupa's words for a create of a login it already has (Core and CSO alike). */
export function isLoginTaken(messages: readonly string[]): boolean {
  return messages.some((m) => /\blogin has already been taken\b/i.test(m));
}

/** Whether the refusal of this change is the "login taken" one worth re-reading the user for. */
export function refusedAsTaken(change: PlannedChange, err: unknown): boolean {
  return change.kind === 'create' && err instanceof CoupaRejectedError && isLoginTaken(err.messages.length ? err.messages : [err.message]);
}

/** True when `user` holds every value the change sets (field by field, as an approval's recheck compares). */
export function holdsPlannedValues(change: PlannedChange, user: CoupaUser | undefined): boolean {
  if (!user) return false;
  const valueOf = (c: FieldChange) => (c.field === 'login' ? user.login : user.fields[c.field as SyncField]);
  return change.changes.every((c) => sameValue(c.field as SyncField, c.after, valueOf(c)));
}

/**
 * Of `creates` Coupa refused as "login taken", those whose user Coupa holds with the planned values:
 * one bulk read. A read that fails throws (the caller treats it as a transient failed attempt).
 */
export async function confirmedCreates(creates: readonly PlannedChange[], directory: UserDirectory): Promise<Set<PlannedChange>> {
  if (creates.length === 0) return new Set();
  const current = await directory.findByLogins([...new Set(creates.map((c) => c.login))]);
  const byLower = new Map([...current].map(([login, user]) => [login.toLowerCase(), user]));
  return new Set(creates.filter((c) => holdsPlannedValues(c, current.get(c.login) ?? byLower.get(c.login.toLowerCase()))));
}
