/**
 * The three example HR exports (examples/workday, examples/bamboohr, examples/hris-worker) run end to
 * end with their mappings: `coupa-sync run <file> --config <mapping> --coupa-url <emulator>` as a child
 * process, then Coupa's final state (the emulator's users) is checked for every row. A bad mapping
 * stops the CLI (exit 2) and the CDK app, naming the field.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli';
import { startEmulator, type RunningEmulator, type SeedUser } from '../../emulator/server';
import { infraTestConfig, synthStack } from '../infra/synth';


type User = Record<string, unknown>;
const nameOf = (value: unknown) => (value as { name?: string } | null)?.name ?? null;

describe('example HR exports, end to end through the CLI', () => {
  let emulator: RunningEmulator | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coupa-sync-examples-'));
  });
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  async function runExample(example: string, file: string, seed: SeedUser[]): Promise<{ code: number; stdout: string; report: { totals: Record<string, number> }; users: Map<string, User> }> {
    emulator = await startEmulator({ seed });
    const report = join(dir, `${example}.json`);
    const env = { COUPA_CLIENT_ID: emulator.credentials.clientId, COUPA_CLIENT_SECRET: emulator.credentials.clientSecret };
    const result = await cli(['run', `examples/${example}/${file}`, '--config', `examples/${example}/mapping.json`, '--coupa-url', emulator.url, '--report', report], env);
    const users = new Map(emulator.users().map((u) => [String(u.login), u]));
    return { ...result, report: JSON.parse(await readFile(report, 'utf8')), users };
  }

  it('Workday report: status map, manager by employee id, template, address by location map; columns nobody syncs ignored', async () => {
    // Act
    const { code, report, users } = await runExample('workday', 'workers.csv', [
      { login: 'maria.jones@example.com', email: 'maria.jones@example.com', firstname: 'Maria', lastname: 'Jones', 'employee-number': 'W1001' },
      { login: 'ben.ortiz@example.com', email: 'ben.ortiz@example.com', firstname: 'Ben', lastname: 'Ortiz', active: false },
    ]);
    // Assess
    expect(code).toBe(0);
    expect(report.totals).toMatchObject({ rows: 4, created: 1, updated: 1, reactivated: 1, unchanged: 1 });
    const maria = users.get('maria.jones@example.com')!;
    expect(maria).toMatchObject({ 'sso-identifier': 'W1001@acme', 'authentication-method': 'saml', active: true });
    expect([nameOf(maria.department), (maria['default-address'] as User)['location-code']]).toEqual(['Finance', 'NYC-1']);
    const ada = users.get('ada.quinn@example.com')!;
    expect(ada).toMatchObject({ email: 'ada.quinn@example.com', firstname: 'Ada', lastname: 'Quinn', 'employee-number': 'W2001', 'sso-identifier': 'W2001@acme', 'default-locale': 'en', active: true });
    // Manager_ID is an employee id: resolved to Maria's login in the same file.
    expect(ada.manager).toMatchObject({ login: 'maria.jones@example.com' });
    expect([nameOf(ada.department), (ada['default-address'] as User)['location-code']]).toEqual(['Engineering', 'BER-1']);
    const ben = users.get('ben.ortiz@example.com')!;
    expect(ben).toMatchObject({ active: true, 'employee-number': 'W2002', 'sso-identifier': 'W2002@acme' }); // "On Leave" is active: reactivated
    expect(ben.manager).toMatchObject({ login: 'maria.jones@example.com' });
    expect((ben['default-address'] as User)['location-code']).toBe('HQ'); // London: the map's "*"
    expect(users.has('cleo.park@example.com')).toBe(false); // Terminated and unknown to Coupa: not created
    // Act again: the same file, nothing changed since
    const env = { COUPA_CLIENT_ID: emulator!.credentials.clientId, COUPA_CLIENT_SECRET: emulator!.credentials.clientSecret };
    const again = await cli(['run', 'examples/workday/workers.csv', '--config', 'examples/workday/mapping.json', '--coupa-url', emulator!.url], env);
    // Assess: every row unchanged, nothing written
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('created 0 · updated 0 · deactivated 0 · unchanged 4 · rejected 0 · failed 0');
  });

  it('BambooHR export from Europe: semicolons and Windows-1252, status map, manager by e-mail, phones, country, department map', async () => {
    // Act
    const { code, report, users } = await runExample('bamboohr', 'employees.csv', [
      { login: 'renee.fassbender@example.com', email: 'renee.fassbender@example.com', firstname: 'Renee', lastname: 'Fassbender', active: true },
    ]);
    // Assess
    expect(code).toBe(0);
    expect(report.totals).toMatchObject({ rows: 3, created: 2, deactivated: 1 });
    const juergen = users.get('juergen.mueller@example.com')!;
    expect(juergen).toMatchObject({ firstname: 'Jürgen', lastname: 'Müller', 'employee-number': 'B-101', 'phone-work': '+49 30 1234-5600', 'phone-mobile': '+49 170 1234567', 'default-locale': 'de' });
    expect([nameOf(juergen.department), nameOf(juergen['legal-entity']), (juergen['country-of-residence'] as User).code]).toEqual(['Finance', 'Acme GmbH', 'DE']);
    const jose = users.get('jose.nunez@example.com')!;
    expect(jose).toMatchObject({ firstname: 'José', lastname: 'Núñez', 'default-locale': 'es', 'phone-work': '+49 30 1234-5601' });
    expect([nameOf(jose.department), (jose['country-of-residence'] as User).code]).toEqual(['Sales', 'ES']);
    expect(users.get('renee.fassbender@example.com')).toMatchObject({ active: false, lastname: 'Fassbender' }); // a leaver: active=false alone
  });

  it('generic HRIS worker.csv: accounts by cost centre map, address, approval limit, custom field, user groups, titlecase names', async () => {
    // Act
    const { code, report, users } = await runExample('hris-worker', 'worker.csv', [
      { login: 'mgr.jones', email: 'mgr.jones@example.com', firstname: 'Maria', lastname: 'Jones', 'employee-number': 'E1001' },
      { login: 'leaver.lee', email: 'lee.leaver@example.com', firstname: 'Lee', lastname: 'Leaver', 'employee-number': 'H2003' },
    ]);
    // Assess
    expect(code).toBe(0);
    expect(report.totals).toMatchObject({ rows: 4, created: 2, updated: 1, deactivated: 1 });
    const maria = users.get('mgr.jones')!;
    expect(maria).toMatchObject({
      firstname: 'Maria',
      lastname: 'Jones',
      'default-account': { code: '100-2000', 'account-type': { name: 'US Chart' } },
      'custom-fields': { 'cost-centre-code': 'CC100' },
      'requisition-approval-limit': { amount: '5000.00', currency: { code: 'USD' } },
      'user-groups': [{ name: 'Finance Team' }],
      'phone-work': '+1 212-555-0100',
    });
    const omar = users.get('omar.hale')!;
    expect(omar).toMatchObject({
      email: 'omar.hale@example.com',
      firstname: 'Omar',
      lastname: 'Hale',
      'employee-number': 'H2001',
      'default-account': { code: '200-1000' },
      'default-address': { 'location-code': 'NYC-1' },
      'requisition-approval-limit': { amount: '1000.00', currency: { code: 'USD' } },
      'user-groups': [{ name: 'Ops Team' }],
      'phone-mobile': '+1 917-555-0101',
    });
    expect(users.get('pia.ross')).toMatchObject({ active: true, 'default-account': { code: '100-3000' }, 'custom-fields': { 'cost-centre-code': 'CC200' } });
    expect(users.get('leaver.lee')).toMatchObject({ active: false });
  });

  it('stops the CLI with exit 2 before any file is read when the mapping is bad, naming the field', async () => {
    // Prepare
    const config = join(dir, 'bad-mapping.json');
    await writeFile(config, JSON.stringify({ hr: { fields: { login: { from: 'Work_Email' }, emial: { from: 'Work_Email' }, active: { from: 'Worker_Status', map: { Active: 'yes please' } } } } }));
    // Act
    const { code, stderr } = await cli(['run', 'examples/workday/workers.csv', '--config', config, '--coupa-url', 'http://127.0.0.1:1']);
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('hr.fields.emial: unknown key (not a Coupa user element the sync writes; did you mean "email"?)');
  });

  it('stops the CLI with exit 2 when the file lacks a mapped column, naming the field and header', async () => {
    // Prepare
    const config = join(dir, 'other-export.json');
    await writeFile(config, JSON.stringify({ hr: { fields: { login: { from: 'Work_Email' }, firstname: { from: 'Preferred_Name' } } } }));
    emulator = await startEmulator({ seed: 'none' });
    // Act
    const { code, stderr } = await cli(['run', 'examples/workday/workers.csv', '--config', config, '--coupa-url', emulator.url], {
      COUPA_CLIENT_ID: emulator.credentials.clientId,
      COUPA_CLIENT_SECRET: emulator.credentials.clientSecret,
    });
    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('examples/workday/workers.csv: hr.fields.firstname.from: the header has no column "Preferred_Name"');
  });

  it('fails cdk synth on a bad mapping, naming the field', () => {
    // Act / Assess
    expect(() => synthStack(infraTestConfig({ hr: { fields: { login: { from: 'Work_Email' }, manager: { from: 'Manager_ID', matchOn: 'badge' } } } }), { bundle: false })).toThrow(
      'hr.fields.manager.matchOn: must be one of "login", "employee-number", "email"',
    );
  });
});
