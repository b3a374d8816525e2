/**
 * Reads what the planner needs to know of Coupa, at the fewest calls that answer it:
 *
 * - a kept snapshot (from an earlier run) is refreshed with `updated_at[gt_or_eq]` — a few pages
 *   for a night's changes — unless it is older than `roster.snapshotMaxAgeHours`, was read with
 *   other fields, or the flavour cannot filter by update time (CSO);
 * - otherwise a full roster (or a guard that must know how many users are active) reads every user,
 *   50 per page, and keeps the result as the next run's snapshot;
 * - otherwise (a delta file, no snapshot) only the file's users are looked up, 50 logins per
 *   `login[in]=` call, with their managers and any fallback keys.
 */
import type { SyncConfig } from '../config';
import { SYNC_FIELDS, type CoupaUser } from '../model';
import type { Clock, SnapshotStore, UserDirectory } from '../ports';
import type { Roster } from '../roster/roster';
import { UserTable, type MatchKey } from './coupa-state';

export interface StateDeps {
  directory: UserDirectory;
  /** Where the snapshot is kept between runs; without it every full read starts from scratch. */
  snapshots?: SnapshotStore;
  clock: Clock;
  config: Pick<SyncConfig, 'coupa' | 'roster'>;
  onProgress?: (message: string) => void;
  /**
   * How every user is read when a full read is due: in one go (the default), or stopping at a
   * deadline and continued by a later invocation (the planner Lambda: plan/checkpointed-read.ts).
   */
  fullRead?: (deps: StateDeps) => Promise<UserTable>;
  /**
   * A delta file's look-ups (no snapshot): called as they answer, with the table so far and how many
   * of the roster's entries, from the first in file order, have had their own login answered — so
   * the planner decides them while the rest are still in flight (reconcile.ts, Planner). An entry
   * counts as answered once every spelling of its login asked in the run has answered (Coupa may
   * match logins exactly: waitForEverySpelling).
   */
  onLookedUp?: (state: UserTable, entries: number) => void;
}

export interface StateRead {
  state: UserTable;
  /** How Coupa was read: a kept snapshot refreshed, every user read, or the file's users looked up. */
  how: 'refreshed' | 'read' | 'looked-up';
}

/** Users changed this long before the newest kept update are read again: clocks and commits are not exact. */
export const REFRESH_OVERLAP_MS = 5 * 60_000;

/** A snapshot is only good for a config that reads the same fields. */
export function snapshotKey(coupa: SyncConfig['coupa']): string {
  return [coupa.flavor, [...coupa.ownedCollections].sort().join(','), SYNC_FIELDS.join(',')].join('|');
}

interface SnapshotHeader {
  snapshot: 1;
  key: string;
  readAt: string;
}

export async function readCoupaState(roster: Roster, needFullRead: boolean, deps: StateDeps): Promise<StateRead> {
  const kept = await loadSnapshot(deps);
  if (kept) {
    await refresh(kept, deps);
    await saveSnapshot(kept, deps);
    return { state: kept, how: 'refreshed' };
  }
  if (needFullRead) return { state: await readEveryUser(deps), how: 'read' };
  return { state: await lookUp(roster, deps), how: 'looked-up' };
}

/** Every Coupa user, read page by page and kept as the next run's snapshot. */
export async function readEveryUser(deps: StateDeps): Promise<UserTable> {
  if (deps.fullRead) return deps.fullRead(deps);
  const table = new UserTable(true);
  let pages = 0;
  for await (const page of deps.directory.listUsers()) {
    for (const user of page) table.put(user);
    pages += 1;
    if (pages % 100 === 0) deps.onProgress?.(`read ${table.size} Coupa users so far`);
  }
  await saveSnapshot(table, deps);
  return table;
}

/**
 * Reads the users changed since `from` (ISO; by default the newest update held less the overlap)
 * into the table: new users added, renamed users moved to their new login.
 */
export async function refresh(table: UserTable, deps: StateDeps, from?: string): Promise<void> {
  const newest = table.newestUpdate();
  const since = from ?? (newest ? new Date(Date.parse(newest) - REFRESH_OVERLAP_MS).toISOString() : new Date(0).toISOString());
  let byId: Map<string, string> | undefined;
  for await (const page of deps.directory.listUsers({ updatedSince: since })) {
    for (const user of page) {
      const same = table.get(user.login);
      if (!same || same.id !== user.id) {
        // A new login: a new user, or a user renamed in Coupa, whose old login must go.
        byId ??= new Map([...table.users()].map((u) => [u.id, u.login]));
        const old = byId.get(user.id);
        if (old !== undefined && old !== user.login) table.remove(old);
        byId.set(user.id, user.login);
      }
      table.put(user);
    }
  }
}

/** A snapshot read with this config's fields, not older than roster.snapshotMaxAgeHours. */
function usableHeader(header: SnapshotHeader, deps: StateDeps): boolean {
  const ageHours = (deps.clock.now().getTime() - Date.parse(header.readAt)) / 3_600_000;
  const fresh = ageHours >= 0 && ageHours <= deps.config.roster.snapshotMaxAgeHours;
  return header.snapshot === 1 && header.key === snapshotKey(deps.config.coupa) && fresh;
}

/**
 * Whether readCoupaState would refresh a kept snapshot rather than read every user (only the
 * snapshot's first line is read): the AWS ReadCoupa step reads every user ahead of the plan only when not.
 */
export async function snapshotUsable(deps: StateDeps): Promise<boolean> {
  if (!deps.snapshots || !deps.directory.canListUpdatedSince) return false;
  const lines = await deps.snapshots.read();
  if (!lines) return false;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    return usableHeader(JSON.parse(line) as SnapshotHeader, deps);
  }
  return false;
}

async function loadSnapshot(deps: StateDeps): Promise<UserTable | undefined> {
  if (!deps.snapshots || !deps.directory.canListUpdatedSince) return undefined;
  const lines = await deps.snapshots.read();
  if (!lines) return undefined;
  const table = new UserTable(true);
  let header: SnapshotHeader | undefined;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (!header) {
      header = JSON.parse(line) as SnapshotHeader;
      if (!usableHeader(header, deps)) return undefined;
      continue;
    }
    table.put(JSON.parse(line) as CoupaUser);
  }
  return header ? table : undefined;
}

export async function saveSnapshot(table: UserTable, deps: StateDeps): Promise<void> {
  if (!deps.snapshots || !deps.directory.canListUpdatedSince) return;
  const header: SnapshotHeader = { snapshot: 1, key: snapshotKey(deps.config.coupa), readAt: deps.clock.now().toISOString() };
  // A generator: the store writes line by line, so the snapshot is never all in memory as text.
  await deps.snapshots.write(snapshotLines(header, table));
}

function* snapshotLines(header: SnapshotHeader, table: UserTable): Iterable<string> {
  yield JSON.stringify(header);
  yield* table.texts();
}

/** A delta file without a snapshot: the file's logins, their managers, and fallback matches. */
async function lookUp(roster: Roster, deps: StateDeps): Promise<UserTable> {
  const { directory, config } = deps;
  const logins = new Set<string>();
  const byKey: Record<MatchKey, Set<string>> = { 'employee-number': new Set(), email: new Set() };
  // Per roster entry, how many logins are asked up to its own (its own may be an earlier manager's).
  const askedThrough: number[] = [];
  for (const entry of roster) {
    logins.add(entry.login);
    if (deps.onLookedUp) askedThrough.push(logins.size);
    const { manager } = entry.record.fields;
    if (typeof manager === 'string' && manager !== '') logins.add(manager);
    if (entry.record.managerRef) byKey[entry.record.managerRef.matchOn].add(entry.record.managerRef.value);
  }
  if (deps.onLookedUp) waitForEverySpelling(roster, [...logins], askedThrough);
  const table = new UserTable(false);
  // Matched ignoring case, as Coupa does: a login Coupa has only in another letter case is found
  // too, so the plan can say so instead of trying a create Coupa refuses ("Login has already been taken").
  let entriesAnswered = 0;
  await lookUpInSlices(directory, [...logins], table, (answered) => {
    while (entriesAnswered < askedThrough.length && askedThrough[entriesAnswered] <= answered) entriesAnswered += 1;
    deps.onLookedUp?.(table, entriesAnswered);
  });
  // Fallback keys only for the logins Coupa does not know (renamed in HR).
  const fallback = config.coupa.matchFallback;
  if (fallback !== 'none') {
    for (const entry of roster) {
      const value = entry.record.fields[fallback];
      if (!table.has(entry.login) && typeof value === 'string' && value !== '') byKey[fallback].add(value);
    }
  }
  for (const key of Object.keys(byKey) as MatchKey[]) {
    if (byKey[key].size === 0) continue;
    for (const user of await directory.findBy(key, [...byKey[key]])) table.put(user);
  }
  return table;
}

/**
 * An entry is decided once every spelling of its login asked in this run has answered, not only its
 * own: Coupa may match `login[in]=` exactly (adapters/coupa/README.md; CSO does), so `JSmith`, asked
 * later as another row's manager, is not in `jsmith`'s answer — and the plan must know of it to say
 * "Coupa has this login spelled JSmith" instead of creating a second user. Raises each entry's
 * `askedThrough` to the last position of any spelling of its login, kept non-decreasing (entries are
 * decided in file order).
 */
function waitForEverySpelling(roster: Roster, asked: string[], askedThrough: number[]): void {
  const lastAsked = new Map<string, number>();
  asked.forEach((login, i) => lastAsked.set(login.toLowerCase(), i + 1));
  let i = 0;
  let through = 0;
  for (const entry of roster) {
    through = Math.max(through, askedThrough[i], lastAsked.get(entry.login.toLowerCase()) ?? 0);
    askedThrough[i] = through;
    i += 1;
  }
}

/**
 * Logins looked up per slice of this many: a slice's users are packed into the table as soon as
 * its answers are in. The look-ups are rate-bound (a 100,000-login file is 2,000 calls, 100 s at
 * 20 req/s) and the CPU idles meanwhile; packing each slice then, rather than all 100,000 users
 * after the last answer, takes that work (and the garbage of 100,000 parsed users held to the end)
 * out of the stretch between the last look-up and the first write. A multiple of the 50 logins a
 * call asks by default, so the calls are the ones a single look-up would make (another
 * coupa.lookupBatchSize, or logins long enough to fill a URL, may add one short call a slice).
 */
export const LOOKUP_SLICE = 1_000;

async function lookUpInSlices(directory: UserDirectory, logins: string[], table: UserTable, onAnswered: (logins: number) => void): Promise<void> {
  // Every slice is asked at once, in order: the client's rate governor paces the calls as before.
  const slices: Array<Promise<CoupaUser[]>> = [];
  for (let start = 0; start < logins.length; start += LOOKUP_SLICE) slices.push(directory.findBy('login', logins.slice(start, start + LOOKUP_SLICE)));
  // The first slice to fail fails the read at once (as Promise.all did), not when its turn to be
  // packed comes: nothing is decided for good before the plan is whole, so stopping early loses nothing.
  const firstFailure = new Promise<never>((_, reject) => {
    for (const slice of slices) slice.catch(reject);
  });
  firstFailure.catch(() => undefined);
  // Packed in slice order (they answer in about that order anyway): the table holds users in the same
  // order whatever the timing, and a slice's parsed users are dropped once packed.
  for (let i = 0; i < slices.length; i++) {
    const users = await Promise.race([slices[i], firstFailure]);
    for (const user of users) table.put(user);
    slices[i] = DONE;
    onAnswered(Math.min((i + 1) * LOOKUP_SLICE, logins.length));
  }
}

const DONE: Promise<CoupaUser[]> = Promise.resolve([]);
