/**
 * Core-level harness for reconcile-then-apply: runSync / approveRun with in-memory adapters and a
 * directory that refuses what Coupa refuses, so ordering and re-check bugs show up without HTTP.
 */
import { Readable } from 'node:stream';
import { apiApplier } from '../../lambdas/core/apply/api-applier';
import { CoupaRejectedError } from '../../lambdas/core/coupa-errors';
import type { CoupaUser, RunReport, UserFields } from '../../lambdas/core/model';
import type { Clock } from '../../lambdas/core/ports';
import { approveRun } from '../../lambdas/core/run/approve';
import { runSync, type RunDeps } from '../../lambdas/core/run/run-sync';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import type { SyncConfig } from '../../lambdas/core/config';
import { FakeDirectory, csvStream, testConfig } from './factories';
import { MemoryRunStore, MemorySnapshotStore } from './memory-run-store';

/** A clock the test moves by hand; sleeping costs nothing. */
export class TestClock implements Clock {
  constructor(private at = new Date('2026-03-02T08:00:00Z')) {}
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
  async sleep(): Promise<void> {}
}

/**
 * FakeDirectory plus the Coupa rules the planner must respect: a manager must exist when a user
 * names it ("Manager is invalid"), a login is taken whatever its letter case ("Login has already
 * been taken"), and every write stamps `updatedAt` (what a snapshot refresh reads). Every write
 * attempt, accepted or not, is logged in `writes` in the order it reached "Coupa".
 */
export class CoupaLikeDirectory extends FakeDirectory {
  readonly writes: string[] = [];
  /** How many users each listUsers call returned (a full read or a refresh), in call order. */
  readonly listed: number[] = [];

  constructor(users: CoupaUser[], private readonly clock: Clock) {
    super(new Map(users.map((u) => [u.login, structuredClone(u)])));
  }

  user(login: string): CoupaUser | undefined {
    return this.users.get(login);
  }

  private byLoginIgnoringCase(login: string): CoupaUser | undefined {
    return [...this.users.values()].find((u) => u.login.toLowerCase() === login.toLowerCase());
  }

  private checkManager(selfLogin: string, fields: UserFields): void {
    const manager = fields.manager;
    if (typeof manager !== 'string' || manager === '') return;
    const found = this.byLoginIgnoringCase(manager);
    if (!found || found.login.toLowerCase() === selfLogin.toLowerCase()) throw new CoupaRejectedError(['Manager is invalid'], 400);
  }

  override async create(login: string, fields: UserFields): Promise<CoupaUser> {
    this.writes.push(`create ${login}${fields.manager ? ` manager=${fields.manager}` : ''}`);
    if (this.byLoginIgnoringCase(login)) throw new CoupaRejectedError(['Login has already been taken'], 400);
    this.checkManager(login, fields);
    const created = await super.create(login, fields);
    this.users.get(login)!.updatedAt = this.clock.now().toISOString();
    return { ...created, updatedAt: this.clock.now().toISOString() };
  }

  override async update(id: string, login: string, changes: UserFields): Promise<CoupaUser> {
    this.writes.push(`update ${login} ${Object.keys(changes).join(',')}`);
    this.checkManager(login, changes);
    const updated = await super.update(id, login, changes);
    this.users.get(updated.login)!.updatedAt = this.clock.now().toISOString();
    return updated;
  }

  override async *listUsers(options: { updatedSince?: string; fromOffset?: number } = {}): AsyncIterable<CoupaUser[]> {
    let count = 0;
    for await (const page of super.listUsers(options)) {
      count += page.length;
      yield page;
    }
    this.listed.push(count);
  }

  /** A change made in Coupa by someone else (not a sync write: not logged in `writes`). */
  changeInCoupa(login: string, fields: UserFields): void {
    const user = this.users.get(login)!;
    user.fields = { ...user.fields, ...fields };
    user.updatedAt = this.clock.now().toISOString();
  }

  /** A user created in Coupa by someone else (not logged in `writes`). */
  addInCoupa(user: CoupaUser): void {
    this.users.set(user.login, { ...structuredClone(user), updatedAt: this.clock.now().toISOString() });
  }
}

export interface Harness {
  directory: CoupaLikeDirectory;
  runs: MemoryRunStore;
  snapshots: MemorySnapshotStore;
  notifier: ConsoleNotifier;
  clock: TestClock;
  config: SyncConfig;
  deps: RunDeps;
}

export function harness(users: CoupaUser[], config: Record<string, unknown> = {}): Harness {
  const clock = new TestClock();
  const directory = new CoupaLikeDirectory(users, clock);
  const parsed = testConfig(config);
  const runs = new MemoryRunStore();
  const snapshots = new MemorySnapshotStore();
  const notifier = new ConsoleNotifier(() => {});
  const applier = apiApplier({ directory, config: parsed, clock, retryDelayMs: 0 });
  return { directory, runs, snapshots, notifier, clock, config: parsed, deps: { directory, applier, runs, snapshots, notifier, clock, config: parsed } };
}

let runCounter = 0;

/**
 * One run of `csv` through runSync; a fresh run id each time (`runId` to choose it). A string
 * arrives as one chunk; a list of strings as one chunk each, as a large file streams from disk.
 */
export async function runCsv(h: Harness, csv: string | string[], options: { dryRun?: boolean; runId?: string; file?: string } = {}): Promise<RunReport> {
  const run = { runId: options.runId ?? `run-${++runCounter}`, file: options.file ?? 'hr.csv' };
  const input = typeof csv === 'string' ? csvStream(csv) : Readable.from(csv.map((c) => Buffer.from(c, 'utf8')));
  return runSync({ run, input, read: { hr: h.config.hr, ownedCollections: h.config.coupa.ownedCollections }, dryRun: options.dryRun }, h.deps);
}

export function approve(h: Harness, runId: string): Promise<RunReport> {
  return approveRun(runId, h.deps);
}

/** The failure-severity notifications (alerts), by subject. */
export function alerts(h: Pick<Harness, 'notifier'>): string[] {
  return h.notifier.sent.filter((n) => n.severity === 'failure').map((n) => n.subject);
}
