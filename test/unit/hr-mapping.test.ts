/** HR exports through config hr.fields: sources, transforms, maps, defaults, templates, the clear token, managers by key. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import { HrFileError, readHrFile, type HrRow } from '../../lambdas/core/hr/read-hr-file';
import { csvStream } from '../support/factories';

const WORKDAY_FIELDS = {
  login: { from: 'Work_Email', transform: ['trim', 'lower'] },
  email: { from: 'Work_Email', transform: ['trim', 'lower'] },
  'employee-number': { from: 'Employee_ID' },
  firstname: { from: 'Legal_First_Name', transform: ['titlecase'] },
  lastname: { from: 'Legal_Last_Name' },
  active: { from: 'Worker_Status', map: { Active: true, 'On Leave': true, '*': false } },
  manager: { from: 'Manager_ID', matchOn: 'employee-number' },
  'default-locale': { value: 'en' },
  'sso-identifier': { template: '{Employee_ID}@acme' },
};

async function readMapped(csv: string, hr: Record<string, unknown>, coupa: Record<string, unknown> = {}): Promise<HrRow[]> {
  const config = parseConfig({ hr, coupa });
  const rows: HrRow[] = [];
  for await (const row of readHrFile(csvStream(csv), { file: 'workday.csv', hr: config.hr, ownedCollections: config.coupa.ownedCollections })) rows.push(row);
  return rows;
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as Error);

describe('readHrFile with hr.fields', () => {
  it('reads a Workday-style report: headers by name, transforms, a status map, a constant, a template, the manager by employee id', async () => {
    // Prepare
    const csv =
      'Employee_ID,Legal_First_Name,Legal_Last_Name,Work_Email,Worker_Status,Manager_ID,Job_Title\n' +
      'E100, aNNa ,Berg, Anna.Berg@Example.com ,Active,,Engineer\n' +
      'E101,bo,Lind,bo.lind@example.com,Terminated,E100,Clerk\n';
    // Act
    const rows = await readMapped(csv, { fields: WORKDAY_FIELDS });
    // Assess
    expect(rows.map((r) => r.result)).toEqual([
      {
        ok: true,
        record: {
          row: 1,
          login: 'anna.berg@example.com',
          fields: { email: 'anna.berg@example.com', 'employee-number': 'E100', firstname: 'Anna', lastname: 'Berg', active: true, 'default-locale': 'en', 'sso-identifier': 'E100@acme' },
        },
      },
      {
        ok: true,
        record: {
          row: 2,
          login: 'bo.lind@example.com',
          fields: { email: 'bo.lind@example.com', 'employee-number': 'E101', firstname: 'Bo', lastname: 'Lind', active: false, 'default-locale': 'en', 'sso-identifier': 'E101@acme' },
          managerRef: { matchOn: 'employee-number', value: 'E100' },
        },
      },
    ]);
  });

  it('matches headers ignoring case and surrounding spaces, and map keys ignoring case', async () => {
    // Prepare
    const hr = { fields: { login: { from: ' work_email ' }, active: { from: 'STATUS', map: { active: true, '*': false } } } };
    // Act
    const [row] = await readMapped(' Work_Email ,Status\nw.x@example.com,ACTIVE\n', hr);
    // Assess
    expect(row.result).toEqual({ ok: true, record: { row: 1, login: 'w.x@example.com', fields: { active: true } } });
  });

  it('rejects a row whose value is not in a map without "*", naming the field, the column and the value (status values too, cut to 60 characters)', async () => {
    // Prepare: a mapped column's values are the mapping's vocabulary, not personal data
    const hr = { fields: { login: { from: 'Login' }, active: { from: 'Worker_Status', map: { Active: true, Terminated: false } } } };
    const long = `On Leave ${'x'.repeat(70)}`;
    // Act
    const rows = await readMapped(`Login,Worker_Status\na.one,Retired\nb.two,On Leave\nc.three,${long}\n`, hr);
    // Assess
    const remedy = 'is not in hr.fields.active.map (add it, a "*" entry for any other value, or set hr.fields.active.unmapped to "keep")';
    expect(rows.map((r) => r.result)).toEqual([
      { ok: false, login: 'a.one', errors: [`field "active": "Retired" in column "Worker_Status" ${remedy}`] },
      { ok: false, login: 'b.two', errors: [`field "active": "On Leave" in column "Worker_Status" ${remedy}`] },
      { ok: false, login: 'c.three', errors: [`field "active": "${long.slice(0, 60)}…" in column "Worker_Status" ${remedy}`] },
    ]);
  });

  it('uses the default for an empty cell and leaves a field without a default alone', async () => {
    // Prepare
    const hr = { fields: { login: { from: 'Login' }, 'default-locale': { from: 'Locale', default: 'en' }, middlename: { from: 'Middle' } } };
    // Act
    const [row] = await readMapped('Login,Locale,Middle\na.one,,\n', hr);
    // Assess
    expect(row.result).toEqual({ ok: true, record: { row: 1, login: 'a.one', fields: { 'default-locale': 'en' } } });
  });

  it('leaves a template empty when a placeholder cell is empty (no "@acme" SSO ids)', async () => {
    // Prepare
    const hr = { fields: { login: { from: 'Login' }, 'sso-identifier': { template: '{Employee_ID}@acme' } } };
    // Act
    const [row] = await readMapped('Login,Employee_ID\na.one,\n', hr);
    // Assess
    expect(row.result).toEqual({ ok: true, record: { row: 1, login: 'a.one', fields: {} } });
  });

  it.each([
    ['trim', ' x ', 'x'],
    ['lower', 'MiXeD', 'mixed'],
    ['upper', 'de', 'DE'],
    ['titlecase', "o'NEIL-smith jr", "O'Neil-Smith Jr"],
    ['digits', 'E-00 123', '00123'],
  ])('transform %s', async (transform, cell, expected) => {
    // Prepare
    const hr = { fields: { login: { value: 'a.one' }, lastname: { from: 'Name', transform: [transform] } } };
    // Act
    const [row] = await readMapped(`Name\n"${cell}"\n`, hr);
    // Assess
    expect(row.result).toMatchObject({ ok: true, record: { fields: { lastname: expected } } });
  });

  it('clears fields with the clear token (strings and references null, collections empty) and refuses to clear required ones', async () => {
    // Prepare
    const hr = {
      clearToken: '#CLEAR#',
      fields: {
        login: { from: 'Login' },
        department: { from: 'Dept', map: { Sales: 'Sales EMEA' } },
        manager: { from: 'Mgr' },
        roles: { from: 'Roles' },
        'custom-fields.cost-centre': { from: 'CC' },
        email: { from: 'Mail' },
      },
    };
    // Act
    const rows = await readMapped('Login,Dept,Mgr,Roles,CC,Mail\na.one,#CLEAR#,#CLEAR#,#CLEAR#,#CLEAR#,\nb.two,,,,,#CLEAR#\n', hr, { ownedCollections: ['roles'] });
    // Assess
    expect(rows.map((r) => r.result)).toEqual([
      { ok: true, record: { row: 1, login: 'a.one', fields: { department: null, manager: null, roles: [], 'custom-fields': { 'cost-centre': null } } } },
      { ok: false, login: 'b.two', errors: ['field "email": holds the clear token, but Coupa\'s email cannot be cleared'] },
    ]);
  });

  it('takes the first non-empty cell of fallback columns, after the transforms', async () => {
    // Prepare: "digits" empties a preferred cell holding no digit, so the legal one is used
    const hr = {
      fields: {
        login: { from: 'Login' },
        firstname: { from: ['Preferred First Name', 'Legal First Name'] },
        'employee-number': { from: ['Badge', 'Person_ID'], transform: ['digits'] },
      },
    };
    // Act
    const rows = await readMapped('Login,Legal First Name,Preferred First Name,Badge,Person_ID\na.one,Alexandra,Sasha,B-17,P-9\nb.two,Robert, ,n/a,P-42\nc.three,,,,\n', hr);
    // Assess
    expect(rows.map((r) => (r.result.ok ? r.result.record.fields : r.result))).toEqual([
      { firstname: 'Sasha', 'employee-number': '17' },
      { firstname: 'Robert', 'employee-number': '42' },
      {},
    ]);
  });

  it('refuses a missing fallback column naming its place in the list', async () => {
    // Act
    const error = await failure(readMapped('Login,Legal First Name\na.one,Alexandra\n', { fields: { login: { from: 'Login' }, firstname: { from: ['Legal First Name', 'Preferred'] } } }));
    // Assess
    expect(error?.message).toBe('workday.csv: hr.fields.firstname.from[1]: the header has no column "Preferred"');
  });

  it('empties one field for its clear values (ignoring case, after the transforms) and for a map entry to null, leaving other columns alone', async () => {
    // Prepare: SuccessFactors writes NO_MANAGER; "None" in the department column means no department
    const hr = {
      fields: {
        login: { from: 'Login' },
        manager: { from: 'MANAGER', transform: ['trim'], clear: ['NO_MANAGER'] },
        department: { from: 'Dept', map: { None: null, Sales: 'Sales EMEA' } },
        'custom-fields.note': { from: 'Note' },
      },
    };
    // Act
    const rows = await readMapped('Login,MANAGER,Dept,Note\na.one, no_manager ,NONE,NO_MANAGER\nb.two,boss,Sales,\n', hr);
    // Assess: the note column holds the same word, and keeps it
    expect(rows.map((r) => r.result)).toEqual([
      { ok: true, record: { row: 1, login: 'a.one', fields: { manager: null, department: null, 'custom-fields': { note: 'NO_MANAGER' } } } },
      { ok: true, record: { row: 2, login: 'b.two', fields: { manager: 'boss', department: 'Sales EMEA' } } },
    ]);
  });

  it('clears a manager named by employee number (not a reference to resolve)', async () => {
    // Act
    const [row] = await readMapped('Login,MANAGER\na.one,NO_MANAGER\n', { fields: { login: { from: 'Login' }, manager: { from: 'MANAGER', matchOn: 'employee-number', clear: ['NO_MANAGER'] } } });
    // Assess
    expect(row.result).toEqual({ ok: true, record: { row: 1, login: 'a.one', fields: { manager: null } } });
  });

  it('passes a value no map entry matches through unchanged with unmapped "keep"', async () => {
    // Prepare
    const hr = { fields: { login: { from: 'Login' }, department: { from: 'Dept', map: { 'Vertrieb': 'Sales' }, unmapped: 'keep' } } };
    // Act
    const rows = await readMapped('Login,Dept\na.one,vertrieb\nb.two,Finance\n', hr);
    // Assess
    expect(rows.map((r) => r.result.ok && r.result.record.fields.department)).toEqual(['Sales', 'Finance']);
  });

  it('carries a manager named by e-mail as managerRef, validated as an e-mail', async () => {
    // Prepare
    const hr = { fields: { login: { from: 'Login' }, manager: { from: 'Manager_Email', matchOn: 'email' } } };
    // Act
    const rows = await readMapped('Login,Manager_Email\na.one,boss@example.com\nb.two,not-mail\n', hr);
    // Assess
    expect(rows.map((r) => r.result)).toEqual([
      { ok: true, record: { row: 1, login: 'a.one', fields: {}, managerRef: { matchOn: 'email', value: 'boss@example.com' } } },
      { ok: false, login: 'b.two', errors: ['field "manager": the value is not an e-mail address'] },
    ]);
  });

  it('fills custom fields and the new elements, checking their formats', async () => {
    // Prepare
    const hr = {
      fields: {
        login: { from: 'Login' },
        'phone-work': { from: 'Phone' },
        'requisition-approval-limit': { from: 'Limit' },
        'country-of-residence': { from: 'Country', transform: ['upper'] },
        'custom-fields.cost-centre-code': { from: 'CC' },
        'generate-password-and-notify': { value: true },
      },
    };
    // Act
    const rows = await readMapped('Login,Phone,Limit,Country,CC\na.one,+1 415-555-0100,1000.00 USD,us,CC-1\nb.two,call me,1000 dollars,USA,\n', hr);
    // Assess
    expect(rows[0].result).toEqual({
      ok: true,
      record: {
        row: 1,
        login: 'a.one',
        fields: {
          'phone-work': '+1 415-555-0100',
          'requisition-approval-limit': '1000.00 USD',
          'country-of-residence': 'US',
          'custom-fields': { 'cost-centre-code': 'CC-1' },
          'generate-password-and-notify': true,
        },
      },
    });
    expect(rows[1].result).toEqual({
      ok: false,
      login: 'b.two',
      errors: [
        'field "phone-work": the value is not a phone number (digits, spaces, - ( ) . and a leading +, e.g. +1 415-555-0100)',
        'field "requisition-approval-limit": an approval limit is an amount and a currency code ("1000.00 USD") or the name of a limit in Coupa',
        'field "country-of-residence": 3 characters, Coupa allows at most 2',
      ],
    });
  });

  it('ignores unmapped columns by default, and refuses them naming a few when hr.unknownColumns is "reject"', async () => {
    // Prepare
    const csv = 'Login,Job_Title,Hire_Date,Location,Grade,Band,Cost,Extra\na.one,x,y,z,1,2,3,4\n';
    const fields = { login: { from: 'Login' } };
    // Act
    const ignored = await readMapped(csv, { fields });
    const refused = await failure(readMapped(csv, { fields, unknownColumns: 'reject' }));
    // Assess
    expect(ignored[0].result).toEqual({ ok: true, record: { row: 1, login: 'a.one', fields: {} } });
    expect(refused).toBeInstanceOf(HrFileError);
    expect(refused?.message).toBe(
      'workday.csv: column(s) "Job_Title", "Hire_Date", "Location", "Grade", "Band" and 2 more are not taken by any field in hr.fields (hr.unknownColumns is "reject")',
    );
  });

  it('refuses a file without a mapped header, naming the field and the header, never the first row\'s cells', async () => {
    // Act
    const partly = await failure(readMapped('Employee_ID,Work_Email\nE1,a@example.com\n', { fields: WORKDAY_FIELDS }));
    const headless = await failure(readMapped('E100,Anna,Berg,anna.berg@example.com,Active,,Engineer\n', { fields: WORKDAY_FIELDS }));
    // Assess
    expect(partly?.message).toBe(
      'workday.csv: hr.fields.firstname.from: the header has no column "Legal_First_Name"; hr.fields.lastname.from: the header has no column "Legal_Last_Name"; ' +
        'hr.fields.active.from: the header has no column "Worker_Status"; hr.fields.manager.from: the header has no column "Manager_ID"',
    );
    expect(headless?.message).toContain('(none of the mapped columns is there: does the file lack its header row, or is it another export?)');
    expect(headless?.message).not.toMatch(/anna|berg/i);
  });

  it('says which delimiter a header line that split into one column would split on', async () => {
    // Act: a semicolon file read with the comma configured
    const error = await failure(readMapped('Login;Mail\na.one;a@example.com\n', { delimiter: ',', fields: { login: { from: 'Login' }, email: { from: 'Mail' } } }));
    const canonical = await failure(readMapped('login|email\na.one|a@example.com\n', { delimiter: ';' }));
    // Assess
    expect(error?.message).toBe(
      'workday.csv: hr.fields.login.from: the header has no column "Login"; hr.fields.email.from: the header has no column "Mail" ' +
        '(the header line split into one column on comma; it would split on the semicolon ";": set hr.delimiter to ";")',
    );
    expect(canonical?.message).toMatch(/\(the header line split into one column on semicolon; it would split on the pipe "\|": set hr.delimiter to "\|"\)$/);
  });

  it('refuses a header that names a mapped column twice', async () => {
    // Act
    const error = await failure(readMapped('Login,login\na,b\n', { fields: { login: { from: 'Login' } } }));
    // Assess
    expect(error?.message).toBe('workday.csv: column "Login" appears 2 times in the header; hr.fields.login takes it');
  });

  it('ignores unknown canonical columns with hr.unknownColumns "ignore" (no hr.fields)', async () => {
    // Act
    const [row] = await readMapped('login,email,job-title\na.one,a@example.com,Engineer\n', { unknownColumns: 'ignore' });
    // Assess
    expect(row.result).toEqual({ ok: true, record: { row: 1, login: 'a.one', fields: { email: 'a@example.com' } } });
  });
});

describe('readHrFile with hr.rows.skip', () => {
  const fields = { login: { from: 'Login' }, department: { from: 'Dept' } };

  it('skips rows matching any rule (ignoring case and surrounding spaces), naming the rule, without validating them', async () => {
    // Prepare: a totals footer (no login), a secondary position, a blank-typed row
    const hr = {
      fields,
      rows: {
        skip: [
          { column: 'Type', equals: 'total' },
          { column: 'Position', in: ['Secondary', 'Concurrent'] },
          { column: 'Login', matches: '^svc-' },
          { column: 'Dept', empty: true },
        ],
      },
    };
    const csv = 'Login,Dept,Type,Position\na.one,Sales,,Primary\n,,  TOTAL ,\na.one,Finance,,secondary \nsvc-backup,IT,,\nb.two,,,\n';
    // Act
    const rows = await readMapped(csv, hr);
    // Assess
    expect(rows.map((r) => r.result)).toEqual([
      { ok: true, record: { row: 1, login: 'a.one', fields: { department: 'Sales' } } },
      { ok: false, skipped: 'hr.rows.skip[0] (column "Type" equals "total")', login: '', errors: [] },
      { ok: false, skipped: 'hr.rows.skip[1] (column "Position" is one of "Secondary", "Concurrent")', login: 'a.one', errors: [] },
      { ok: false, skipped: 'hr.rows.skip[2] (column "Login" matches /^svc-/)', login: 'svc-backup', errors: [] },
      { ok: false, skipped: 'hr.rows.skip[3] (column "Dept" is empty)', login: 'b.two', errors: [] },
    ]);
  });

  it('works without hr.fields too (canonical headers), the rule\'s column taken (not an unknown column)', async () => {
    // Act: unknownColumns is "reject", the default without hr.fields
    const rows = await readMapped('login,email,kind\na.one,a@example.com,\nTotal: 1,,summary\n', { rows: { skip: [{ column: 'kind', equals: 'summary' }] } });
    // Assess
    expect(rows.map((r) => ('skipped' in r.result ? r.result.skipped : r.result.ok))).toEqual([true, 'hr.rows.skip[0] (column "kind" equals "summary")']);
  });

  it('takes a rule\'s column with hr.unknownColumns "reject" and hr.fields', async () => {
    // Act
    const rows = await readMapped('Login,Dept,Type\na.one,Sales,\n,,Total\n', { fields, unknownColumns: 'reject', rows: { skip: [{ column: 'Type', equals: 'Total' }] } });
    // Assess
    expect(rows.map((r) => r.result.ok || ('skipped' in r.result && r.result.skipped))).toEqual([true, 'hr.rows.skip[0] (column "Type" equals "Total")']);
  });

  it('refuses a file whose header lacks a rule\'s column, saying so', async () => {
    // Act
    const error = await failure(readMapped('Login,Dept\na.one,Sales\n', { fields, rows: { skip: [{ column: 'Row Type', equals: 'Total' }] } }));
    // Assess
    expect(error?.message).toBe('workday.csv: hr.rows.skip[0].column: the header has no column "Row Type"');
  });
});
