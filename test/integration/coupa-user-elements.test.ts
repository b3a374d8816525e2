/**
 * The user elements HR exports feed (department, accounts, address, legal entity, country, phones,
 * approval limits, custom fields, user/approval/account groups) round trip through the Users API in
 * XML and JSON and through the CSV loader, against the emulator over real HTTP; unknown references
 * come back as Coupa's error on the row.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { parseConfig } from '../../lambdas/core/config';
import { CoupaRejectedError, createUserDirectory, type UserDirectory } from '../../lambdas/adapters/coupa';
import { csvDataLine, csvHeaderLine } from '../../lambdas/core/csv/csv-writer';
import { DEFAULT_HEADER_NAMES, headerNameOf } from '../../lambdas/core/csv/user-import-format';
import { toImportRow } from '../../lambdas/core/csv/user-import-row';
import type { UserFields } from '../../lambdas/core/model';
import { diffFields } from '../../lambdas/core/plan/diff';
import { hrRecord } from '../support/factories';

const GROUPS = ['user-groups', 'approval-groups', 'account-groups'] as const;

/** Every new element, as HR gives it. */
const NEW_ELEMENTS: UserFields = {
  department: 'finance',
  'default-account-type': 'US Chart',
  'default-account': '100-2000',
  'default-address': 'NYC-1',
  'legal-entity': 'Acme Inc.',
  'country-of-residence': 'US',
  'phone-work': '+1 415-555-0100',
  'phone-mobile': '+1 415-555-0199',
  'requisition-approval-limit': '1000 USD',
  'expense-approval-limit': 'Director',
  'invoice-approval-limit': '2500.50 EUR',
  'requisition-self-approval-limit': '100.00 USD',
  'expense-self-approval-limit': '50 USD',
  'invoice-self-approval-limit': 'Manager',
  'custom-fields': { 'cost-centre-code': 'CC-100' },
  'user-groups': ['Finance Team'],
  'approval-groups': ['Finance Approvers'],
  'account-groups': ['US Accounts'],
};
const PERSON = { email: 'new.elements@example.com', firstname: 'New', lastname: 'Elements' };

describe.each(['xml', 'json'] as const)('new user elements through the Users API (%s)', (format) => {
  let emulator: RunningEmulator;
  let directory: UserDirectory;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: [{ login: 'mgr.x', email: 'mgr.x@example.com', firstname: 'M', lastname: 'X' }] });
    const config = parseConfig({ coupa: { format, ownedCollections: [...GROUPS] } }).coupa;
    directory = createUserDirectory({ baseUrl: emulator.url, config: { ...config, requestTimeoutMs: 5000 }, credentials: emulator.credentials });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('creates a user with every new element, reads them back, and finds nothing to change', async () => {
    // Act
    await directory.create('new.elements', { ...PERSON, ...NEW_ELEMENTS, 'generate-password-and-notify': true });
    const read = (await directory.findByLogins(['new.elements'])).get('new.elements')!;
    // Assess
    // Coupa's spelling: the catalogue's department name, amounts with two decimals
    expect(read.fields).toMatchObject({
      ...NEW_ELEMENTS,
      department: 'Finance',
      'requisition-approval-limit': '1000.00 USD',
      'expense-self-approval-limit': '50.00 USD',
    });
    expect(diffFields(NEW_ELEMENTS, read.fields)).toEqual({});
  });

  it('clears with null, and changes an account within the chart of accounts', async () => {
    // Prepare
    const id = (await directory.findByLogins(['new.elements'])).get('new.elements')!.id;
    // Act
    await directory.update(id, 'new.elements', { department: null, 'default-account': '100-3000', 'phone-mobile': null, 'custom-fields': { 'cost-centre-code': null } });
    const read = (await directory.findByLogins(['new.elements'])).get('new.elements')!;
    // Assess
    expect(read.fields).toMatchObject({ department: null, 'default-account': '100-3000', 'phone-mobile': null, 'custom-fields': { 'cost-centre-code': null } });
  });

  it.each([
    [{ department: 'Astrophysics' }, 'Department is invalid'],
    [{ 'default-account': '999-9999' }, 'Default account is invalid'],
    [{ 'default-address': 'MARS-1' }, 'Default address is invalid'],
    [{ 'legal-entity': 'Acme Moon' }, 'Legal entity is invalid'],
    [{ 'requisition-approval-limit': 'Emperor' }, 'Requisition approval limit is invalid'],
  ])('answers an unknown reference %j with Coupa\'s error on the row', async (fields, message) => {
    // Act
    const error = await directory.create(`bad.${Object.keys(fields)[0]}`, { ...PERSON, email: `bad.${Object.keys(fields)[0]}@example.com`, ...fields }).catch((e) => e);
    // Assess
    expect(error).toBeInstanceOf(CoupaRejectedError);
    expect((error as CoupaRejectedError).messages).toEqual([message]);
  });
});

describe('new user elements through the CSV loader', () => {
  let root: string;
  let emulator: RunningEmulator;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'coupa-elements-'));
    const incoming = join(root, 'Incoming', 'Users');
    await mkdir(incoming, { recursive: true });
    emulator = await startEmulator({ seed: [{ login: 'csv.user', email: 'csv.user@example.com', firstname: 'C', lastname: 'U', department: 'Sales' }], loader: { incomingDir: incoming } });
  });
  afterAll(async () => {
    await emulator?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('writes every new element in its loader column, --NULL-- for a cleared one, and reports an unknown department on its row', async () => {
    // Prepare
    const owned = { ownedCollections: [...GROUPS] };
    const created = toImportRow(hrRecord({ row: 1, login: 'csv.new', fields: { ...PERSON, email: 'csv.new@example.com', ...NEW_ELEMENTS } }), owned);
    const cleared = toImportRow(hrRecord({ row: 2, login: 'csv.user', fields: { department: null } }), owned);
    const unknown = toImportRow(hrRecord({ row: 3, login: 'csv.bad', fields: { ...PERSON, email: 'csv.bad@example.com', department: 'Astrophysics' } }), owned);
    const files = [created, cleared, unknown].map((result) => {
      if (!result.ok) throw new Error(result.error);
      const { columns, cells } = result.row;
      return csvHeaderLine(columns.map((c) => headerNameOf(c, DEFAULT_HEADER_NAMES))) + csvDataLine(columns.map((c) => cells[c] ?? ''));
    });
    for (const [i, file] of files.entries()) await writeFile(join(root, 'Incoming', 'Users', `users_2026010${i}_000000Z_.csv`), file);
    // Act
    const results = await emulator.processIncoming();
    // Assess
    expect(files[0].split('\r\n')[0]).toContain('"Phone Work","Phone Mobile","Department","Default Chart of Accounts Name","Default Account Code"');
    expect(files[0].split('\r\n')[0]).toContain('"Requisition Approval Limit"');
    expect(files[0].split('\r\n')[0]).toContain('"Groups","Approval Group Names","Account Group Names"');
    expect(files[0].split('\r\n')[0]).toContain('"cost-centre-code"');
    expect(files[1]).toBe('"Login","Department"\r\n"csv.user","--NULL--"\r\n');
    expect(results.map((r) => r.status)).toEqual(['Done', 'Done', 'Done']);
    const user = emulator.users().find((u) => u.login === 'csv.new')!;
    expect(user).toMatchObject({
      department: { name: 'Finance' },
      'default-account': { code: '100-2000', 'account-type': { name: 'US Chart' } },
      'default-address': { 'location-code': 'NYC-1' },
      'legal-entity': { name: 'Acme Inc.' },
      'country-of-residence': { code: 'US' },
      'phone-work': '+1 415-555-0100',
      'requisition-approval-limit': { amount: '1000.00', currency: { code: 'USD' } },
      'expense-approval-limit': { name: 'Director' },
      'custom-fields': { 'cost-centre-code': 'CC-100' },
      'approval-groups': [{ name: 'Finance Approvers' }],
    });
    expect(emulator.users().find((u) => u.login === 'csv.user')?.department).toBeNull();
    expect(results[2]['upload-errors']).toEqual([{ row: 2, 'field-with-error': 'Department', value: 'Astrophysics', 'field-errors': ['Department is invalid'] }]);
  });
});
