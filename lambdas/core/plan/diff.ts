/**
 * Field comparison: which HR values differ from Coupa's, and each change as before → after.
 * Compares only the fields HR sets (an empty HR cell never blanks a Coupa value); `null` from HR
 * (the clear token) clears a field. Coupa's own spelling rules live here: e-mail and reference names
 * compare case-insensitively (Coupa resolves them so), collections as sets of names, a boolean Coupa
 * omits is false, an approval limit "1000 USD" equals "1000.00 usd", phones compare by their digits,
 * custom fields key by key (only the keys HR sets). Create-only fields (never shown back) are never
 * compared: they go out with a create and nowhere else.
 */
import {
  APPROVAL_LIMIT_FIELDS,
  CREATE_ONLY_FIELDS,
  CUSTOM_FIELDS,
  REFERENCE_FIELDS,
  SYNC_FIELDS,
  isCollectionField,
  type CustomFieldValues,
  type FieldChange,
  type FieldValue,
  type SyncField,
  type UserFields,
} from '../model';

/** Two name lists hold the same set: case-sensitive names, order and repeats do not matter. */
function sameNames(desired: readonly string[], actual: unknown): boolean {
  const have = new Set(Array.isArray(actual) ? (actual as unknown[]).map((n) => String(n).trim()) : []);
  const want = new Set(desired);
  return want.size === have.size && [...want].every((n) => have.has(n));
}

const isEmpty = (value: unknown): boolean => value === null || value === undefined || (typeof value === 'string' && value.trim() === '');

const CASE_INSENSITIVE: ReadonlySet<string> = new Set(['email', ...REFERENCE_FIELDS.filter((f) => f !== 'manager')]);
const APPROVAL_LIMITS: ReadonlySet<string> = new Set(APPROVAL_LIMIT_FIELDS);
const PHONES: ReadonlySet<string> = new Set(['phone-work', 'phone-mobile']);

/** "1000.00 USD" → amount and currency; a limit's name → undefined. */
function amountOf(limit: string): { amount: number; currency: string } | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([A-Za-z]{3})$/.exec(limit.trim());
  return match ? { amount: Number(match[1]), currency: match[2].toUpperCase() } : undefined;
}

function sameApprovalLimit(desired: string, actual: string): boolean {
  const [want, have] = [amountOf(desired), amountOf(actual)];
  if (want && have) return want.amount === have.amount && want.currency === have.currency;
  return desired.trim() === actual.trim();
}

/** A phone's dialable characters: "+1 415-555-0100" and "+1 (415) 555 0100" are the same number. */
const dialable = (phone: string): string => phone.replace(/[^\d+x]/gi, '').toLowerCase();

/** Every custom field HR sets holds the same value in Coupa (null = empty or absent). */
function sameCustomFields(desired: CustomFieldValues, actual: unknown): boolean {
  const have = (actual ?? {}) as Record<string, unknown>;
  return Object.entries(desired).every(([name, want]) => sameText(name, want, have[name]));
}

function sameText(field: string, desired: string | null, actual: unknown): boolean {
  // Clearing (null) a field Coupa has empty or absent is no change.
  if (desired === null) return isEmpty(actual);
  if (typeof actual !== 'string') return false;
  if (CASE_INSENSITIVE.has(field)) return desired.toLowerCase() === actual.trim().toLowerCase();
  if (APPROVAL_LIMITS.has(field)) return sameApprovalLimit(desired, actual);
  if (PHONES.has(field)) return dialable(desired) === dialable(actual);
  return desired === actual.trim();
}

/** HR's value (desired) and Coupa's (actual) mean the same for this field. */
export function sameValue(field: SyncField, desired: unknown, actual: unknown): boolean {
  // A collection Coupa did not return (absent or nil) is an empty set.
  if (isCollectionField(field)) return sameNames(desired as string[], actual);
  if (field === CUSTOM_FIELDS) return sameCustomFields(desired as CustomFieldValues, actual);
  if (typeof desired === 'boolean') return desired === (actual ?? false);
  if (typeof desired === 'string' || desired === null) return sameText(field, desired, actual);
  return desired === actual;
}

/** The custom fields HR sets whose value differs from Coupa's (Coupa merges the ones sent). */
function customFieldChanges(desired: CustomFieldValues, actual: unknown): CustomFieldValues | undefined {
  const have = (actual ?? {}) as Record<string, unknown>;
  const changed = Object.entries(desired).filter(([name, want]) => !sameText(name, want, have[name]));
  return changed.length > 0 ? Object.fromEntries(changed) : undefined;
}

const NEVER_COMPARED: ReadonlySet<string> = new Set(CREATE_ONLY_FIELDS);

/**
 * The fields whose HR value differs from Coupa's, in a stable order. A collection that differs as a
 * set is sent whole (the desired list): Coupa replaces the set on PUT. Custom fields: only those that
 * differ. Create-only fields are left out (a create sends the record's fields as they are).
 */
export function diffFields(desired: UserFields, actual: UserFields): UserFields {
  const changes: Record<string, unknown> = {};
  for (const field of SYNC_FIELDS) {
    const want = desired[field];
    if (want === undefined || NEVER_COMPARED.has(field)) continue;
    if (field === CUSTOM_FIELDS) {
      const custom = customFieldChanges(want as CustomFieldValues, actual[field]);
      if (custom) changes[field] = custom;
    } else if (!sameValue(field, want, actual[field])) changes[field] = want;
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
