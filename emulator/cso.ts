/**
 * Coupa Sourcing Optimization (CSO) Users API: `X-CSO-API-KEY` auth, JSON only, 19-digit string ids,
 * lenient bulk create/update (bad entries are skipped and simply not counted).
 *
 * Choices where the CSO docs are silent or contradict themselves:
 * - Required on create: `name` and `email` (a sync cannot match users without them); `state`
 *   defaults to Active. Names and emails are unique ignoring case.
 * - `name`, `email` and `company-id` are immutable once set. In a bulk PUT an entry trying to change
 *   one is skipped whole (not counted); on `PUT /api/users/:id` it is a 400 with the reason.
 * - Null or empty values in a request are ignored ("Empty or null values are not supposed to be sent").
 * - `total` in a list is the number of matching users, before limit/offset.
 * - `PUT /api/users/:id` answers like the bulk PUT: `{"result":[…],"updated":1}`.
 * - Errors are JSON `{"errors":{"user":[…]}}` (the page's "formatted as XML" is a copy-paste slip).
 * - A non-JSON request body type → 415; an Accept of XML only → 406.
 */
import { header, json, type ApiRequest, type ApiResponse } from './http';
import { runQuery } from './query';

type Json = Record<string, unknown>;

export const CSO_STATES = ['Active', 'Blocked', 'Disabled', 'Removed'];
const STRING_FIELDS = ['state', 'name', 'first-name', 'last-name', 'phone-number', 'mobile-number', 'email',
  'company-id', 'street', 'zip-code', 'city', 'country', 'keywords'];
const BOOLEAN_FIELDS = ['accepts-agreement', 'provide-information', 'change-password', 'invoicing_user'];
const IMMUTABLE = ['name', 'email', 'company-id'];
const KNOWN = new Set(['id', 'external-user-name', ...STRING_FIELDS, ...BOOLEAN_FIELDS]);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const lower = (v: unknown) => String(v ?? '').toLowerCase();

export class CsoUserStore {
  private readonly users = new Map<string, Json>();
  // ids are generated as BigInt and kept as strings: they exceed Number.MAX_SAFE_INTEGER.
  private nextId = 9220538753483272000n;

  seed(users: Json[]): void {
    for (const user of users) {
      const id = user.id === undefined ? this.newId() : String(user.id);
      this.users.set(id, { ...withoutNulls(user), id });
    }
  }

  all(): Json[] {
    return [...this.users.values()].map((u) => ({ ...u }));
  }
  get(id: string): Json | undefined {
    const user = this.users.get(id);
    return user && { ...user };
  }

  /** Creates one user or returns why not. */
  create(entry: Json): { id: string } | { errors: string[] } {
    const fields = this.clean(entry);
    fields.state ??= 'Active';
    const errors = this.validate(fields, undefined);
    if (!fields.name) errors.unshift("Name can't be blank");
    if (!fields.email) errors.push("Email can't be blank");
    if (errors.length > 0) return { errors };
    const id = this.newId();
    this.users.set(id, { id, ...fields });
    return { id };
  }

  /** Updates one user (entry.id) or returns why not. */
  update(entry: Json): { id: string } | { errors: string[] } {
    const id = entry.id === undefined || entry.id === null ? undefined : String(entry.id);
    const current = id === undefined ? undefined : this.users.get(id);
    if (!current) return { errors: [id === undefined ? 'User ID is required for updates' : `User ${id} not found`] };
    const fields = this.clean(entry);
    const errors = this.validate(fields, id);
    for (const field of IMMUTABLE) {
      if (fields[field] !== undefined && current[field] !== undefined && lower(fields[field]) !== lower(current[field])) {
        errors.push(`${field} cannot be changed once set`);
      }
    }
    if (errors.length > 0) return { errors };
    this.users.set(id!, { ...current, ...fields, id: id! });
    return { id: id! };
  }

  private clean(entry: Json): Json {
    const out: Json = {};
    for (const [key, value] of Object.entries(entry)) {
      if (key === 'id' || key === 'external-user-name' || !KNOWN.has(key)) continue;
      if (value === null || value === undefined || value === '') continue;
      out[key] = value;
    }
    return out;
  }

  private validate(fields: Json, selfId: string | undefined): string[] {
    const errors: string[] = [];
    if (fields.state !== undefined && !CSO_STATES.includes(String(fields.state))) errors.push('State is not included in the list');
    for (const key of STRING_FIELDS) {
      if (fields[key] !== undefined && typeof fields[key] !== 'string') errors.push(`${key} must be a string`);
    }
    for (const key of BOOLEAN_FIELDS) {
      if (fields[key] !== undefined && typeof fields[key] !== 'boolean') errors.push(`${key} must be a boolean`);
    }
    if (fields.email !== undefined && !EMAIL.test(String(fields.email))) errors.push('Email is invalid');
    for (const key of ['name', 'email']) {
      if (fields[key] === undefined) continue;
      const clash = [...this.users.values()].some((u) => u.id !== selfId && lower(u[key]) === lower(fields[key]));
      if (clash) errors.push(`${key === 'name' ? 'Name' : 'Email'} has already been taken`);
    }
    return errors;
  }

  private newId(): string {
    this.nextId += 1n;
    return this.nextId.toString();
  }
}

function withoutNulls(object: Json): Json {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== null && v !== undefined));
}

const errors = (status: number, messages: string[]) => json(status, { errors: { user: messages } });

export interface CsoApiOptions {
  apiKey: string;
  maxPageSize: number;
}

/** Routes one CSO request (/api/users and /api/users/:id). */
export function handleCsoRequest(store: CsoUserStore, options: CsoApiOptions, request: ApiRequest): ApiResponse {
  if (header(request, 'x-cso-api-key') !== options.apiKey) return errors(401, ['Invalid or missing X-CSO-API-KEY']);
  const accept = header(request, 'accept') ?? '';
  if (/xml/i.test(accept) && !/json|\*\/\*/i.test(accept)) return errors(406, ['CSO answers application/json only']);
  const match = /^\/api\/users(?:\/([^/]+))?\/?$/.exec(request.path);
  if (!match) return errors(404, [`No route for ${request.method} ${request.path}`]);
  const id = match[1] === undefined ? undefined : decodeURIComponent(match[1]);

  if (request.method === 'GET' && id === undefined) {
    const result = runQuery(store.all(), request.query, { maxPageSize: options.maxPageSize, knownAttributes: KNOWN });
    if (!result.ok) return errors(400, [result.error]);
    return json(200, { total: result.total, users: result.items });
  }
  if (request.method === 'GET') {
    const user = store.get(id!);
    return user ? json(200, user) : errors(404, [`User ${id} not found`]);
  }
  if (request.method !== 'POST' && request.method !== 'PUT') return errors(405, [`${request.method} is not supported`]);
  if (request.method === 'POST' && id !== undefined) return errors(405, ['POST /api/users/:id is not supported']);

  const contentType = header(request, 'content-type') ?? '';
  if (!/application\/json/i.test(contentType)) return errors(415, ['Content-Type must be application/json']);
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return errors(400, ['Invalid JSON']);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return errors(400, ['Expected a JSON object']);
  const entries = (body as Json).users;

  if (request.method === 'PUT' && id !== undefined) {
    const entry = Array.isArray(entries) ? (entries[0] as Json) : (body as Json);
    const result = store.update({ ...entry, id });
    if ('errors' in result) return errors(400, result.errors);
    return json(200, { result: [{ type: 'api.put.updated', description: '1 objects updated.' }], updated: 1 });
  }
  if (!Array.isArray(entries)) return errors(400, ['Expected {"users":[…]}']);
  const objects = entries.filter((e): e is Json => e !== null && typeof e === 'object' && !Array.isArray(e));
  if (request.method === 'POST') {
    const created = objects.map((e) => store.create(e)).filter((r): r is { id: string } => 'id' in r);
    return json(201, {
      result: [{ type: 'api.post.added', description: `${created.length} objects created.` }],
      added: created.length,
      users: created.map(({ id: newId }) => ({ id: newId })),
    });
  }
  const updated = objects.map((e) => store.update(e)).filter((r) => 'id' in r).length;
  return json(200, { result: [{ type: 'api.put.updated', description: `${updated} objects updated.` }], updated });
}
