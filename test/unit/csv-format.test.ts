import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEADER_NAMES,
  IMPORT_COLUMNS,
  headerNamesFromTemplate,
} from '../../lambdas/core/csv/user-import-format';

describe('user-import columns', () => {
  it('uses the documented default spelling, Login first', () => {
    // Assess
    expect(IMPORT_COLUMNS[0]).toBe('login');
    expect(DEFAULT_HEADER_NAMES).toMatchObject({
      login: 'Login',
      email: 'Email',
      firstname: 'First Name',
      lastname: 'Last Name',
      active: 'Status',
      manager: 'Approver Login',
      'aic-user': 'AI Classification User',
      'ccw-user': 'Contingent Workforce User',
      'clm-advanced-user': 'Does the user have a Contract Lifecycle Management Advanced License?',
    });
    expect(Object.keys(DEFAULT_HEADER_NAMES).sort()).toEqual([...IMPORT_COLUMNS].sort());
  });

  it("takes an instance template's own spelling (Login*, odd case and spaces) and keeps defaults for the rest", () => {
    // Prepare
    const template = '\uFEFF"Id","Login*","EMAIL*","first  name*","Last Name*","Status","Purchasing User"\r\n';

    // Act
    const names = headerNamesFromTemplate(template, 'users-template.csv');

    // Assess
    expect(names.login).toBe('Login*');
    expect(names.email).toBe('EMAIL*');
    expect(names.firstname).toBe('first  name*');
    expect(names.lastname).toBe('Last Name*');
    expect(names['purchasing-user']).toBe('Purchasing User');
    expect(names.manager).toBe('Approver Login');
  });

  it('refuses a template without a Login column, naming the file', () => {
    // Act / Assess
    expect(() => headerNamesFromTemplate('"Email","First Name"\n', 'acme-users.csv')).toThrow(
      /acme-users\.csv: the user-import template has no Login column/,
    );
  });
});
