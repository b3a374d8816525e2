/**
 * Coupa's users as the planner sees them: every user (a snapshot, read in full or refreshed), or
 * only the users a delta file needs (looked up). Pure data: the reads happen in read-coupa-state.ts.
 *
 * Logins match exactly, as Coupa returns them (see adapters/coupa/README.md); `sameLoginOtherCase`
 * finds a user whose login differs only in letter case, so the planner can say so instead of
 * trying a create Coupa would refuse ("Login has already been taken"), and a full roster never
 * takes such a user for an absentee.
 */
import type { CoupaUser } from '../model';
import { flatText, packFields, unpackFields } from '../compact-text';

export type MatchKey = 'employee-number' | 'email';

export interface CoupaState {
  /** True when the state holds every Coupa user (a full roster's absentees can be found). */
  readonly complete: boolean;
  get(login: string): CoupaUser | undefined;
  /** A user whose login equals `login` ignoring case but not exactly. */
  sameLoginOtherCase(login: string): CoupaUser | undefined;
  /** Users whose employee number or e-mail (ignoring case) is `value`. */
  findBy(key: MatchKey, value: string): CoupaUser[];
  /** Every user held (for a complete state: every Coupa user). */
  users(): Iterable<CoupaUser>;
}

const keyOf = (value: string) => value.toLowerCase();

/**
 * One user as compact JSON text: `[id, login, packed fields, apiUser, updatedAt]` (packFields;
 * 0 for an absent apiUser/updatedAt), flat in memory. About half the text of the user's JSON.
 */
export function encodeUser(user: CoupaUser): string {
  return flatText(JSON.stringify([user.id, user.login, packFields(user.fields), user.apiUser ?? 0, user.updatedAt ?? 0]));
}

export function decodeUser(text: string): CoupaUser {
  const [id, login, packed, apiUser, updatedAt] = JSON.parse(text) as [string, string, unknown[], boolean | 0, string | 0];
  const user: CoupaUser = { id, login, fields: unpackFields(packed) };
  if (apiUser !== 0) user.apiUser = apiUser;
  if (updatedAt !== 0) user.updatedAt = updatedAt;
  return user;
}

/**
 * Users kept as one compact JSON text each (encodeUser), parsed when asked for: a million users
 * take a fraction of the memory they would as objects, and a plan reads each only once or twice.
 */
export class UserTable implements CoupaState {
  private readonly byLogin = new Map<string, string>();
  /** Logins by lower-cased login: one login (nearly always) or the spellings that share it. */
  private readonly loginsByKey = new Map<string, string | string[]>();
  private secondary?: Map<MatchKey, Map<string, string[]>>;
  private newest?: string;

  constructor(
    readonly complete: boolean,
    users: Iterable<CoupaUser> = [],
  ) {
    for (const user of users) this.put(user);
  }

  get size(): number {
    return this.byLogin.size;
  }

  /** Adds or replaces a user (by login; a renamed user's old login is dropped when its id matches). */
  put(user: CoupaUser): void {
    if (!this.byLogin.has(user.login)) {
      const key = keyOf(user.login);
      const known = this.loginsByKey.get(key);
      this.loginsByKey.set(key, known === undefined ? user.login : [...spellings(known), user.login]);
    }
    this.byLogin.set(user.login, encodeUser(user));
    this.secondary = undefined;
    if (user.updatedAt && (!this.newest || Date.parse(user.updatedAt) > Date.parse(this.newest))) this.newest = user.updatedAt;
  }

  /** Drops a login (a user renamed in Coupa appears under its new login). */
  remove(login: string): void {
    if (!this.byLogin.delete(login)) return;
    const key = keyOf(login);
    const left = spellings(this.loginsByKey.get(key)).filter((l) => l !== login);
    if (left.length) this.loginsByKey.set(key, left.length === 1 ? left[0] : left);
    else this.loginsByKey.delete(key);
    this.secondary = undefined;
  }

  get(login: string): CoupaUser | undefined {
    const text = this.byLogin.get(login);
    return text === undefined ? undefined : decodeUser(text);
  }

  sameLoginOtherCase(login: string): CoupaUser | undefined {
    const other = spellings(this.loginsByKey.get(keyOf(login))).find((l) => l !== login);
    return other === undefined ? undefined : this.get(other);
  }

  /** Logins equal to `login` ignoring case. */
  hasLoginIgnoringCase(login: string): boolean {
    return this.loginsByKey.has(keyOf(login));
  }

  findBy(key: MatchKey, value: string): CoupaUser[] {
    this.secondary ??= new Map();
    let index = this.secondary.get(key);
    if (!index) {
      // Built once per key, on first use: most plans never match on a second key.
      index = new Map();
      for (const user of this.users()) {
        const v = user.fields[key];
        if (typeof v === 'string' && v !== '') index.set(keyOf(v), [...(index.get(keyOf(v)) ?? []), user.login]);
      }
      this.secondary.set(key, index);
    }
    return (index.get(keyOf(value)) ?? []).map((login) => this.get(login)!);
  }

  *users(): Iterable<CoupaUser> {
    for (const text of this.byLogin.values()) yield decodeUser(text);
  }

  /** The newest `updated-at` held (ISO), to refresh from. */
  newestUpdate(): string | undefined {
    return this.newest;
  }

  /** Each user in its packed text (encodeUser), as held: a read checkpoint is these lines. */
  *packed(): Iterable<string> {
    yield* this.byLogin.values();
  }

  /** Each user as its JSON text (a snapshot file is these lines), made one at a time. */
  *texts(): Iterable<string> {
    for (const text of this.byLogin.values()) yield JSON.stringify(decodeUser(text));
  }
}

function spellings(logins: string | string[] | undefined): string[] {
  return logins === undefined ? [] : typeof logins === 'string' ? [logins] : logins;
}
