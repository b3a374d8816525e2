/**
 * UserDirectory for the Coupa Core Users API (XML or JSON).
 *
 * Login matching is EXACT (case-sensitive), as Coupa returns the login. Coupa may match
 * `login[in]=` case-insensitively; a user found only under a different case is reported as not
 * found, so a create then fails loudly ("Login has already been taken") instead of the sync
 * silently adopting a differently-spelled account.
 */
import type { CoupaUser, UserFields } from '../../core/model';
import type { UserDirectory } from '../../core/ports';
import { CoupaRejectedError } from '../../core/coupa-errors';
import type { CoupaHttp, Query } from './http';
import { listPages, lookupIn } from './lookup';
import { fromCoupaUser, queryName, toCreatePayload, toUpdatePayload, userFieldsFilter, userList } from './user-mapping';

/** Coupa returns at most 50 records per GET. */
const CORE_PAGE_SIZE = 50;

export interface FallbackRecord {
  login: string;
  employeeNumber?: string;
  email?: string;
}

export class CoreUserDirectory implements UserDirectory {
  readonly canListUpdatedSince = true;

  constructor(private readonly http: CoupaHttp) {}

  /**
   * `GET /api/users` page by page (50, ordered by id, trimmed with `fields=`); with `updatedSince`,
   * only `updated_at[gt_or_eq]` it: a kept snapshot is refreshed in a few pages.
   */
  listUsers(options: { updatedSince?: string; fromOffset?: number } = {}): AsyncIterable<CoupaUser[]> {
    const query: Query = { ...this.fieldsQuery() };
    if (options.updatedSince) query['updated_at[gt_or_eq]'] = options.updatedSince;
    return listPages<CoupaUser>({
      http: this.http,
      path: '/api/users',
      query,
      pageSize: CORE_PAGE_SIZE,
      maxInFlight: this.http.config.maxInFlight ?? 1,
      startOffset: options.fromOffset,
      parsePage: (body) => userList(body).map(fromCoupaUser),
    });
  }

  /** `employee_number[in]=` / `email[in]=`; Coupa compares these ignoring case, so do we. */
  async findBy(key: 'employee-number' | 'email' | 'login', values: string[]): Promise<CoupaUser[]> {
    const lowered = new Set(values.map((v) => v.toLowerCase()));
    const users = await this.lookup(key, values, (u) => String(key === 'login' ? u.login : (u.fields[key] ?? '')));
    return users.filter((u) => lowered.has(String(key === 'login' ? u.login : (u.fields[key] ?? '')).toLowerCase()));
  }

  async findByLogins(logins: string[]): Promise<Map<string, CoupaUser>> {
    const wanted = new Set(logins);
    const users = await this.lookup('login', logins, (u) => u.login);
    const result = new Map<string, CoupaUser>();
    for (const user of users) if (wanted.has(user.login)) result.set(user.login, user);
    return result;
  }

  /**
   * Second-chance match for logins Coupa does not know (config.matchFallback): looks users up by
   * employee number or e-mail and returns them keyed by the HR login, so the sync can then
   * update the login. A value shared by two HR records, or matching two Coupa users, is ambiguous
   * and left unmatched. Returns an empty map when matchFallback is 'none'.
   */
  async findByFallback(records: FallbackRecord[]): Promise<Map<string, CoupaUser>> {
    const mode = this.http.config.matchFallback;
    const result = new Map<string, CoupaUser>();
    if (mode === 'none') return result;
    const valueOf = (r: FallbackRecord) => (mode === 'employee-number' ? r.employeeNumber : r.email) ?? '';
    const byValue = new Map<string, string[]>();
    for (const r of records) {
      const v = valueOf(r);
      if (v) byValue.set(v, [...(byValue.get(v) ?? []), r.login]);
    }
    const keyOf = (u: CoupaUser) => (u.fields[mode] as string | null | undefined) ?? '';
    const users = await this.lookup(mode, [...byValue.keys()], keyOf);
    const usersByValue = new Map<string, CoupaUser[]>();
    for (const u of users) usersByValue.set(keyOf(u), [...(usersByValue.get(keyOf(u)) ?? []), u]);
    for (const [value, hrLogins] of byValue) {
      const matches = usersByValue.get(value) ?? [];
      if (hrLogins.length === 1 && matches.length === 1) result.set(hrLogins[0], matches[0]);
    }
    return result;
  }

  async create(login: string, fields: UserFields): Promise<CoupaUser> {
    const payload = toCreatePayload(login, fields);
    let landed: CoupaUser | undefined;
    const res = await this.http.request('POST', '/api/users', {
      body: payload,
      xmlRoot: 'user',
      // A create that timed out (or met a reset/5xx) may have been committed by Coupa before the
      // answer was lost. Re-sending would fail with "Login has already been taken", so look the
      // login up first and, if it is there, take that user as the result of our create.
      beforeRetry: async () => {
        landed = (await this.findByLogins([login])).get(login);
        return landed ? { status: 201, headers: new Headers(), body: null, text: '' } : undefined;
      },
    });
    if (landed) return landed;
    const raw = userList(res.body)[0] as Record<string, unknown> | undefined;
    if (raw && raw.login !== undefined) return fromCoupaUser(raw);
    // return_object=limited/none: Coupa sent only the id (or nothing): rebuild from what we sent.
    const sent = fromCoupaUser(payload);
    if (raw?.id !== undefined && raw.id !== null) return { ...sent, id: String(raw.id), login };
    const readBack = (await this.findByLogins([login])).get(login);
    return readBack ?? { ...sent, login };
  }

  async update(id: string, login: string, changes: UserFields): Promise<CoupaUser> {
    const payload = toUpdatePayload(changes);
    let res;
    try {
      res = await this.http.request('PUT', `/api/users/${encodeURIComponent(id)}`, { body: payload, xmlRoot: 'user' });
    } catch (err) {
      if (err instanceof CoupaRejectedError && err.status === 404) {
        throw new CoupaRejectedError([`User ${id} no longer exists in Coupa (404)`], 404);
      }
      throw err;
    }
    const raw = userList(res.body)[0] as Record<string, unknown> | undefined;
    if (raw && raw.login !== undefined) return fromCoupaUser(raw);
    return { id, login, fields: fromCoupaUser(payload).fields };
  }

  private fieldsQuery(): Query {
    return this.http.config.useFieldsFilter !== false ? { fields: userFieldsFilter(this.http.config.ownedCollections ?? []) } : {};
  }

  private async lookup(element: string, values: string[], keyOf: (u: CoupaUser) => string): Promise<CoupaUser[]> {
    const extraQuery: Query = { order_by: 'id', dir: 'asc', ...this.fieldsQuery() };
    return lookupIn<CoupaUser>({
      http: this.http,
      path: '/api/users',
      attribute: queryName(element),
      values,
      batchSize: Math.min(this.http.config.lookupBatchSize, CORE_PAGE_SIZE),
      pageSize: CORE_PAGE_SIZE,
      extraQuery,
      parsePage: (body) => userList(body).map(fromCoupaUser),
      keyOf,
    });
  }
}
