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
import { packFields, unpackFields } from '../compact-text';
import { PackedMap } from '../packed-map';

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
 * One user as compact JSON text: `[id, packed fields, apiUser, updatedAt]` (packFields; 0 for an
 * absent apiUser/updatedAt), the login being the table's key. About half the text of the user's JSON.
 */
export function encodeUser(user: CoupaUser): string {
  return JSON.stringify([user.id, packFields(user.fields), user.apiUser ?? 0, user.updatedAt ?? 0]);
}

export function decodeUser(login: string, text: string): CoupaUser {
  const [id, packed, apiUser, updatedAt] = JSON.parse(text) as [string, unknown[], boolean | 0, string | 0];
  const user: CoupaUser = { id, login, fields: unpackFields(packed) };
  if (apiUser !== 0) user.apiUser = apiUser;
  if (updatedAt !== 0) user.updatedAt = updatedAt;
  return user;
}

/**
 * A user's line in a read checkpoint: the login as a JSON string, a tab, its packed text (encodeUser
 * leaves the login out: it is the table's key). A JSON string never holds a raw tab.
 */
export function packedLine(login: string, text: string): string {
  return `${JSON.stringify(login)}\t${text}`;
}

export function userOfPackedLine(line: string): CoupaUser {
  const tab = line.indexOf('\t');
  if (tab < 0) throw new Error('not a packed user line (no tab)');
  return decodeUser(JSON.parse(line.slice(0, tab)) as string, line.slice(tab + 1));
}

/**
 * Users kept as one compact JSON text each (encodeUser), packed by login in a PackedMap and parsed
 * when asked for: a million users take a fraction of the memory they would as objects (or as a Map
 * of strings), and a plan reads each only once or twice.
 */
export class UserTable implements CoupaState {
  private readonly byLogin = new PackedMap();
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
    this.byLogin.set(user.login, encodeUser(user));
    this.secondary = undefined;
    if (user.updatedAt && (!this.newest || Date.parse(user.updatedAt) > Date.parse(this.newest))) this.newest = user.updatedAt;
  }

  /** Drops a login (a user renamed in Coupa appears under its new login). */
  remove(login: string): void {
    if (!this.byLogin.delete(login)) return;
    this.secondary = undefined;
  }

  /** Whether `login` is held, exactly as spelled (without decoding the user). */
  has(login: string): boolean {
    return this.byLogin.has(login);
  }

  get(login: string): CoupaUser | undefined {
    const text = this.byLogin.get(login);
    return text === undefined ? undefined : decodeUser(login, text);
  }

  sameLoginOtherCase(login: string): CoupaUser | undefined {
    const other = this.byLogin.ignoringCase(login).find((l) => l !== login);
    return other === undefined ? undefined : this.get(other);
  }

  /** Logins equal to `login` ignoring case. */
  hasLoginIgnoringCase(login: string): boolean {
    return this.byLogin.ignoringCase(login).length > 0;
  }

  findBy(key: MatchKey, value: string): CoupaUser[] {
    this.secondary ??= new Map();
    let index = this.secondary.get(key);
    if (!index) {
      // Built once per key, on first use: most plans never match on a second key.
      index = new Map();
      for (const user of this.users()) {
        const v = user.fields[key];
        if (typeof v !== 'string' || v === '') continue;
        const logins = index.get(keyOf(v));
        if (logins) logins.push(user.login); // push: a shared value (one e-mail for many) stays linear
        else index.set(keyOf(v), [user.login]);
      }
      this.secondary.set(key, index);
    }
    return (index.get(keyOf(value)) ?? []).map((login) => this.get(login)!);
  }

  *users(): Iterable<CoupaUser> {
    for (const [login, text] of this.byLogin.entries()) yield decodeUser(login, text);
  }

  /** The newest `updated-at` held (ISO), to refresh from. */
  newestUpdate(): string | undefined {
    return this.newest;
  }

  /** Each user as one line (packedLine: the login, then its packed text), as held: a read checkpoint is these lines. */
  *packed(): Iterable<string> {
    for (const [login, text] of this.byLogin.entries()) yield packedLine(login, text);
  }

  /** Each user as its JSON text (a snapshot file is these lines), made one at a time. */
  *texts(): Iterable<string> {
    for (const user of this.users()) yield JSON.stringify(user);
  }
}
