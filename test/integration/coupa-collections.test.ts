/**
 * Roles and content groups by name over real HTTP against the emulator, in XML and JSON: what the
 * client reads, exactly what it PUTs (request bodies from a fetch spy), and the emulator's
 * known-names catalogue. Plus the CSV channel's User Role Names through the emulator's loader.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { parseConfig } from '../../lambdas/core/config';
import { CoupaRejectedError, createUserDirectory, type UserDirectory } from '../../lambdas/adapters/coupa';
import { csvDataLine, csvHeaderLine } from '../../lambdas/core/csv/csv-writer';
import { DEFAULT_HEADER_NAMES, headerNameOf } from '../../lambdas/core/csv/user-import-format';
import { toImportRow } from '../../lambdas/core/csv/user-import-row';
import { planRecord } from '../support/factories';
import { hrRecord } from '../support/factories';
import { recordFetches, type FetchRecorder } from '../support/fetch-recorder';

const SEED = [
  { login: 'role.user', email: 'role.user@example.com', firstname: 'Role', lastname: 'User', roles: ['User'], 'content-groups': ['Everyone'] },
  { login: 'other.user', email: 'other.user@example.com', firstname: 'Other', lastname: 'User', roles: ['Approver'] },
  { login: 'third.user', email: 'third.user@example.com', firstname: 'Third', lastname: 'User', roles: ['User'] },
];

const namesIn = (user: Record<string, unknown> | undefined, collection: string) =>
  ((user?.[collection] as Array<{ name: string }> | undefined) ?? []).map((r) => r.name);

const EXPECTED_PUT = {
  xml: '<?xml version="1.0" encoding="UTF-8"?><user><roles><role><name>User</name></role><role><name>Buyer</name></role></roles></user>',
  json: '{"roles":[{"name":"User"},{"name":"Buyer"}]}',
};

describe.each(['xml', 'json'] as const)('roles by name against the emulator (%s)', (format) => {
  let emulator: RunningEmulator;
  let directory: UserDirectory;
  let sent: FetchRecorder;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: SEED });
    const config = parseConfig({ coupa: { format, ownedCollections: ['roles'] } }).coupa;
    directory = createUserDirectory({ baseUrl: emulator.url, config: { ...config, requestTimeoutMs: 5000 }, credentials: emulator.credentials });
    sent = recordFetches();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await emulator?.close();
  });
  afterEach(() => {
    sent.clear();
  });

  it('reads the owned roles as names and asks only for them (content groups are not owned: not read)', async () => {
    // Act
    const user = (await directory.findByLogins(['role.user'])).get('role.user');
    // Assess
    expect(user?.fields.roles).toEqual(['User']);
    expect(user?.fields['content-groups']).toBeUndefined();
    const lookup = decodeURIComponent(sent.urls.find((u) => u.includes('/api/users?'))!);
    expect(lookup).toContain('{"roles":["name"]}');
    expect(lookup).not.toContain('content_groups');
  });

  it('PUTs only the roles, as the full desired list by name, when only the roles changed', async () => {
    // Prepare
    const existing = (await directory.findByLogins(['role.user'])).get('role.user')!;
    const record = hrRecord({ login: 'role.user', fields: { lastname: 'User', roles: ['User', 'Buyer'] } });
    const plan = planRecord(record, existing, { ownedCollections: ['roles'] });
    if (plan.kind !== 'update') throw new Error(`expected an update, got ${plan.kind}`);
    // Act
    const updated = await directory.update(plan.id!, 'role.user', plan.changes);
    // Assess
    expect(plan.changedFields).toEqual(['roles']);
    expect(sent.bodies.map((b) => [b.method, b.body])).toEqual([['PUT', EXPECTED_PUT[format]]]);
    expect(updated.fields.roles).toEqual(['User', 'Buyer']);
    const stored = emulator.users().find((u) => u.login === 'role.user');
    expect(namesIn(stored, 'roles')).toEqual(['User', 'Buyer']);
    expect(namesIn(stored, 'content-groups')).toEqual(['Everyone']);
    expect(stored?.lastname).toBe('User');
  });

  it('is unchanged on the next run, whatever the order HR lists the roles in', async () => {
    // Prepare
    const existing = (await directory.findByLogins(['role.user'])).get('role.user')!;
    // Act
    const plan = planRecord(hrRecord({ login: 'role.user', fields: { roles: ['Buyer', 'User'] } }), existing, { ownedCollections: ['roles'] });
    // Assess
    expect(plan).toEqual({ kind: 'unchanged' });
  });

  it('fails the row with Coupa\'s message for a role that does not exist, changing nothing', async () => {
    // Prepare
    const other = (await directory.findByLogins(['other.user'])).get('other.user')!;
    // Act
    const error = await directory.update(other.id, 'other.user', { roles: ['Astronaut'] }).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CoupaRejectedError);
    expect((error as CoupaRejectedError).messages).toEqual(['Roles is invalid']);
    expect(namesIn(emulator.users().find((u) => u.login === 'other.user'), 'roles')).toEqual(['Approver']);
  });
});

describe('content groups by name against the emulator (json)', () => {
  let emulator: RunningEmulator;
  let directory: UserDirectory;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: SEED });
    const config = parseConfig({ coupa: { format: 'json', ownedCollections: ['roles', 'content-groups'] } }).coupa;
    directory = createUserDirectory({ baseUrl: emulator.url, config: { ...config, requestTimeoutMs: 5000 }, credentials: emulator.credentials });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('replaces the content groups by name, resolves known names ignoring case, and refuses unknown ones', async () => {
    // Prepare
    const user = (await directory.findByLogins(['role.user'])).get('role.user')!;
    // Act
    const replaced = await directory.update(user.id, 'role.user', { 'content-groups': ['emea', 'Americas'] });
    const refused = await directory.update(user.id, 'role.user', { 'content-groups': ['Atlantis'] }).catch((e: unknown) => e);
    // Assess
    expect(user.fields).toMatchObject({ roles: ['User'], 'content-groups': ['Everyone'] });
    expect(replaced.fields['content-groups']).toEqual(['EMEA', 'Americas']);
    expect((refused as CoupaRejectedError).messages).toEqual(['Content groups is invalid']);
    expect(namesIn(emulator.users().find((u) => u.login === 'role.user'), 'content-groups')).toEqual(['EMEA', 'Americas']);
  });
});

describe('User Role Names through the CSV writer and the emulator loader', () => {
  let root: string;
  let emulator: RunningEmulator;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'collections-csv-'));
  });
  afterAll(async () => {
    await emulator?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('sets roles from a comma-separated cell, clears them with --NULL--, and reports an unknown role on its row', async () => {
    // Prepare
    const incoming = join(root, 'Incoming', 'Users');
    await mkdir(incoming, { recursive: true });
    emulator = await startEmulator({ seed: SEED, loader: { incomingDir: incoming } });
    const records = [
      hrRecord({ row: 1, login: 'role.user', fields: { roles: ['Buyer', 'Approver'] } }),
      hrRecord({ row: 2, login: 'other.user', fields: { roles: [] } }),
      hrRecord({ row: 3, login: 'third.user', fields: { roles: ['Astronaut'] } }),
    ];
    const rows = records.map((r) => toImportRow(r, { ownedCollections: ['roles'] })).map((r) => (r.ok ? r.row : undefined)!);
    const columns = rows[0].columns;
    const file = csvHeaderLine(columns.map((c) => headerNameOf(c, DEFAULT_HEADER_NAMES))) + rows.map((r) => csvDataLine(columns.map((c) => r.cells[c] ?? ''))).join('');
    await writeFile(join(incoming, 'users_20260101_000000Z_.csv'), file);
    // Act
    const [result] = await emulator.processIncoming();
    // Assess
    expect(file).toBe('"Login","User Role Names"\r\n"role.user","Buyer,Approver"\r\n"other.user","--NULL--"\r\n"third.user","Astronaut"\r\n');
    expect(result).toMatchObject({ status: 'Done', 'records-updated': 2, 'records-created': 0, 'upload-errors-count': 1 });
    expect(result['upload-errors']).toEqual([
      { row: 4, 'field-with-error': 'User Role Names', value: 'Astronaut', 'field-errors': ['Roles is invalid'] },
    ]);
    expect(namesIn(emulator.users().find((u) => u.login === 'role.user'), 'roles')).toEqual(['Buyer', 'Approver']);
    expect(namesIn(emulator.users().find((u) => u.login === 'other.user'), 'roles')).toEqual([]);
    expect(namesIn(emulator.users().find((u) => u.login === 'third.user'), 'roles')).toEqual(['User']);
  });
});
