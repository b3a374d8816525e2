/**
 * UserFields ⇄ Coupa Sourcing Optimization (CSO) users. CSO knows fewer fields than Core:
 * login ⇄ name, firstname ⇄ first-name, lastname ⇄ last-name, email ⇄ email, active ⇄ state,
 * phone-work ⇄ phone-number, phone-mobile ⇄ mobile-number, and its own address and company fields
 * (street, zip-code, city, country, company-id) under their CSO names. Other sync fields (licences,
 * manager, …) do not exist in CSO and are not sent (a CSO config mapping one is refused).
 * CSO asks that "Empty or null values are not supposed to be sent", so a clear is skipped.
 * `email` and `company-id` are immutable once set: CSO skips an update that changes one, and the
 * directory reports that item as not applied.
 */
import type { CoupaUser, UserFields } from '../../core/model';

export type CsoState = 'Active' | 'Blocked' | 'Disabled' | 'Removed';

const FIELD_TO_CSO = {
  firstname: 'first-name',
  lastname: 'last-name',
  email: 'email',
  'phone-work': 'phone-number',
  'phone-mobile': 'mobile-number',
  street: 'street',
  'zip-code': 'zip-code',
  city: 'city',
  country: 'country',
  'company-id': 'company-id',
} as const;

export function toCsoPayload(fields: UserFields, deactivatedState: CsoState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, csoKey] of Object.entries(FIELD_TO_CSO)) {
    const value = fields[field as keyof typeof FIELD_TO_CSO];
    if (typeof value === 'string' && value !== '') out[csoKey] = value;
  }
  if (fields.active !== undefined) out.state = fields.active ? 'Active' : deactivatedState;
  return out;
}

/** Blocked, Disabled and Removed all read as inactive. */
export function fromCsoUser(raw: unknown): CoupaUser {
  const u = (raw ?? {}) as Record<string, unknown>;
  const fields: UserFields = {};
  for (const [field, csoKey] of Object.entries(FIELD_TO_CSO)) {
    if (csoKey in u) (fields as Record<string, unknown>)[field] = u[csoKey] === null ? null : String(u[csoKey]);
  }
  if (typeof u.state === 'string') fields.active = u.state === 'Active';
  return { id: u.id === undefined || u.id === null ? '' : String(u.id), login: String(u.name ?? ''), fields };
}

/** The subset of `fields` that CSO would store, to compare with a re-read user. */
export function csoComparable(fields: UserFields): UserFields {
  const out: UserFields = {};
  for (const field of Object.keys(FIELD_TO_CSO) as Array<keyof typeof FIELD_TO_CSO>) {
    const value = fields[field];
    if (typeof value === 'string' && value !== '') out[field] = value;
  }
  if (fields.active !== undefined) out.active = fields.active;
  return out;
}

/** CSO list bodies: `{"total":3,"users":[…]}`. */
export function csoUserList(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const users = (body as { users?: unknown } | null)?.users;
  return Array.isArray(users) ? users : [];
}
