import { describe, expect, it } from 'vitest';
import { toImportRow } from '../../lambdas/core/csv/user-import-row';
import { aRecord } from './csv-factories';

describe('HR record → user-import row', () => {
  it('writes only the columns the record owns, booleans as Yes/No, manager as Approver Login, a cleared field as --NULL--', () => {
    // Prepare
    const record = aRecord({
      fields: { email: 'j@example.com', 'purchasing-user': true, 'expense-user': false, manager: 'mgr.jones', middlename: null },
    });

    // Act
    const result = toImportRow(record);

    // Assess
    expect(result).toEqual({
      ok: true,
      row: {
        login: 'jdoe',
        columns: ['login', 'email', 'middlename', 'manager', 'purchasing-user', 'expense-user'],
        cells: { login: 'jdoe', email: 'j@example.com', middlename: '--NULL--', manager: 'mgr.jones', 'purchasing-user': 'Yes', 'expense-user': 'No' },
        deactivate: false,
      },
    });
  });

  it.each([
    ['action deactivate', { action: 'deactivate' as const, fields: { email: 'x@example.com' } }],
    ['active=false', { action: 'update' as const, fields: { active: false, firstname: 'Lee' } }],
  ])('turns %s into Status inactive, with Login and Status only', (_label, overrides) => {
    // Act
    const result = toImportRow(aRecord(overrides));

    // Assess
    expect(result).toEqual({
      ok: true,
      row: { login: 'jdoe', columns: ['login', 'active'], cells: { login: 'jdoe', active: 'inactive' }, deactivate: true },
    });
  });

  it('writes Status active only when HR says active, and no Status when unknown', () => {
    // Act
    const active = toImportRow(aRecord({ fields: { active: true } }));
    const unknown = toImportRow(aRecord({ fields: { firstname: 'Jane' } }));

    // Assess
    expect(active.ok && active.row.cells.active).toBe('active');
    expect(unknown.ok && unknown.row.columns).toEqual(['login', 'firstname']);
  });

  it('rejects a create without the columns the loader requires, naming row and fields', () => {
    // Act
    const result = toImportRow(aRecord({ row: 7, login: 'newbie', action: 'create', fields: { email: 'n@example.com', lastname: ' ' } }));

    // Assess
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^HR row 7 \(login newbie\): .*First Name, Last Name/) });
  });

  it.each(['login', 'email', 'employee-number', 'sso-identifier', 'manager'] as const)(
    'rejects a formula-like %s rather than altering a match key',
    (column) => {
      // Prepare
      const record =
        column === 'login' ? aRecord({ login: '-jdoe' }) : aRecord({ fields: { [column]: '=HYPERLINK("x")' } });

      // Act
      const result = toImportRow(record);

      // Assess
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error).toMatch(/formula; the CSV channel will not alter a match key/);
    },
  );

  it("rejects a value with a line break, which would shift Coupa's line numbers", () => {
    // Act
    const result = toImportRow(aRecord({ row: 4, fields: { lastname: 'Doe\nSmith' } }));

    // Assess
    expect(result).toEqual({ ok: false, error: 'HR row 4 (login jdoe): Last Name contains a line break, which a Coupa user field cannot hold' });
  });
});
