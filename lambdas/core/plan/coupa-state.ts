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
 * Users kept as one JSON text each, parsed when asked for: a million users take a third of the
 * memory they would as objects, and a plan reads each only once or twice.
 */
export class UserTable implements CoupaState {
  private readonly byLogin = new Map<string, string>();
  private readonly loginsByKey = new Map<string, string[]>();
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
      this.loginsByKey.set(key, [...(this.loginsByKey.get(key) ?? []), user.login]);
    }
    this.byLogin.set(user.login, JSON.stringify(user));
    this.secondary = undefined;
    if (user.updatedAt && (!this.newest || Date.parse(user.updatedAt) > Date.parse(this.newest))) this.newest = user.updatedAt;
  }

  /** Drops a login (a user renamed in Coupa appears under its new login). */
  remove(login: string): void {
    if (!this.byLogin.delete(login)) return;
    const key = keyOf(login);
    const left = (this.loginsByKey.get(key) ?? []).filter((l) => l !== login);
    if (left.length) this.loginsByKey.set(key, left);
    else this.loginsByKey.delete(key);
    this.secondary = undefined;
  }

  get(login: string): CoupaUser | undefined {
    const text = this.byLogin.get(login);
    return text === undefined ? undefined : (JSON.parse(text) as CoupaUser);
  }

  sameLoginOtherCase(login: string): CoupaUser | undefined {
    const other = (this.loginsByKey.get(keyOf(login)) ?? []).find((l) => l !== login);
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
    for (const text of this.byLogin.values()) yield JSON.parse(text) as CoupaUser;
  }

  /** The newest `updated-at` held (ISO), to refresh from. */
  newestUpdate(): string | undefined {
    return this.newest;
  }

  /** Each user as its stored JSON text (a snapshot file is these lines). */
  texts(): Iterable<string> {
    return this.byLogin.values();
  }
}
