/**
 * UserDirectory for Coupa Sourcing Optimization (CSO): X-CSO-API-KEY, JSON only, 19-digit string ids.
 *
 * CSO's bulk POST/PUT are lenient ("if updating one resource fails, the other ones might be
 * successful") and answer only counts (`added`, `updated`). So when a count falls short of what
 * we sent, we re-read the users by name and report, item by item, which change did NOT apply.
 */
import type { CoupaUser, UserFields } from '../../core/model';
import { CoupaRejectedError } from '../../core/coupa-errors';
import type { UserDirectory } from '../../core/ports';
import type { CoupaHttp, CoupaResponse } from './http';
import { listPages, lookupIn } from './lookup';
import { csoComparable, csoUserList, fromCsoUser, toCsoPayload, type CsoState } from './cso-mapping';

/** CSO returns at most 250 objects per GET. */
const CSO_PAGE_SIZE = 250;

export interface CsoItemResult {
  login: string;
  user?: CoupaUser;
  /** Why this item did not apply (the batch as a whole may have succeeded). */
  error?: string;
}

export class CsoUserDirectory implements UserDirectory {
  /** CSO documents no `updated_at` filter: a full roster reads every user each run. */
  readonly canListUpdatedSince = false;

  constructor(private readonly http: CoupaHttp) {}

  listUsers(options: { fromOffset?: number } = {}): AsyncIterable<CoupaUser[]> {
    return listPages<CoupaUser>({
      http: this.http,
      path: '/api/users',
      query: {},
      pageSize: CSO_PAGE_SIZE,
      maxInFlight: this.http.config.maxInFlight ?? 1,
      startOffset: options.fromOffset,
      parsePage: (body) => csoUserList(body).map(fromCsoUser),
    });
  }

  /** CSO users have an e-mail and a name (the login) but no employee number. */
  async findBy(key: 'employee-number' | 'email' | 'login', values: string[]): Promise<CoupaUser[]> {
    if (key === 'employee-number') return [];
    return lookupIn<CoupaUser>({
      http: this.http,
      path: '/api/users',
      attribute: key === 'login' ? 'name' : 'email',
      values,
      batchSize: this.http.config.lookupBatchSize,
      pageSize: CSO_PAGE_SIZE,
      extraQuery: { order_by: 'id', dir: 'asc' },
      parsePage: (body) => csoUserList(body).map(fromCsoUser),
      keyOf: (u) => (key === 'login' ? u.login : String(u.fields.email ?? '')),
    });
  }

  private get deactivatedState(): CsoState {
    return this.http.config.csoDeactivatedState;
  }

  async findByLogins(logins: string[]): Promise<Map<string, CoupaUser>> {
    const wanted = new Set(logins);
    const users = await lookupIn<CoupaUser>({
      http: this.http,
      path: '/api/users',
      attribute: 'name',
      values: logins,
      batchSize: this.http.config.lookupBatchSize,
      pageSize: CSO_PAGE_SIZE,
      extraQuery: { order_by: 'id', dir: 'asc' },
      parsePage: (body) => csoUserList(body).map(fromCsoUser),
      keyOf: (u) => u.login,
    });
    const result = new Map<string, CoupaUser>();
    for (const user of users) if (wanted.has(user.login)) result.set(user.login, user);
    return result;
  }

  /** POST /api/users {"users":[…]}; one result per item, in order. */
  async createMany(items: Array<{ login: string; fields: UserFields }>): Promise<CsoItemResult[]> {
    if (items.length === 0) return [];
    const users = items.map(({ login, fields }) => ({
      name: login,
      ...toCsoPayload({ active: true, ...fields }, this.deactivatedState),
    }));
    let res: CoupaResponse;
    try {
      res = await this.http.request('POST', '/api/users', {
        body: { users },
        // As for Core: a POST whose answer was lost may have landed. If every user is now there,
        // that was our create; otherwise re-send (names that exist will then read back as created).
        beforeRetry: async () => {
          const found = await this.findByLogins(items.map((i) => i.login));
          if (found.size !== items.length) return undefined;
          const users = items.map((i) => ({ id: found.get(i.login)!.id }));
          return { status: 201, headers: new Headers(), body: { added: items.length, users }, text: '' };
        },
      });
    } catch (err) {
      if (err instanceof CoupaRejectedError && items.length > 1) {
        return items.map(({ login }) => ({ login, error: err.message }));
      }
      throw err;
    }
    const body = (res.body ?? {}) as { added?: unknown; users?: Array<{ id?: unknown }> };
    const added = Number(body.added ?? 0);
    const ids = Array.isArray(body.users) ? body.users.map((u) => (u?.id === undefined ? '' : String(u.id))) : [];
    if (added === items.length && ids.length === items.length && ids.every(Boolean)) {
      return items.map(({ login, fields }, i) => ({
        login,
        user: { id: ids[i], login, fields: csoComparable({ active: true, ...fields }) },
      }));
    }
    // Short count: re-read. A name that exists is ours only if CSO returned its id (or, with no ids
    // at all, if it holds what we sent): a name taken by someone else must not pass as created.
    const found = await this.findByLogins(items.map((i) => i.login));
    const newIds = new Set(ids.filter(Boolean));
    return items.map(({ login, fields }) => {
      const user = found.get(login);
      const ours = user && (newIds.size > 0 ? newIds.has(user.id) : sameValues(csoComparable({ active: true, ...fields }), user.fields));
      return ours ? { login, user } : { login, error: `CSO did not create ${login} (sent ${items.length}, added ${added})` };
    });
  }

  /** PUT /api/users {"users":[{id,…}]}; re-reads the users to tell applied from ignored items. */
  async updateMany(items: Array<{ id: string; login: string; changes: UserFields }>): Promise<CsoItemResult[]> {
    if (items.length === 0) return [];
    const users = items.map(({ id, changes }) => ({ id, ...toCsoPayload(changes, this.deactivatedState) }));
    let res: CoupaResponse;
    try {
      // A bulk PUT of absolute values is idempotent, so plain retries are safe.
      res = await this.http.request('PUT', '/api/users', { body: { users } });
    } catch (err) {
      if (err instanceof CoupaRejectedError && items.length > 1) {
        return items.map(({ login }) => ({ login, error: err.message }));
      }
      throw err;
    }
    const updated = Number((res.body as { updated?: unknown } | null)?.updated ?? 0);
    const found = await this.findByLogins(items.map((i) => i.login));
    return items.map(({ login, changes }) => {
      const user = found.get(login);
      if (!user) return { login, error: `CSO user ${login} no longer exists` };
      const applied = updated >= items.length || sameValues(csoComparable(changes), user.fields);
      return applied
        ? { login, user }
        : { login, user, error: `CSO did not apply the change to ${login} (sent ${items.length}, updated ${updated})` };
    });
  }

  async create(login: string, fields: UserFields): Promise<CoupaUser> {
    const [result] = await this.createMany([{ login, fields }]);
    if (result.error || !result.user) throw new CoupaRejectedError([result.error ?? `CSO did not create ${login}`], 422);
    return result.user;
  }

  /**
   * One user: PUT /api/users/:id, which (unlike the lenient bulk PUT) answers a refused change
   * with 400 and CSO's reasons. The user is then re-read by name: CSO answers only a count.
   */
  async update(id: string, login: string, changes: UserFields): Promise<CoupaUser> {
    const payload = toCsoPayload(changes, this.deactivatedState);
    let updated = 1;
    let status = 200;
    if (Object.keys(payload).length > 0) {
      try {
        const res = await this.http.request('PUT', `/api/users/${encodeURIComponent(id)}`, { body: payload });
        status = res.status;
        updated = Number((res.body as { updated?: unknown } | null)?.updated ?? 1);
      } catch (err) {
        if (err instanceof CoupaRejectedError && isGone(err)) {
          throw new CoupaRejectedError([`User ${id} no longer exists in Coupa (404)`], 404);
        }
        throw err;
      }
    }
    const user = (await this.findByLogins([login])).get(login);
    if (!user) throw new CoupaRejectedError([`User ${id} no longer exists in Coupa (404)`], 404);
    if (updated < 1 && !sameValues(csoComparable(changes), user.fields)) {
      throw new CoupaRejectedError([`CSO did not apply the change to ${login} (sent 1, updated ${updated})`], status);
    }
    return user;
  }
}

/** CSO's error format is undocumented: an unknown id may come back as 404 or as 400 "User … not found". */
function isGone(err: CoupaRejectedError): boolean {
  return err.status === 404 || (err.status === 400 && err.messages.some((m) => /\bnot found\b/i.test(m)));
}

function sameValues(expected: UserFields, actual: UserFields): boolean {
  return Object.entries(expected).every(([k, v]) => (actual as Record<string, unknown>)[k] === v);
}
