/**
 * Roles and content groups by name, when HR owns them (config coupa.ownedCollections): config,
 * HR file columns, the set diff, and the CSV channel's cells. Coupa replaces the whole set on PUT,
 * so nothing here may ever carry a collection the config does not own.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import { csvDataLine } from '../../lambdas/core/csv/csv-writer';
import { toImportRow } from '../../lambdas/core/csv/user-import-row';
import { HrFileError, readHrFile, type HrRow } from '../../lambdas/core/hr/read-hr-file';
import type { CollectionField } from '../../lambdas/core/model';
import { diffFields } from '../../lambdas/core/plan/diff';
import { planRecord } from '../support/factories';
import { plan } from '../../lambdas/core/runs/plan';
import type { RunRecordStore } from '../../lambdas/core/ports';
import { MemoryLedger } from '../../lambdas/adapters/local/memory-ledger';
import { S3StateStore } from '../../lambdas/adapters/aws/s3-state-store';
import { FakeDirectory, coupaUser, csvStream, hrRecord } from '../support/factories';
import { MemoryObjectStore } from '../support/memory-stores';
import { aRecord } from './csv-factories';

async function readAll(text: string, ownedCollections?: CollectionField[]): Promise<HrRow[]> {
  const rows: HrRow[] = [];
  for await (const row of readHrFile(csvStream(text), { file: 'hr.csv', ownedCollections })) rows.push(row);
  return rows;
}

describe('config coupa.ownedCollections', () => {
  it('owns no collection by default and accepts roles and content-groups', () => {
    // Act
    const byDefault = parseConfig({});
    const owned = parseConfig({ coupa: { ownedCollections: ['roles', 'content-groups'] } });
    // Assess
    expect(byDefault.coupa.ownedCollections).toEqual([]);
    expect(owned.coupa.ownedCollections).toEqual(['roles', 'content-groups']);
  });

  it('refuses an unknown collection, and any owned collection with the CSO flavour', () => {
    // Act / Assess
    expect(() => parseConfig({ coupa: { ownedCollections: ['warehouses'] } })).toThrow(/coupa\.ownedCollections\.0: /);
    expect(parseConfig({ coupa: { ownedCollections: ['user-groups', 'approval-groups', 'account-groups'] } }).coupa.ownedCollections).toHaveLength(3);
    expect(() => parseConfig({ coupa: { flavor: 'cso', format: 'json', ownedCollections: ['roles'] } })).toThrow(
      'Invalid configuration:\n  coupa.ownedCollections: CSO (coupa.flavor "cso") has no roles or groups: ' +
        'remove roles from coupa.ownedCollections, or sync them with the core flavour',
    );
    expect(parseConfig({ coupa: { flavor: 'cso', format: 'json' } }).coupa.ownedCollections).toEqual([]);
  });
});

describe('HR file roles and content-groups columns', () => {
  it('reads comma-separated names: trimmed, empties dropped, repeats kept once; an empty cell is not owned', async () => {
    // Prepare
    const csv =
      'login,roles,content-groups\n' +
      'a.one," Buyer , Approver,,Buyer ",EMEA\n' +
      'b.two,,\n' +
      'c.three,User,"Everyone, EMEA"\n';
    // Act
    const rows = await readAll(csv, ['roles', 'content-groups']);
    // Assess
    expect(rows).toEqual([
      { row: 1, result: { ok: true, record: { row: 1, login: 'a.one', fields: { roles: ['Buyer', 'Approver'], 'content-groups': ['EMEA'] } } } },
      { row: 2, result: { ok: true, record: { row: 2, login: 'b.two', fields: {} } } },
      { row: 3, result: { ok: true, record: { row: 3, login: 'c.three', fields: { roles: ['User'], 'content-groups': ['Everyone', 'EMEA'] } } } },
    ]);
  });

  it('rejects a role name over 40 characters, a content group over 100, and a cell with no name at all', async () => {
    // Prepare
    const csv =
      'login,roles,content-groups\n' +
      `a.one,"User,${'R'.repeat(41)}",${'G'.repeat(100)}\n` +
      `b.two,${'R'.repeat(40)},"EMEA,${'G'.repeat(101)}"\n` +
      'c.three," , ",\n';
    // Act
    const rows = await readAll(csv, ['roles', 'content-groups']);
    // Assess
    expect(rows.map((r) => r.result)).toEqual([
      { ok: false, login: 'a.one', errors: ['field "roles": role name 2 has 41 characters, Coupa allows at most 40'] },
      { ok: false, login: 'b.two', errors: ['field "content-groups": content group name 2 has 101 characters, Coupa allows at most 100'] },
      {
        ok: false,
        login: 'c.three',
        errors: [`field "roles": the cell holds no role name (leave it empty to leave Coupa's roles alone, or list the roles the user should have)`],
      },
    ]);
  });

  it('fails the whole file when it has a collection column the config does not own, saying what to add and why', async () => {
    // Act
    const error = await readAll('login,roles\na.one,Buyer\n').catch((e: unknown) => e);
    const partly = await readAll('login,roles,content-groups\na.one,Buyer,EMEA\n', ['roles']).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(HrFileError);
    expect((error as Error).message).toBe(
      'hr.csv: the header has "roles" but coupa.ownedCollections does not list it: Coupa replaces a user\'s whole set on ' +
        'every change, so the sync writes roles only when the config says HR owns them. Add "roles" to ' +
        'coupa.ownedCollections in the config, or remove the column(s) from the file',
    );
    expect((partly as Error).message).toMatch(/^hr\.csv: the header has "content-groups" but coupa\.ownedCollections does not list it: .* Add "content-groups" to coupa\.ownedCollections/);
  });

  it('is refused by the AWS Plan step before anything is planned unless coupa.ownedCollections owns it', async () => {
    // Prepare: the same file dropped into two deployments, one owning roles.
    const csv = 'login,roles\na.one,Buyer\n';
    const run = { runId: 'run-1', file: 'incoming/hr.csv' };
    const state = { run, channel: 'api' as const, dryRun: false, arrivedAt: '2026-11-23T04:00:00Z', bucket: 'bucket' };
    const deps = (config: ReturnType<typeof parseConfig>) => {
      const objects = new MemoryObjectStore();
      objects.objects.set(run.file, Buffer.from(csv));
      const directory = new FakeDirectory(new Map([['a.one', coupaUser({ id: '7', login: 'a.one', fields: { active: true, roles: ['User'] } })]]));
      return {
        objects,
        plan: {
          records: { update: async () => {} } as unknown as RunRecordStore,
          objects,
          state: new S3StateStore(objects, 'bucket'),
          ledger: new MemoryLedger(),
          directory: async () => directory,
          config,
          clock: { now: () => new Date('2026-11-23T04:00:00Z'), sleep: async () => {} },
          log: () => {},
        },
      };
    };
    const refusedDeps = deps(parseConfig({}));
    const ownedDeps = deps(parseConfig({ coupa: { ownedCollections: ['roles'] } }));
    // Act
    const refused = await plan(state, refusedDeps.plan).catch((e: unknown) => e);
    const owned = await plan(state, ownedDeps.plan);
    // Assess
    expect(refused).toBeInstanceOf(HrFileError);
    expect((refused as Error).name).toBe('HrFileError'); // the state machine's Catch routes on it
    expect((refused as Error).message).toMatch(/^incoming\/hr\.csv: the header has "roles" but coupa\.ownedCollections does not list it/);
    expect(refusedDeps.objects.objects.has('runs/run-1/plan.json')).toBe(false);
    expect(owned).toMatchObject({ outcome: 'apply', toApply: 1 });
    const kept = JSON.parse(ownedDeps.objects.objects.get('runs/run-1/plan.json')!.toString()) as { changes: Array<{ login: string; send: unknown }> };
    expect(kept.changes.map((c) => [c.login, c.send])).toEqual([['a.one', { roles: ['Buyer'] }]]);
  });
});

describe('plan: collections compared as sets', () => {
  const owned = { ownedCollections: ['roles', 'content-groups'] as CollectionField[] };

  it('leaves a user alone when Coupa holds the same names in another order', () => {
    // Prepare
    const existing = coupaUser({ fields: { lastname: 'Doe', roles: ['Buyer', 'User'], 'content-groups': ['EMEA', 'Everyone'] } });
    const record = hrRecord({ fields: { lastname: 'Doe', roles: ['User', 'Buyer'], 'content-groups': ['Everyone', 'EMEA'] } });
    // Act
    const plan = planRecord(record, existing, owned);
    // Assess
    expect(plan).toEqual({ kind: 'unchanged' });
  });

  it('sends the full desired list when the sets differ (names are case-sensitive)', () => {
    // Prepare
    const existing = coupaUser({ fields: { roles: ['User', 'Buyer'], 'content-groups': ['EMEA'] } });
    const record = hrRecord({ fields: { roles: ['User', 'Buyer', 'Approver'], 'content-groups': ['emea'] } });
    // Act
    const plan = planRecord(record, existing, owned);
    // Assess
    expect(plan).toEqual({
      kind: 'update',
      id: '42',
      changes: { roles: ['User', 'Buyer', 'Approver'], 'content-groups': ['emea'] },
      changedFields: ['roles', 'content-groups'],
    });
  });

  it('reads a collection Coupa did not return as empty, and compares with diffFields directly', () => {
    // Act
    const missing = diffFields({ roles: ['Buyer'] }, {});
    const emptyBoth = diffFields({ roles: [] }, {});
    const same = diffFields({ roles: ['B', 'A', 'A'] }, { roles: ['A', 'B'] });
    // Assess
    expect(missing).toEqual({ roles: ['Buyer'] });
    expect(emptyBoth).toEqual({});
    expect(same).toEqual({});
  });

  it('drops collections the config does not own: never compared, never created with, never sent', () => {
    // Prepare
    const record = hrRecord({ login: 'new.one', fields: { email: 'n@example.com', firstname: 'N', lastname: 'One', roles: ['Admin'], 'content-groups': ['EMEA'] } });
    const existing = coupaUser({ fields: { lastname: 'Doe', roles: ['User'] } });
    // Act
    const created = planRecord(record, undefined, { ownedCollections: ['content-groups'] });
    const updated = planRecord(hrRecord({ fields: { lastname: 'Doe', roles: ['Admin'] } }), existing);
    // Assess
    expect(created).toEqual({
      kind: 'create',
      fields: { active: true, email: 'n@example.com', firstname: 'N', lastname: 'One', 'content-groups': ['EMEA'] },
      changedFields: ['active', 'email', 'firstname', 'lastname', 'content-groups'],
    });
    expect(updated).toEqual({ kind: 'unchanged' });
  });
});

describe('CSV channel: User Role Names and Content Groups', () => {
  it('writes owned collections comma-separated, in the loader\'s columns, after the scalar columns', () => {
    // Act
    const result = toImportRow(aRecord({ fields: { lastname: 'Doe', roles: ['Buyer', 'Approver'], 'content-groups': ['EMEA'] } }), {
      ownedCollections: ['roles', 'content-groups'],
    });
    // Assess
    expect(result).toEqual({
      ok: true,
      row: {
        login: 'jdoe',
        columns: ['login', 'lastname', 'roles', 'content-groups'],
        cells: { login: 'jdoe', lastname: 'Doe', roles: 'Buyer,Approver', 'content-groups': 'EMEA' },
        deactivate: false,
      },
    });
  });

  it('clears roles with --NULL-- (written as is, not formula-neutralised) and rejects an empty content-group list', () => {
    // Act
    const cleared = toImportRow(aRecord({ fields: { roles: [] } }));
    const noGroups = toImportRow(aRecord({ fields: { 'content-groups': [] } }));
    const line = cleared.ok ? csvDataLine(cleared.row.columns.map((c) => cleared.row.cells[c] ?? '')) : '';
    // Assess
    expect(cleared).toEqual({ ok: true, row: { login: 'jdoe', columns: ['login', 'roles'], cells: { login: 'jdoe', roles: '--NULL--' }, deactivate: false } });
    expect(line).toBe('"jdoe","--NULL--"\r\n');
    expect(noGroups).toEqual({
      ok: false,
      error:
        'HR row 1 (login jdoe): an empty content-groups list cannot be sent by CSV (Coupa documents no way to clear ' +
        'Content Groups); remove the groups in Coupa or send this user through the API channel',
    });
  });

  it('never writes a collection the config does not own, and refuses names the loader would misread', () => {
    // Act
    const unowned = toImportRow(aRecord({ fields: { lastname: 'Doe', roles: ['Admin'] } }), { ownedCollections: [] });
    const comma = toImportRow(aRecord({ fields: { roles: ['A,B'] } }));
    const formula = toImportRow(aRecord({ fields: { roles: ['=Buyer', 'User'] } }));
    // Assess
    expect(unowned).toEqual({ ok: true, row: { login: 'jdoe', columns: ['login', 'lastname'], cells: { login: 'jdoe', lastname: 'Doe' }, deactivate: false } });
    expect(comma).toEqual({ ok: false, error: 'HR row 1 (login jdoe): a name in User Role Names contains a comma, which the loader reads as a separator' });
    expect(formula).toEqual({
      ok: false,
      error:
        'HR row 1 (login jdoe): User Role Names starts with "=", which spreadsheets read as a formula; the CSV channel ' +
        'will not alter a name Coupa resolves, send this user through the API channel',
    });
  });
});
