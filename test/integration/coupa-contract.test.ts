/**
 * One contract, three wire dialects: the same cases run over real HTTP against the emulator as
 * Coupa Core (XML), Coupa Core (JSON) and CSO (JSON). Request counts come from the emulator's log;
 * request bodies from a fetch spy (the log holds no bodies).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { parseConfig, type CoupaConfig } from '../../lambdas/core/config';
import {
  CoreUserDirectory,
  CoupaRejectedError,
  CsoUserDirectory,
  CoupaHttp,
  createUserDirectory,
  type ClientOptions,
  type UserDirectory,
} from '../../lambdas/adapters/coupa';
import type { UserFields } from '../../lambdas/core/model';
import { recordFetches, type FetchRecorder } from '../support/fetch-recorder';

interface Person {
  login: string;
  email: string;
  firstname: string;
  lastname: string;
  active?: boolean;
  employeeNumber?: string;
}

interface Dialect {
  name: string;
  flavor: 'core' | 'cso';
  format: 'xml' | 'json';
  /** Emulator seed shape for this flavour. */
  seed(people: Person[]): Record<string, unknown>[];
  /** A user as the emulator holds it → login, active. */
  stored(raw: Record<string, unknown>): { login: string; active: boolean; lastname: unknown };
  /** A change the server refuses, and the text it refuses it with. */
  invalidChange: UserFields;
  invalidMessage: string;
}

const DIALECTS: Dialect[] = [
  ...(['xml', 'json'] as const).map(
    (format): Dialect => ({
      name: `core/${format}`,
      flavor: 'core',
      format,
      seed: (people) =>
        people.map((p) => ({
          login: p.login,
          email: p.email,
          firstname: p.firstname,
          lastname: p.lastname,
          active: p.active ?? true,
          ...(p.employeeNumber ? { 'employee-number': p.employeeNumber } : {}),
        })),
      stored: (u) => ({ login: String(u.login), active: u.active === true, lastname: u.lastname }),
      invalidChange: { firstname: 'X'.repeat(41) },
      invalidMessage: 'First Name is too long (maximum is 40 characters)',
    }),
  ),
  {
    name: 'cso/json',
    flavor: 'cso',
    format: 'json',
    seed: (people) =>
      people.map((p) => ({
        name: p.login,
        email: p.email,
        'first-name': p.firstname,
        'last-name': p.lastname,
        state: p.active === false ? 'Disabled' : 'Active',
      })),
    stored: (u) => ({ login: String(u.name), active: u.state === 'Active', lastname: u['last-name'] }),
    invalidChange: { email: 'not-an-email' },
    invalidMessage: 'Email is invalid',
  },
];

/** Test data factory: a person with predictable, non-personal values. */
function person(login: string, overrides: Partial<Person> = {}): Person {
  return { login, email: `${login.replace(/[^a-z0-9.]/gi, '_')}@example.com`, firstname: 'Test', lastname: `User ${login}`, ...overrides };
}

const BULK = Array.from({ length: 60 }, (_, i) => person(`bulk.user${String(i).padStart(3, '0')}`));
const PEOPLE = [
  person('steady.state', { employeeNumber: 'E1003' }),
  person('leaver.lee', { employeeNumber: 'E1002' }),
  person('dormant.dan', { active: false }),
  person('smith,john'),
  person('taken.email', { email: 'taken@example.com' }),
  ...BULK,
];

describe.each(DIALECTS)('Coupa client contract: $name', (dialect) => {
  let emulator: RunningEmulator;
  let directory: UserDirectory;
  let config: CoupaConfig;
  let sent: FetchRecorder;

  beforeAll(async () => {
    emulator = await startEmulator({ flavor: dialect.flavor, seed: dialect.seed(PEOPLE) as never });
    config = parseConfig({ coupa: { flavor: dialect.flavor, format: dialect.format, scopes: 'core.user.read core.user.write' } }).coupa;
    const options: ClientOptions = {
      baseUrl: emulator.url,
      config: { ...config, requestTimeoutMs: 5000 },
      credentials: dialect.flavor === 'cso' ? { apiKey: emulator.credentials.apiKey } : emulator.credentials,
    };
    directory = createUserDirectory(options);
    sent = recordFetches();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await emulator?.close();
  });
  afterEach(() => {
    emulator.resetLog();
    sent.clear();
  });

  const userGets = () => emulator.requests.filter((r) => r.method === 'GET' && r.path === '/api/users');
  const storedUser = (login: string) => emulator.users().map(dialect.stored).find((u) => u.login === login);

  it('is the right directory class for the flavour', () => {
    expect(directory).toBeInstanceOf(dialect.flavor === 'cso' ? CsoUserDirectory : CoreUserDirectory);
  });

  it('finds an existing user and reports a missing one as absent', async () => {
    // Act
    const found = await directory.findByLogins(['steady.state', 'nobody.here']);
    // Assess
    expect([...found.keys()]).toEqual(['steady.state']);
    const user = found.get('steady.state')!;
    expect(user.id).toMatch(/^\d+$/);
    expect(user.fields).toMatchObject({ email: 'steady.state@example.com', firstname: 'Test', lastname: 'User steady.state', active: true });
  });

  it('finds nothing without failing when no login exists (XML 404 / JSON [])', async () => {
    // Act
    const found = await directory.findByLogins(['ghost.one', 'ghost.two']);
    // Assess
    expect(found.size).toBe(0);
    expect(userGets()).toHaveLength(1);
  });

  it('looks 120 logins up in at most 3 GETs', async () => {
    // Prepare
    const logins = [...BULK.map((p) => p.login), ...Array.from({ length: 60 }, (_, i) => `missing.user${i}`)];
    // Act
    const found = await directory.findByLogins(logins);
    // Assess
    expect(found.size).toBe(60);
    expect(userGets().length).toBeLessThanOrEqual(3);
  });

  it('looks a login containing a comma up alone, with the exact operator', async () => {
    // Act
    const found = await directory.findByLogins(['smith,john', 'steady.state']);
    // Assess
    expect([...found.keys()].sort()).toEqual(['smith,john', 'steady.state']);
    const attr = dialect.flavor === 'cso' ? 'name' : 'login';
    const queries = userGets().map((r) => r.query);
    expect(queries.some((q) => q.includes(`${attr}=smith,john`) && !q.includes('[in]'))).toBe(true);
    expect(queries.some((q) => q.includes(`${attr}[in]=steady.state`))).toBe(true);
  });

  it('creates a user and returns it as Coupa stored it', async () => {
    // Act
    const user = await directory.create('new.hire', { email: 'new.hire@example.com', firstname: 'New', lastname: 'Hire', active: true });
    // Assess
    expect(user.login).toBe('new.hire');
    expect(user.id).toMatch(/^\d+$/);
    if (dialect.flavor === 'cso') expect(user.id.length).toBeGreaterThanOrEqual(19);
    expect(user.fields).toMatchObject({ email: 'new.hire@example.com', lastname: 'Hire', active: true });
    expect(storedUser('new.hire')).toMatchObject({ active: true, lastname: 'Hire' });
  });

  it('updates only the changed fields', async () => {
    // Prepare
    const before = (await directory.findByLogins(['leaver.lee'])).get('leaver.lee')!;
    sent.clear();
    // Act
    const after = await directory.update(before.id, 'leaver.lee', { lastname: 'Renamed' });
    // Assess
    expect(after.fields.lastname).toBe('Renamed');
    expect(after.fields.email).toBe(before.fields.email);
    const puts = sent.bodies.filter((b) => b.method === 'PUT');
    expect(puts).toHaveLength(1);
    if (dialect.format === 'xml') {
      expect(puts[0].body).toBe('<?xml version="1.0" encoding="UTF-8"?><user><lastname>Renamed</lastname></user>');
    } else {
      expect(JSON.parse(puts[0].body)).toEqual(dialect.flavor === 'cso' ? { 'last-name': 'Renamed' } : { lastname: 'Renamed' });
    }
    expect(storedUser('leaver.lee')?.lastname).toBe('Renamed');
  });

  it('deactivates and reactivates a user', async () => {
    // Prepare
    const user = (await directory.findByLogins(['steady.state'])).get('steady.state')!;
    // Act
    const off = await directory.update(user.id, 'steady.state', { active: false });
    const storedOff = storedUser('steady.state');
    const on = await directory.update(user.id, 'steady.state', { active: true });
    // Assess
    expect(off.fields.active).toBe(false);
    expect(storedOff?.active).toBe(false);
    if (dialect.flavor === 'cso') {
      expect(emulator.users().find((u) => u.name === 'steady.state')?.state).toBe('Active');
    }
    expect(on.fields.active).toBe(true);
    expect(storedUser('steady.state')?.active).toBe(true);
  });

  it('reads an inactive user as active=false', async () => {
    // Act
    const found = await directory.findByLogins(['dormant.dan']);
    // Assess
    expect(found.get('dormant.dan')?.fields.active).toBe(false);
  });

  it("returns Coupa's validation text verbatim", async () => {
    // Prepare
    const user = (await directory.findByLogins(['steady.state'])).get('steady.state')!;
    // Act
    const error = (await directory.update(user.id, 'steady.state', dialect.invalidChange).catch((e: unknown) => e)) as CoupaRejectedError;
    // Assess
    expect(error).toBeInstanceOf(CoupaRejectedError);
    expect(error.status).toBe(400);
    expect(error.messages).toContain(dialect.invalidMessage);
  });

  it('fails a create whose e-mail is already taken, with a clear named failure', async () => {
    // Act
    const error = (await directory
      .create('second.taker', { email: 'taken@example.com', firstname: 'Second', lastname: 'Taker', active: true })
      .catch((e: unknown) => e)) as CoupaRejectedError;
    // Assess
    expect(error).toBeInstanceOf(CoupaRejectedError);
    if (dialect.flavor === 'core') expect(error.messages).toEqual(['Email has already been taken']);
    else expect(error.messages).toEqual(['CSO did not create second.taker (sent 1, added 0)']);
    expect(storedUser('second.taker')).toBeUndefined();
  });

  it('names a user that no longer exists (404 on its id)', async () => {
    // Prepare
    const goneId = dialect.flavor === 'cso' ? '9220000000000000001' : '999999';
    // Act
    const error = (await directory.update(goneId, 'ghost', { lastname: 'X' }).catch((e: unknown) => e)) as CoupaRejectedError;
    // Assess
    expect(error).toBeInstanceOf(CoupaRejectedError);
    expect(error.status).toBe(404);
    expect(error.messages).toEqual([`User ${goneId} no longer exists in Coupa (404)`]);
  });

  it.runIf(dialect.flavor === 'cso')('detects which items of a lenient bulk update did not apply', async () => {
    // Prepare
    const cso = directory as CsoUserDirectory;
    const found = await cso.findByLogins(['bulk.user000', 'bulk.user001']);
    const a = found.get('bulk.user000')!;
    const b = found.get('bulk.user001')!;
    // Act: CSO skips an entry that changes the (immutable) e-mail, and counts only the other
    const results = await cso.updateMany([
      { id: a.id, login: a.login, changes: { lastname: 'Applied' } },
      { id: b.id, login: b.login, changes: { email: 'changed@example.com', lastname: 'Ignored' } },
    ]);
    // Assess
    expect(results[0]).toMatchObject({ login: 'bulk.user000', user: { fields: { lastname: 'Applied' } } });
    expect(results[0].error).toBeUndefined();
    expect(results[1].error).toBe('CSO did not apply the change to bulk.user001 (sent 2, updated 1)');
    expect(storedUser('bulk.user001')?.lastname).toBe('User bulk.user001');
  });

  it.runIf(dialect.flavor === 'cso')('detects which items of a lenient bulk create did not apply', async () => {
    // Prepare
    const cso = directory as CsoUserDirectory;
    // Act: the second entry's name is taken, so CSO skips it
    const results = await cso.createMany([
      { login: 'bulk.new1', fields: { email: 'bulk.new1@example.com', firstname: 'Bulk', lastname: 'New' } },
      { login: 'bulk.user002', fields: { email: 'another@example.com', firstname: 'Dup', lastname: 'Name' } },
    ]);
    // Assess
    expect(results[0].user?.login).toBe('bulk.new1');
    expect(results[0].user?.id).toMatch(/^\d{19}$/);
    // bulk.user002 belongs to someone else: it must not pass as created by us
    expect(results[1]).toEqual({ login: 'bulk.user002', error: 'CSO did not create bulk.user002 (sent 2, added 1)' });
    expect(storedUser('bulk.user002')?.lastname).toBe('User bulk.user002');
  });

  it.runIf(dialect.flavor === 'core')('matches by employee number when the login is unknown', async () => {
    // Prepare
    const core = directory as CoreUserDirectory;
    const options: ClientOptions = {
      baseUrl: emulator.url,
      config: { ...config, matchFallback: 'employee-number' },
      credentials: emulator.credentials,
    };
    const withFallback = new CoreUserDirectory(new CoupaHttp(options));
    // Act
    const plain = await core.findByLogins(['lee.renamed']);
    const fallback = await withFallback.findByFallback([
      { login: 'lee.renamed', employeeNumber: 'E1002' },
      { login: 'nobody.new', employeeNumber: 'E9999' },
    ]);
    // Assess
    expect(plain.size).toBe(0);
    expect([...fallback.keys()]).toEqual(['lee.renamed']);
    expect(fallback.get('lee.renamed')?.login).toBe('leaver.lee');
    expect(emulator.requests.some((r) => r.query.includes('employee_number[in]=E1002,E9999'))).toBe(true);
  });
});
