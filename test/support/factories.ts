/** Test data factories: one place that knows what a valid record, user or message looks like. */
import { Readable } from 'node:stream';
import { CoupaRejectedError, CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import type { UserDirectory } from '../../lambdas/core/ports';
import { parseConfig, type SyncConfig } from '../../lambdas/core/config';
import type { ChangeKind, ChangeMessage, CoupaUser, HrRecord, PlannedChange, RunRef, UserFields } from '../../lambdas/core/model';
import { fieldChanges } from '../../lambdas/core/plan/diff';
import { decideUser, type DecideOptions } from '../../lambdas/core/plan/plan-user';

export function hrRecord(overrides: Partial<HrRecord> & { fields?: UserFields } = {}): HrRecord {
  const login = overrides.login ?? 'jane.doe';
  return {
    row: 1,
    login,
    ...overrides,
    fields: overrides.fields ?? { email: `${login}@example.com`, firstname: 'Jane', lastname: 'Doe', active: true },
  };
}

export function coupaUser(overrides: Partial<CoupaUser> & { fields?: UserFields } = {}): CoupaUser {
  const login = overrides.login ?? 'jane.doe';
  return {
    id: '42',
    login,
    ...overrides,
    fields: overrides.fields ?? { email: `${login}@example.com`, firstname: 'Jane', lastname: 'Doe', active: true },
  };
}

/** What each kind sends when a test does not say (a create carries what Coupa requires). */
function defaultSend(kind: ChangeKind, login: string): PlannedChange['send'] {
  if (kind === 'create') return { active: true, email: `${login}@example.com`, firstname: 'Jane', lastname: 'Doe' };
  if (kind === 'deactivate') return { active: false };
  if (kind === 'reactivate') return { active: true };
  return { lastname: 'Doe-Smith' };
}

/**
 * A planned change as the planner makes it: an update of user 42 (HR row 1) unless told otherwise.
 * `changes` (before → after) follow `send`, with `before` taken from `was` when given.
 */
export function plannedChange(overrides: Partial<PlannedChange> & { was?: UserFields & { login?: string } } = {}): PlannedChange {
  const { was, ...rest } = overrides;
  const kind = rest.kind ?? 'update';
  const login = rest.login ?? 'jane.doe';
  const send = rest.send ?? defaultSend(kind, login);
  return {
    login,
    kind,
    ...(kind === 'create' ? {} : { id: '42' }),
    send,
    changes: fieldChanges(send, kind === 'create' ? undefined : was),
    rows: [1],
    level: 0,
    ...rest,
  };
}

/** The queue message of one planned change; its FIFO group is its own login unless told otherwise. */
export function changeMessage(change: PlannedChange, runId = 'run-1', file = 'hr.csv', group = change.login.toLowerCase()): ChangeMessage {
  return { runId, file, change, group };
}

/** The same, with run and file taken from a RunRef. */
export function changeMessageIn(run: RunRef, change: PlannedChange, group?: string): ChangeMessage {
  return changeMessage(change, run.runId, run.file, group);
}

export function testConfig(overrides: Record<string, unknown> = {}): SyncConfig {
  return parseConfig(overrides);
}

export function csvStream(text: string): Readable {
  return Readable.from([Buffer.from(text, 'utf8')]);
}

type Scripted = 'reject' | 'retry';

/**
 * An in-memory UserDirectory for core unit tests (the emulator covers HTTP): records every
 * call and can be told to reject or fail transiently for a login.
 */
export class FakeDirectory implements UserDirectory {
  readonly calls: string[] = [];
  readonly canListUpdatedSince = true;
  private nextId = 1000;
  readonly faults = new Map<string, Scripted>();

  constructor(readonly users = new Map<string, CoupaUser>()) {}

  async findByLogins(logins: string[]): Promise<Map<string, CoupaUser>> {
    this.calls.push(`find ${logins.join(',')}`);
    if (logins.some((l) => this.faults.get(l) === 'retry' && l.startsWith('lookup'))) throw new CoupaRetryableError('lookup timed out');
    return new Map(logins.filter((l) => this.users.has(l)).map((l) => [l, structuredClone(this.users.get(l)!)]));
  }

  async create(login: string, fields: UserFields): Promise<CoupaUser> {
    this.calls.push(`create ${login}`);
    this.fail(login);
    // As Coupa: a login is unique (ignoring case).
    if ([...this.users.keys()].some((l) => l.toLowerCase() === login.toLowerCase())) throw new CoupaRejectedError(['Login has already been taken'], 422);
    const user = { id: String(this.nextId++), login, fields: { ...fields } };
    this.users.set(login, user);
    return structuredClone(user);
  }

  async update(id: string, login: string, changes: UserFields): Promise<CoupaUser> {
    this.calls.push(`update ${id} ${Object.keys(changes).join(',')}`);
    this.fail(login);
    const [key, user] = [...this.users].find(([, u]) => u.id === id)!;
    const { login: renamed, ...fields } = changes as UserFields & { login?: string };
    user.fields = { ...user.fields, ...fields };
    if (renamed) {
      this.users.delete(key);
      user.login = renamed;
      this.users.set(renamed, user);
    }
    return structuredClone(user);
  }

  async *listUsers(options: { updatedSince?: string; fromOffset?: number } = {}): AsyncIterable<CoupaUser[]> {
    this.calls.push(`list${options.updatedSince ? ` since ${options.updatedSince}` : ''}${options.fromOffset ? ` from ${options.fromOffset}` : ''}`);
    const since = options.updatedSince ? Date.parse(options.updatedSince) : undefined;
    const all = [...this.users.values()]
      .filter((u) => since === undefined || (u.updatedAt !== undefined && Date.parse(u.updatedAt) >= since))
      .sort((a, b) => Number(a.id) - Number(b.id));
    for (let i = options.fromOffset ?? 0; i < all.length; i += 50) yield all.slice(i, i + 50).map((u) => structuredClone(u));
  }

  async findBy(key: 'employee-number' | 'email' | 'login', values: string[]): Promise<CoupaUser[]> {
    this.calls.push(`findBy ${key} ${values.join(',')}`);
    const wanted = new Set(values.map((v) => v.toLowerCase()));
    const valueOf = (u: CoupaUser) => String(key === 'login' ? u.login : (u.fields[key] ?? ''));
    return [...this.users.values()].filter((u) => wanted.has(valueOf(u).toLowerCase())).map((u) => structuredClone(u));
  }

  private fail(login: string): void {
    const fault = this.faults.get(login);
    if (fault === 'reject') throw new CoupaRejectedError(['Email has already been taken'], 400);
    if (fault === 'retry') throw new CoupaRetryableError('HTTP 503 after 5 attempts');
  }
}

/**
 * decideUser's answer in the compact shape the per-user tests assert on: the kind (`create`,
 * `update`, `deactivate`, `reactivate`, `unchanged`, `reject`), the Coupa id, the fields sent and
 * their names. The before → after of each change is asserted by the planner's own tests.
 */
export function planRecord(record: HrRecord, existing: CoupaUser | undefined, options: DecideOptions = {}) {
  const decision = decideUser(record, existing, options);
  if (decision.kind !== 'change') return decision;
  const { kind, id, send } = decision.change;
  const changedFields = Object.keys(send);
  return kind === 'create' ? { kind, fields: send, changedFields } : { kind, id, changes: send, changedFields };
}
