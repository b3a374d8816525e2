/**
 * UserFields (model.ts: hyphenated Coupa element names, references held as natural keys) ⇄ Coupa
 * Core user payloads. The same plain object serves JSON (bare object) and XML (wrapped in <user> by
 * the builder). References go out as the named reference Coupa resolves (REFERENCE_KEYS):
 * manager → {"login": …} / <manager><login>…</login></manager>, default-currency → {"code": …},
 * department, legal-entity and default-account-type → {"name": …}, default-account → {"code": …},
 * default-address → {"location-code": …}, country-of-residence → {"code": …}.
 * Approval limits go out in the CSV template's form ("1000.00 USD" or a limit's name: Coupa documents
 * no API shape) and are read back from Coupa's object ({amount, currency: {code}} or {name}) in that
 * form. Phones go out as text. custom-fields is an object of name → value.
 * Collections (roles, content-groups, user-groups, approval-groups, account-groups: name lists) →
 * [{"name": …}] / <roles><role><name>…</name></role></roles> (the XML item elements are added by
 * xml-codec.ts). Coupa replaces such a set wholesale on PUT, so a collection is sent only when it is
 * in the fields given (the plan puts it there only when HR owns it). CSO's own fields never leave here.
 */
import {
  APPROVAL_LIMIT_FIELDS,
  COLLECTION_FIELDS,
  CREATE_ONLY_FIELDS,
  CUSTOM_FIELDS,
  LICENCE_FIELDS,
  REFERENCE_FIELDS,
  STRING_FIELDS,
  isCollectionField,
  isCoreField,
  type CollectionField,
  type CoupaUser,
  type CustomFieldValues,
  type ReferenceField,
  type UserFields,
} from '../../core/model';

type Payload = Record<string, unknown>;

/** The key each reference is named by in a payload (and read back from). */
export const REFERENCE_KEYS: Readonly<Record<ReferenceField, string>> = {
  manager: 'login',
  'default-currency': 'code',
  department: 'name',
  'default-account-type': 'name',
  'default-account': 'code',
  'default-address': 'location-code',
  'legal-entity': 'name',
  'country-of-residence': 'code',
};
const isReference = (key: string): key is ReferenceField => key in REFERENCE_KEYS;

/** Body for POST /api/users: login plus every non-empty field (a create has nothing to clear). */
export function toCreatePayload(login: string, fields: UserFields): Payload {
  const out: Payload = { login };
  for (const [key, value] of Object.entries(toWire(fields))) {
    if (value === null || value === '' || value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue; // Coupa gives a new user the User role
    out[key] = key === CUSTOM_FIELDS ? withoutNulls(value as Payload) : value;
  }
  return out;
}

/** Body for PUT /api/users/:id: exactly `changes` (null clears a field). */
export function toUpdatePayload(changes: UserFields): Payload {
  return toWire(changes);
}

function withoutNulls(values: Payload): Payload {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null && v !== ''));
}

function toWire(fields: UserFields): Payload {
  const out: Payload = {};
  for (const [key, value] of Object.entries(fields)) {
    // `login` is written only by a rename (a user matched on the fallback key under another login).
    if ((key !== 'login' && !isCoreField(key)) || value === undefined) continue;
    if (isReference(key)) out[key] = value === null || value === '' ? null : { [REFERENCE_KEYS[key]]: value };
    else if (isCollectionField(key)) out[key] = (Array.isArray(value) ? value : []).map((name) => ({ name: String(name) }));
    else out[key] = value;
  }
  return out;
}

/**
 * A Coupa user (parsed JSON or normalised XML) → CoupaUser. Only keys Coupa actually returned are
 * set ("always validate the presence of elements"); an empty XML element stays '' as Coupa wrote it.
 */
export function fromCoupaUser(raw: unknown): CoupaUser {
  const u = (raw ?? {}) as Record<string, unknown>;
  const fields: UserFields = {};
  const f = fields as Record<string, unknown>;
  for (const key of STRING_FIELDS) {
    if (key in u) f[key] = u[key] === null ? null : typeof u[key] === 'object' ? phoneText(u[key]) : String(u[key]);
  }
  for (const key of [...LICENCE_FIELDS, ...CREATE_ONLY_FIELDS]) {
    if (key in u && u[key] !== null) f[key] = asBoolean(u[key]);
  }
  if ('active' in u && u.active !== null) fields.active = asBoolean(u.active);
  for (const key of REFERENCE_FIELDS) {
    if (key in u) f[key] = nestedKey(u[key], REFERENCE_KEYS[key]);
  }
  for (const key of APPROVAL_LIMIT_FIELDS) {
    if (key in u) f[key] = approvalLimitText(u[key]);
  }
  for (const key of COLLECTION_FIELDS) {
    if (key in u) fields[key] = namesOf(u[key]);
  }
  if (CUSTOM_FIELDS in u) fields[CUSTOM_FIELDS] = customFieldsOf(u[CUSTOM_FIELDS]);
  const user: CoupaUser = { id: u.id === undefined || u.id === null ? '' : String(u.id), login: String(u.login ?? ''), fields };
  if ('api-user' in u && u['api-user'] !== null) user.apiUser = asBoolean(u['api-user']);
  if (typeof u['updated-at'] === 'string' && u['updated-at'] !== '') user.updatedAt = u['updated-at'];
  return user;
}

function nestedKey(value: unknown, key: string): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string') return value;
  const inner = (value as Record<string, unknown>)[key];
  return inner === null || inner === undefined ? null : String(inner);
}

/** A Coupa PhoneNumber object (country code, area code, number, extension) as one line of text. */
function phoneText(value: unknown): string | null {
  const p = value as Record<string, unknown>;
  const part = (k: string) => (p[k] === null || p[k] === undefined || p[k] === '' ? '' : String(p[k]));
  const text = [part('country-code') && `+${part('country-code')}`, part('area-code'), part('number')].filter(Boolean).join(' ');
  const extension = part('extension');
  return text === '' ? null : extension ? `${text} x${extension}` : text;
}

/** An approval limit in the CSV template's form: "1000.00 USD" for an amount, else its name. */
function approvalLimitText(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'object') return String(value);
  const limit = value as Record<string, unknown>;
  if (limit.amount !== undefined && limit.amount !== null && limit.amount !== '') {
    const currency = nestedKey(limit.currency, 'code');
    if (currency) return `${String(limit.amount)} ${currency}`;
  }
  return nestedKey(limit, 'name');
}

/** custom-fields as name → text (null kept: Coupa's nil). */
function customFieldsOf(value: unknown): CustomFieldValues {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]),
  );
}

/**
 * A collection as names: JSON `[{"id":1,"name":"Buyer"}]`, normalised XML (the same, `''` for an
 * empty `<roles></roles>`), or plain strings. Absent, nil or empty → [].
 */
function namesOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const names: string[] = [];
  for (const item of value) {
    const name = item !== null && typeof item === 'object' ? (item as Record<string, unknown>).name : item;
    if (name !== null && name !== undefined && String(name) !== '') names.push(String(name));
  }
  return names;
}

function asBoolean(value: unknown): boolean {
  return value === true || value === 'true' || value === 'Yes';
}

/** Users out of any Coupa list shape: JSON `[…]`, XML `{ users: […] }`, a single `{ user: {…} }` or bare object. */
export function userList(body: unknown): unknown[] {
  if (body === null || body === undefined || body === '') return [];
  if (Array.isArray(body)) return body;
  const obj = body as Record<string, unknown>;
  if (Array.isArray(obj.users)) return obj.users;
  if (obj.users && typeof obj.users === 'object') return [obj.users];
  if (obj.user && typeof obj.user === 'object') return Array.isArray(obj.user) ? obj.user : [obj.user];
  if ('id' in obj || 'login' in obj) return [obj];
  return [];
}

/** Query names use underscores where elements use hyphens (employee-number → employee_number). */
export function queryName(element: string): string {
  return element.replace(/-/g, '_');
}

/**
 * `fields=[…]` for user reads: id, login and the core sync fields, with references reduced to their
 * natural keys, approval limits to name/amount/currency, and the owned collections (only those) to
 * their names. Coupa's `fields` takes a JSON array of (underscored) names; newly added elements are
 * only returned when named there, which is why every field the sync compares is listed.
 */
export function userFieldsFilter(ownedCollections: readonly CollectionField[] = []): string {
  const nested = new Set<string>([...REFERENCE_FIELDS, ...APPROVAL_LIMIT_FIELDS, ...COLLECTION_FIELDS, ...CREATE_ONLY_FIELDS]);
  const plain = [...STRING_FIELDS, 'active', ...LICENCE_FIELDS, CUSTOM_FIELDS].filter((f) => !nested.has(f)).map(queryName);
  const references = REFERENCE_FIELDS.map((r) => ({ [queryName(r)]: [queryName(REFERENCE_KEYS[r])] }));
  const limits = APPROVAL_LIMIT_FIELDS.map((l) => ({ [queryName(l)]: ['name', 'amount', { currency: ['code'] }] }));
  const collections = COLLECTION_FIELDS.filter((c) => ownedCollections.includes(c)).map((c) => ({ [queryName(c)]: ['name'] }));
  return JSON.stringify(['id', 'login', ...plain, 'api_user', 'updated_at', ...references, ...limits, ...collections]);
}
