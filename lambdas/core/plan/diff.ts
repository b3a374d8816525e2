/**
 * Field comparison: which HR values differ from Coupa's, and each change as before → after.
 * Compares only the fields HR sets (an empty HR cell never blanks a Coupa value); `null` from HR
 * (the clear token) clears a field. Coupa's own spelling rules live here: e-mail compares
 * case-insensitively, collections as sets of names, a boolean Coupa omits is false.
 */
import { SYNC_FIELDS, isCollectionField, type FieldChange, type FieldValue, type SyncField, type UserFields } from '../model';

/** Two name lists hold the same set: case-sensitive names, order and repeats do not matter. */
function sameNames(desired: readonly string[], actual: unknown): boolean {
  const have = new Set(Array.isArray(actual) ? (actual as unknown[]).map((n) => String(n).trim()) : []);
  const want = new Set(desired);
  return want.size === have.size && [...want].every((n) => have.has(n));
}

/** Coupa stores e-mail case-preserving but compares it case-insensitively. */
export function sameValue(field: SyncField, desired: unknown, actual: unknown): boolean {
  // A collection Coupa did not return (absent or nil) is an empty set.
  if (isCollectionField(field)) return sameNames(desired as string[], actual);
  if (typeof desired === 'string' && typeof actual === 'string') {
    return field === 'email' ? desired.toLowerCase() === actual.trim().toLowerCase() : desired === actual.trim();
  }
  if (typeof desired === 'boolean') return desired === (actual ?? false);
  // Clearing (null) a field Coupa has empty or absent is no change.
  if (desired === null) return actual === null || actual === undefined || actual === '';
  return desired === actual;
}

/**
 * The fields whose HR value differs from Coupa's, in a stable order. A collection that differs as a
 * set is sent whole (the desired list): Coupa replaces the set on PUT.
 */
export function diffFields(desired: UserFields, actual: UserFields): UserFields {
  const changes: Record<string, unknown> = {};
  for (const field of SYNC_FIELDS) {
    const want = desired[field];
    if (want === undefined) continue;
    if (!sameValue(field, want, actual[field])) changes[field] = want;
  }
  return changes as UserFields;
}

/** Before → after of every field in `send` (`before` is Coupa's value, absent for a new user). */
export function fieldChanges(send: UserFields & { login?: string }, before: (UserFields & { login?: string }) | undefined): FieldChange[] {
  return Object.entries(send).map(([field, after]) => {
    const was = before?.[field as keyof UserFields] as FieldValue | undefined;
    return { field, ...(was !== undefined ? { before: was } : {}), after: after as FieldValue };
  });
}
