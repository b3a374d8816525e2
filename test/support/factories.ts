/** Test data factories: one place that knows what a valid record, user or message looks like. */
import { Readable } from 'node:stream';
import { CoupaRejectedError, CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import type { UserDirectory } from '../../lambdas/core/ports';
import { parseConfig, type SyncConfig } from '../../lambdas/core/config';
import type { CoupaUser, HrRecord, SyncMessage, UserFields } from '../../lambdas/core/model';

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

export function syncMessage(record: HrRecord, runId = 'run-1', file = 'hr.csv'): SyncMessage {
  return { runId, file, record };
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

  private fail(login: string): void {
    const fault = this.faults.get(login);
    if (fault === 'reject') throw new CoupaRejectedError(['Email has already been taken'], 400);
    if (fault === 'retry') throw new CoupaRetryableError('HTTP 503 after 5 attempts');
  }
}
