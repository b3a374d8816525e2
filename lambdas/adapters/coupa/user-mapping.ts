/**
 * UserFields (model.ts: hyphenated Coupa element names, `manager` = manager login,
 * `default-currency` = currency code) ⇄ Coupa Core user payloads.
 * The same plain object serves JSON (bare object) and XML (wrapped in <user> by the builder):
 * manager → {"login": …} / <manager><login>…</login></manager>,
 * default-currency → {"code": …} / <default-currency><code>…</code></default-currency>.
 * Collections (roles, content-groups: name lists) → [{"name": …}] / <roles><role><name>…</name></role></roles>
 * (the XML item elements are added by xml-codec.ts). Coupa replaces such a set wholesale on PUT, so a
 * collection is sent only when it is in the fields given (the plan puts it there only when HR owns it);
 * user-groups and everything else outside SYNC_FIELDS never leave this module.
 */
import {
  COLLECTION_FIELDS,
  LICENCE_FIELDS,
  STRING_FIELDS,
  SYNC_FIELDS,
  isCollectionField,
  type CollectionField,
  type CoupaUser,
  type UserFields,
} from '../../core/model';

type Payload = Record<string, unknown>;

/** Body for POST /api/users: login plus every non-empty field (a create has nothing to clear). */
export function toCreatePayload(login: string, fields: UserFields): Payload {
  const out: Payload = { login };
  for (const [key, value] of Object.entries(toWire(fields))) {
    if (value === null || value === '' || value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue; // Coupa gives a new user the User role
    out[key] = value;
  }
  return out;
}

/** Body for PUT /api/users/:id: exactly `changes` (null clears a field). */
export function toUpdatePayload(changes: UserFields): Payload {
  return toWire(changes);
}

// `login` is written only by a rename (a user matched on the fallback key under another login).
const WIRE_FIELDS = new Set<string>([...SYNC_FIELDS, 'login']);

function toWire(fields: UserFields): Payload {
  const out: Payload = {};
  const known = WIRE_FIELDS;
  for (const [key, value] of Object.entries(fields)) {
    if (!known.has(key) || value === undefined) continue;
    if (key === 'manager') out.manager = value === null || value === '' ? null : { login: value };
    else if (key === 'default-currency') out[key] = value === null || value === '' ? null : { code: value };
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
    if (key in u) f[key] = u[key] === null ? null : String(u[key]);
  }
  for (const key of LICENCE_FIELDS) {
    if (key in u && u[key] !== null) f[key] = asBoolean(u[key]);
  }
  if ('active' in u && u.active !== null) fields.active = asBoolean(u.active);
  if ('manager' in u) fields.manager = nestedKey(u.manager, 'login');
  if ('default-currency' in u) fields['default-currency'] = nestedKey(u['default-currency'], 'code');
  for (const key of COLLECTION_FIELDS) {
    if (key in u) fields[key] = namesOf(u[key]);
  }
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
  return value === true || value === 'true';
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
 * `fields=[…]` for user reads: id, login and the sync fields, with manager and currency
 * reduced to their natural keys, and the owned collections (only those) to their names.
 * Coupa's `fields` takes a JSON array of (underscored) names.
 */
export function userFieldsFilter(ownedCollections: readonly CollectionField[] = []): string {
  const plain = SYNC_FIELDS.filter((f) => f !== 'manager' && f !== 'default-currency' && !isCollectionField(f)).map(queryName);
  const collections = COLLECTION_FIELDS.filter((c) => ownedCollections.includes(c)).map((c) => ({ [queryName(c)]: ['name'] }));
  return JSON.stringify(['id', 'login', ...plain, 'api_user', 'updated_at', { manager: ['login'] }, { default_currency: ['code'] }, ...collections]);
}
