/**
 * Coupa core users: state, validation and the JSON shape the API shows. Both the Users API and the
 * CSV loader write through here, so they validate alike.
 *
 * Choices where Coupa is undocumented (all deliberate):
 * - login/email/employee-number uniqueness and manager lookup ignore case (Coupa's database collation does).
 * - An unknown or read-only element in a request is ignored silently (fullname, api-user, id, …), as the
 *   playbook's own PUT sends `<fullname>`; an element the record already has (a custom field) is writable.
 * - `manager` that names no user, or the user itself → "Manager is invalid".
 * - Roles and content groups must already exist (Coupa: "referenced data must already exist", never
 *   auto-created): names resolve against a catalogue (DEFAULT_CATALOGUE, or EmulatorOptions.catalogue,
 *   plus any name a seed user holds), ignoring case, to the catalogue's spelling; an unknown name or id
 *   → "Roles is invalid" / "Content groups is invalid". User, approval and account groups stay open.
 * - Departments, charts of accounts and accounts, addresses, legal entities, currencies and named approval limits
 *   resolve against the same catalogue (references.ts); unknown → "Department is invalid" and so on.
 * - Elements that are null and not in the playbook's base set are omitted from output (Coupa says not to
 *   rely on element presence), so seeded users show the playbook's exact element list.
 */
import { LICENCE_BOOLEANS } from './elements';
import { APPROVAL_LIMIT_ELEMENTS, DEFAULT_REFERENCES, REFERENCE_ELEMENTS, References, type ReferenceCatalogue } from './references';

export type Json = Record<string, unknown>;
export interface FieldError {
  field: string;
  message: string;
}
export type WriteResult = { ok: true; user: StoredUser; changed: boolean } | { ok: false; errors: FieldError[] };

/** A stored user: hyphenated elements; `manager` holds the manager's id, collections hold names. */
export interface StoredUser {
  id: number;
  data: Json;
}

/** The playbook's element order; these are always shown (null as nil). */
const BASE_ELEMENTS = [
  'id', 'created-at', 'updated-at', 'login', 'email', 'purchasing-user', 'expense-user', 'sourcing-user',
  'inventory-user', 'employee-number', 'phone-work', 'phone-mobile', 'firstname', 'lastname', 'fullname',
  'api-user', 'active', 'salesforce-id', 'account-security-type', 'authentication-method', 'sso-identifier',
  'default-locale', 'default-account', 'business-group-security-type', 'edit-invoice-on-quick-entry',
  'avatar-thumb-url', 'mention-name',
] as const;

const READ_ONLY = new Set([
  'id', 'created-at', 'updated-at', 'fullname', 'api-user', 'avatar-thumb-url', 'supplier-user', 'support-user',
  'msp-user', 'created-by', 'updated-by', 'password', 'generate-password-and-notify',
]);
const COLLECTIONS = ['roles', 'user-groups', 'content-groups', 'approval-groups', 'account-groups'] as const;
/** Collections whose names must already exist in the catalogue. */
const CLOSED_COLLECTIONS = ['roles', 'content-groups'] as const;
export type Catalogue = Partial<Record<(typeof COLLECTIONS)[number], string[]>> &
  ReferenceCatalogue & {
    /** Custom fields the instance has (by name): the CSV loader reads a column of that name into custom-fields. */
    'custom-fields'?: string[];
  };
/** What a fresh instance knows: a few roles and content groups, departments, accounts, addresses, legal entities, limits. */
export const DEFAULT_CATALOGUE = {
  roles: ['User', 'Buyer', 'Approver', 'Expense User', 'Admin'],
  'content-groups': ['Everyone', 'EMEA', 'Americas'],
  'custom-fields': ['cost-centre-code', 'job-title'],
  // Open collections (any name is taken on a write) still list what exists: these, plus names users hold.
  'user-groups': ['Finance Team', 'Ops Team', 'IT Team', 'Everyone Else'],
  'approval-groups': ['Finance Approvers', 'IT Approvers'],
  'account-groups': ['US Accounts', 'EU Accounts'],
  ...DEFAULT_REFERENCES,
} satisfies Catalogue;

/** The reference lists `GET /api/<path>` serves (reference-lists.ts), by the kind each lists. */
export type ReferenceListKind =
  | 'departments' | 'account-types' | 'accounts' | 'addresses' | 'legal-entities' | 'currencies'
  | 'roles' | 'content-groups' | 'user-groups' | 'approval-groups' | 'account-groups';
const REFERENCES: ReadonlySet<string> = new Set<string>([...REFERENCE_ELEMENTS, ...APPROVAL_LIMIT_ELEMENTS]);
const STRINGS = ['login', 'email', 'firstname', 'lastname', 'middlename', 'employee-number', 'sso-identifier',
  'authentication-method', 'default-locale', 'mention-name', 'salesforce-id'];
const INTEGERS: Record<string, number[]> = { 'account-security-type': [0, 1, 2], 'business-group-security-type': [0, 1] };
const BOOLEANS = new Set<string>(['active', 'edit-invoice-on-quick-entry', ...LICENCE_BOOLEANS]);
const WRITABLE = new Set<string>([...STRINGS, ...Object.keys(INTEGERS), ...BOOLEANS, ...COLLECTIONS, ...REFERENCES,
  'manager', 'default-currency', 'custom-fields', 'phone-work', 'phone-mobile']);
/** Every element name a users query may filter on (seed custom fields are added from the data). */
export const USER_ELEMENTS: ReadonlySet<string> = new Set<string>([...BASE_ELEMENTS, ...READ_ONLY, ...WRITABLE, 'middlename']);
export const AUTHENTICATION_METHODS = ['coupa_credentials', 'ldap', 'saml'];
const MAX_LENGTH: Record<string, number> = { firstname: 40, lastname: 40, 'default-locale': 10 };

const LABELS: Record<string, string> = {
  login: 'Login', email: 'Email', firstname: 'First Name', lastname: 'Last Name', middlename: 'Middle Name',
  'employee-number': 'Employee number', 'authentication-method': 'Authentication method', manager: 'Manager',
  'default-currency': 'Default currency', 'default-locale': 'Default locale', 'mention-name': 'Mention name',
  'sso-identifier': 'Sso identifier',
};
export function labelOf(element: string): string {
  const generic = element.replace(/[-_]/g, ' ');
  return LABELS[element] ?? generic.charAt(0).toUpperCase() + generic.slice(1);
}

/** Elements whose plain-text true/false in XML input means a boolean. */
export const BOOLEAN_ELEMENTS: ReadonlySet<string> = BOOLEANS;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const lower = (v: unknown) => String(v ?? '').toLowerCase();
const isBlank = (v: unknown) => v === undefined || v === null || String(v).trim() === '';
const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Elements kept unique (ignoring case), looked up through an index so large loads stay fast. */
const UNIQUE_ELEMENTS = ['login', 'email', 'employee-number', 'mention-name'] as const;

export class CoreUserStore {
  private readonly users = new Map<number, StoredUser>();
  private readonly catalogue = new Map<string, number>();
  private readonly unique = new Map<string, Map<string, number>>(UNIQUE_ELEMENTS.map((e) => [e, new Map()]));
  /**
   * Rendered users, dropped when the user changes; each remembers the manager login it showed, so a
   * manager's rename is noticed at the next render without walking every user on each write.
   */
  private readonly rendered = new Map<number, { out: Json; managerLogin: unknown }>();
  /**
   * Per mention-name stem: every suffix below `next` is known to be taken, except possibly those in
   * `freed` (a min-heap of suffixes whose names were released since). Keeps generated mention names
   * O(log n) per user when thousands share a first and last name, instead of probing stem, stem1, …
   */
  private readonly mentionStems = new Map<string, { next: number; freed: number[] }>();
  /** Every element name a query may use: the known ones plus custom fields seen in the data. */
  private readonly elements = new Set<string>(USER_ELEMENTS);
  private nextId = 1000;
  /** Users in id order, rebuilt only when a user is added (ids never change). */
  private ordered: StoredUser[] | undefined;
  private readonly references: References;
  readonly customFieldNames: readonly string[];

  constructor(catalogue: Catalogue = DEFAULT_CATALOGUE) {
    for (const c of COLLECTIONS) for (const name of catalogue[c] ?? []) this.catalogueId(c, name);
    this.references = new References({ ...DEFAULT_REFERENCES, ...catalogue } as Required<ReferenceCatalogue>);
    this.customFieldNames = catalogue['custom-fields'] ?? DEFAULT_CATALOGUE['custom-fields'];
  }

  /** The records of one reference list, in id order, shaped as Coupa shows them (`{id, name, …}`). */
  referenceRecords(kind: ReferenceListKind): Json[] {
    if (!COLLECTIONS.includes(kind as never)) return this.references.records(kind as Parameters<References['records']>[0]);
    if (!CLOSED_COLLECTIONS.includes(kind as never)) {
      // Open collections: any name a user holds exists too.
      for (const user of this.users.values()) for (const name of (user.data[kind] as string[] | undefined) ?? []) this.catalogueId(kind, name);
    }
    const prefix = `${kind}:`;
    return [...this.catalogue.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, id]) => ({ id, name: key.slice(prefix.length), active: true }))
      .sort((a, b) => a.id - b.id);
  }

  /** Adds a record an admin would create in Coupa's setup pages (a department that appears later). */
  addReference(kind: 'departments' | 'addresses' | 'legal-entities' | 'currencies' | (typeof COLLECTIONS)[number], name: string): void {
    if (COLLECTIONS.includes(kind as never)) this.catalogueId(kind, name);
    else this.references.add(kind as 'departments', name);
  }

  elementNames(): ReadonlySet<string> {
    return this.elements;
  }

  /** Loads seed users literally (their element set is what they show), resolving managers by login. */
  seed(users: Json[]): void {
    const pendingManagers: Array<[StoredUser, string]> = [];
    for (const seed of users) {
      const id = seed.id === undefined ? this.nextId++ : Number(seed.id);
      // Ids only grow, as in Coupa: a user created later never takes a seeded id.
      if (id >= this.nextId) this.nextId = id + 1;
      const { manager, ...rest } = seed;
      const data: Json = { ...baseDefaults(), ...rest };
      delete data.id;
      data.fullname = fullName(data);
      data['mention-name'] ??= this.uniqueMentionName(data, id);
      for (const c of COLLECTIONS) {
        if (!Array.isArray(data[c])) continue;
        data[c] = namesOf(data[c]);
        for (const name of data[c] as string[]) this.catalogueId(c, name); // a seed's names exist
      }
      const user = { id, data };
      this.users.set(id, user);
      this.ordered = undefined;
      this.reindex(id, undefined, data);
      if (typeof manager === 'string') pendingManagers.push([user, manager]);
    }
    for (const [user, login] of pendingManagers) user.data.manager = this.findByLogin(login)?.id ?? null;
  }

  /** Every user in id order (a fresh array: callers may sort or filter it). */
  all(): StoredUser[] {
    return this.inIdOrder().slice();
  }
  /** Users `offset` … `offset + limit - 1` in id order, without touching the others. */
  page(offset: number, limit: number): StoredUser[] {
    return this.inIdOrder().slice(offset, offset + limit);
  }
  get size(): number {
    return this.users.size;
  }
  private inIdOrder(): StoredUser[] {
    if (!this.ordered) {
      this.ordered = [...this.users.values()];
      // Seeds and creates mostly arrive in id order already: check before paying for a sort.
      if (!this.ordered.every((u, i, all) => i === 0 || all[i - 1].id < u.id)) this.ordered.sort((a, b) => a.id - b.id);
    }
    return this.ordered;
  }
  get(id: number): StoredUser | undefined {
    return this.users.get(id);
  }
  findByLogin(login: string): StoredUser | undefined {
    return this.findBy('login', login);
  }
  /** The user whose unique element equals `value` (ignoring case). */
  findBy(element: (typeof UNIQUE_ELEMENTS)[number], value: string): StoredUser | undefined {
    const id = this.unique.get(element)!.get(lower(value));
    return id === undefined ? undefined : this.users.get(id);
  }

  /** Creates a user; with `commit` false only validates (the CSV loader uses that to report every error). */
  create(input: Json, commit = true): WriteResult {
    const id = this.nextId;
    const data: Json = { ...baseDefaults(), ...modernDefaults(), roles: ['User'] }; // Coupa's default role
    const errors = this.apply(data, input, id);
    errors.push(...this.validate(data, id));
    if (errors.length > 0) return { ok: false, errors: sortErrors(errors) };
    data.fullname = fullName(data);
    const user = { id, data };
    if (!commit) return { ok: true, user, changed: true };
    this.nextId++;
    data['mention-name'] ??= this.uniqueMentionName(data, id);
    const last = this.ordered?.[this.ordered.length - 1];
    if (this.ordered && !this.users.has(id) && (!last || last.id < id)) this.ordered.push(user);
    else this.ordered = undefined;
    this.users.set(id, user);
    this.reindex(id, undefined, data);
    return { ok: true, user, changed: true };
  }

  /** Partial update: only the elements sent change; collections sent replace the whole set. */
  update(id: number, input: Json, commit = true): WriteResult {
    const user = this.users.get(id);
    if (!user) return { ok: false, errors: [{ field: 'id', message: 'Record not found' }] };
    const data: Json = structuredClone(user.data);
    const errors = this.apply(data, input, id);
    errors.push(...this.validate(data, id));
    if (errors.length > 0) return { ok: false, errors: sortErrors(errors) };
    data.fullname = fullName(data);
    const changed = JSON.stringify(data) !== JSON.stringify(user.data);
    if (!commit) return { ok: true, user: { id, data }, changed };
    if (changed) {
      data['updated-at'] = nowIso();
      this.reindex(id, user.data, data);
      user.data = data;
    }
    return { ok: true, user, changed };
  }

  /** The user as the JSON API shows it (manager as {id, login}, collections as [{id, name}]). */
  /** Cached and shared: callers must not mutate the result (copy it first). */
  render(user: StoredUser): Json {
    const cached = this.rendered.get(user.id);
    const managerLogin = this.managerLoginOf(user);
    if (cached && this.users.get(user.id) === user && cached.managerLogin === managerLogin) return cached.out;
    const out = this.renderFresh(user);
    if (this.users.get(user.id) === user) this.rendered.set(user.id, { out, managerLogin });
    return out;
  }

  /** The login a rendering of `user` shows for its manager (the only other user it shows). */
  private managerLoginOf(user: StoredUser): unknown {
    const manager = user.data.manager;
    return typeof manager === 'number' ? this.users.get(manager)?.data.login : undefined;
  }

  private renderFresh(user: StoredUser): Json {
    const out: Json = {};
    const base = new Set<string>(BASE_ELEMENTS);
    for (const element of BASE_ELEMENTS) {
      const value = user.data[element] ?? null;
      out[element] = element === 'id' ? user.id : REFERENCES.has(element) ? this.references.render(element, value, user.data) : value;
    }
    for (const [element, value] of Object.entries(user.data)) {
      if (base.has(element) || COLLECTIONS.includes(element as never) || value === undefined) continue;
      if (element === 'manager') {
        const manager = typeof value === 'number' ? this.users.get(value) : undefined;
        if (manager) out.manager = { id: manager.id, login: manager.data.login };
        else out.manager = null;
      } else if (element === 'default-currency') {
        out[element] = value === null ? null : { code: value };
      } else if (REFERENCES.has(element)) {
        out[element] = this.references.render(element, value, user.data);
      } else {
        out[element] = value;
      }
    }
    for (const c of COLLECTIONS) {
      if (Array.isArray(user.data[c])) {
        out[c] = (user.data[c] as string[]).map((name) => ({ id: this.catalogueId(c, name), name }));
      }
    }
    return out;
  }

  /** Copies writable input elements into `data`, coercing types; returns type errors. */
  private apply(data: Json, input: Json, selfId: number): FieldError[] {
    const errors: FieldError[] = [];
    // An account resolves within the user's chart of accounts: set the chart first when both are sent.
    const entries = Object.entries(input).sort(([a], [b]) => Number(a === 'default-account') - Number(b === 'default-account'));
    for (const [element, raw] of entries) {
      if (READ_ONLY.has(element)) continue;
      if (!WRITABLE.has(element) && !(element in data)) continue;
      const fail = (message = `${labelOf(element)} is invalid`) => errors.push({ field: element, message });
      if (BOOLEANS.has(element)) {
        const value = toBoolean(raw);
        if (value === undefined) fail();
        else data[element] = value;
      } else if (element in INTEGERS) {
        const value = Number(raw);
        if (!INTEGERS[element].includes(value)) fail();
        else data[element] = value;
      } else if (element === 'manager') {
        if (raw === null || raw === '') data.manager = null;
        else {
          const key = typeof raw === 'object' ? (raw as Json) : { login: raw };
          const manager = key.id !== undefined && key.id !== null && key.id !== ''
            ? this.users.get(Number(key.id))
            : this.findByLogin(String(key.login ?? ''));
          if (!manager || manager.id === selfId) fail();
          else data.manager = manager.id;
        }
      } else if (element === 'default-currency') {
        const code = raw !== null && typeof raw === 'object' ? (raw as Json).code : raw;
        if (code === null || code === '') data[element] = null;
        else {
          // The playbook: "currency must already exist" (enabled in the instance).
          const known = typeof code === 'string' ? this.references.currency(code) : undefined;
          if (known === undefined) fail();
          else data[element] = known;
        }
      } else if (COLLECTIONS.includes(element as never)) {
        const names = raw === null || raw === '' ? [] : Array.isArray(raw) ? this.resolveNames(element, raw) : undefined;
        if (!names) fail();
        else data[element] = names;
      } else if (REFERENCES.has(element)) {
        const resolved = this.references.resolve(element, raw, data);
        if (!resolved.ok) fail();
        else data[element] = resolved.value;
        // An account named with its chart moves the user to that chart too.
        const chart = element === 'default-account' && resolved.ok ? this.references.chartNamedIn(raw) : undefined;
        if (chart !== undefined) data['default-account-type'] = chart;
      } else if (element === 'custom-fields') {
        if (raw !== null && typeof raw === 'object') data[element] = { ...((data[element] as Json) ?? {}), ...(raw as Json) };
        else fail();
      } else if (raw === null || typeof raw !== 'object') {
        data[element] = raw === null ? null : String(raw);
      } else if (element in data || element === 'phone-work' || element === 'phone-mobile' || element === 'default-account') {
        data[element] = raw;
      } else {
        fail();
      }
    }
    return errors;
  }

  private validate(data: Json, selfId: number): FieldError[] {
    const errors: FieldError[] = [];
    for (const [field, max] of Object.entries(MAX_LENGTH)) {
      if (typeof data[field] === 'string' && (data[field] as string).length > max) {
        errors.push({ field, message: `${labelOf(field)} is too long (maximum is ${max} characters)` });
      }
    }
    for (const field of ['login', 'email', 'firstname', 'lastname']) {
      if (isBlank(data[field])) errors.push({ field, message: `${labelOf(field)} can't be blank` });
    }
    if (!isBlank(data.login) && String(data.login).trim().length < 2) {
      errors.push({ field: 'login', message: 'Login is too short (minimum is 2 characters)' });
    }
    if (!isBlank(data.email) && !EMAIL.test(String(data.email))) errors.push({ field: 'email', message: 'Email is invalid' });
    for (const field of ['login', 'email', 'employee-number']) {
      if (isBlank(data[field])) continue;
      const holder = this.unique.get(field)!.get(lower(data[field]));
      if (holder !== undefined && holder !== selfId) errors.push({ field, message: `${labelOf(field)} has already been taken` });
    }
    const method = data['authentication-method'];
    if (method !== null && method !== undefined && !AUTHENTICATION_METHODS.includes(String(method))) {
      errors.push({ field: 'authentication-method', message: 'Authentication method is not included in the list' });
    }
    return dedupe(errors);
  }

  /** Keeps the unique-element indexes and the render cache in step with a write. */
  private reindex(id: number, before: Json | undefined, after: Json): void {
    for (const element of UNIQUE_ELEMENTS) {
      const index = this.unique.get(element)!;
      const key = isBlank(after[element]) ? undefined : lower(after[element]);
      if (before && !isBlank(before[element])) {
        const old = lower(before[element]);
        // An unchanged key is simply set again below (deleting it first would look like a release).
        if (old !== key && index.get(old) === id) {
          index.delete(old);
          if (element === 'mention-name') this.mentionNameReleased(old);
        }
      }
      if (key !== undefined) index.set(key, id);
    }
    // Reports' cached renderings check their manager's login themselves (see render).
    this.rendered.delete(id);
    for (const key of Object.keys(after)) this.elements.add(key);
  }

  private resolveNames(collection: string, items: unknown[]): string[] | undefined {
    const names: string[] = [];
    const closed = CLOSED_COLLECTIONS.includes(collection as never);
    for (const item of items) {
      const key = item !== null && typeof item === 'object' ? (item as Json) : { name: item };
      if (typeof key.name === 'string' && key.name.trim() !== '') {
        const name = key.name.trim();
        if (!closed) names.push(name);
        else {
          const known = this.knownName(collection, name);
          if (known === undefined) return undefined;
          names.push(known);
        }
      } else if (key.id !== undefined) {
        const name = [...this.catalogue.entries()].find(([k, v]) => k.startsWith(`${collection}:`) && v === Number(key.id));
        if (!name) return undefined;
        names.push(name[0].slice(collection.length + 1));
      } else return undefined;
    }
    return [...new Set(names)];
  }

  /** The catalogue's spelling of `name` in a closed collection (ignoring case), or undefined. */
  private knownName(collection: string, name: string): string | undefined {
    const prefix = `${collection}:`;
    if (this.catalogue.has(prefix + name)) return name;
    const wanted = lower(name);
    for (const key of this.catalogue.keys()) {
      if (key.startsWith(prefix) && lower(key.slice(prefix.length)) === wanted) return key.slice(prefix.length);
    }
    return undefined;
  }

  private catalogueId(collection: string, name: string): number {
    const key = `${collection}:${name}`;
    if (!this.catalogue.has(key)) this.catalogue.set(key, this.catalogue.size + 1);
    return this.catalogue.get(key)!;
  }

  /** The first of stem, stem1, stem2, … no other user holds (ignoring case). */
  private uniqueMentionName(data: Json, selfId: number): string {
    const stem = `${data.firstname ?? ''}${data.lastname ?? ''}`.toLowerCase().replace(/[^a-z0-9]/g, '') || 'user';
    const index = this.unique.get('mention-name')!;
    const candidate = (n: number) => (n === 0 ? stem : `${stem}${n}`);
    if (this.users.has(selfId)) {
      // Only when an id is reused (a duplicate seed id, or nextId meeting a seeded id): the user may hold
      // one of the names itself, which the per-stem state does not track, so probe plainly.
      let n = 0;
      while (index.get(candidate(n)) !== undefined && index.get(candidate(n)) !== selfId) n++;
      return candidate(n);
    }
    // An id not in the store holds no index entry, so "taken" is simply "in the index".
    let state = this.mentionStems.get(stem);
    if (!state) this.mentionStems.set(stem, (state = { next: 0, freed: [] }));
    while (state.freed.length > 0) {
      const n = state.freed[0];
      if (!index.has(candidate(n))) return candidate(n); // the lowest free suffix below `next`
      heapPop(state.freed); // taken again meanwhile
    }
    while (index.has(candidate(state.next))) state.next++;
    return candidate(state.next);
  }

  /** A mention name left the index: it may be stem + n for any split of its trailing digits. */
  private mentionNameReleased(name: string): void {
    for (let split = name.length; split >= 0; split--) {
      if (split < name.length && !(name[split] >= '0' && name[split] <= '9')) break;
      const suffix = name.slice(split);
      if (suffix.startsWith('0')) continue; // stem + n never has a leading zero
      const state = this.mentionStems.get(name.slice(0, split));
      const n = suffix === '' ? 0 : Number(suffix);
      if (state && n < state.next) heapPush(state.freed, n);
    }
  }
}

/** Binary min-heap over a plain array (the smallest value at index 0). */
function heapPush(heap: number[], value: number): void {
  let i = heap.push(value) - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= heap[i]) break;
    [heap[parent], heap[i]] = [heap[i], heap[parent]];
    i = parent;
  }
}
function heapPop(heap: number[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  for (let i = 0; ;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let least = i;
    if (left < heap.length && heap[left] < heap[least]) least = left;
    if (right < heap.length && heap[right] < heap[least]) least = right;
    if (least === i) return;
    [heap[least], heap[i]] = [heap[i], heap[least]];
    i = least;
  }
}

function baseDefaults(): Json {
  const now = nowIso();
  return {
    'created-at': now, 'updated-at': now, 'purchasing-user': false, 'expense-user': false, 'sourcing-user': false,
    'inventory-user': false, 'employee-number': null, 'phone-work': null, 'phone-mobile': null, 'api-user': false,
    active: true, 'salesforce-id': null, 'account-security-type': 0, 'authentication-method': 'coupa_credentials',
    'sso-identifier': null, 'default-locale': 'en', 'default-account': null, 'business-group-security-type': 1,
    'edit-invoice-on-quick-entry': false, 'avatar-thumb-url': null, 'mention-name': null,
  };
}

/** Elements a user created today shows besides the playbook's (an R40-era user has them all). */
function modernDefaults(): Json {
  const licences = Object.fromEntries(LICENCE_BOOLEANS.map((l) => [l, false]));
  // If no default currency is given, Coupa uses the instance's reporting currency (USD here).
  return { ...licences, middlename: null, manager: null, 'default-currency': 'USD' };
}

function fullName(data: Json): string {
  return [data.firstname, data.lastname].filter((v) => !isBlank(v)).join(' ');
}

export function toBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === 'boolean') return raw;
  const text = lower(raw).trim();
  if (['true', 'yes', 'y', 't', '1'].includes(text)) return true;
  if (['false', 'no', 'n', 'f', '0'].includes(text)) return false;
  return undefined;
}

function namesOf(items: unknown[]): string[] {
  return items.map((i) => (i !== null && typeof i === 'object' ? String((i as Json).name) : String(i)));
}

const FIELD_ORDER = ['login', 'email', 'firstname', 'lastname'];
function sortErrors(errors: FieldError[]): FieldError[] {
  const rank = (f: string) => (FIELD_ORDER.includes(f) ? FIELD_ORDER.indexOf(f) : FIELD_ORDER.length);
  return dedupe(errors).sort((a, b) => rank(a.field) - rank(b.field));
}
function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => !seen.has(e.message) && seen.add(e.message));
}
