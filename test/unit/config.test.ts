import { describe, expect, it } from 'vitest';
import { BUNDLED_CONFIG_GLOBAL, configFromEnv, parseConfig } from '../../lambdas/core/config';

describe('parseConfig', () => {
  it('defaults every option, so {} is a working config', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ delivery: 'api', coupa: { flavor: 'core', format: 'xml', ratePerSecond: 20, lookupBatchSize: 50 }, csv: { remoteDirectory: '/Incoming/Users', maxRowsPerFile: 5000 } });
  });

  it('reports an unfinished AWS run after 24 h unless configured otherwise', () => {
    expect(parseConfig({}).reports.reportAfterHours).toBe(24);
    expect(parseConfig({ reports: { reportAfterHours: 2 } }).reports.reportAfterHours).toBe(2);
    expect(() => parseConfig({ reports: { reportAfterHours: 0 } })).toThrow(/reports\.reportAfterHours/);
  });

  it('names every bad field in one error', () => {
    expect(() => parseConfig({ delivery: 'fax', coupa: { ratePerSecond: 99 }, notifications: { email: 'nope' } })).toThrow(
      /delivery: .*\n.*coupa\.ratePerSecond: Too big.*\n.*notifications\.email/s,
    );
  });

  it('reads the Lambdas\' config from COUPA_SYNC_CONFIG', () => {
    expect(configFromEnv({ COUPA_SYNC_CONFIG: JSON.stringify({ delivery: 'csv' }) }).delivery).toBe('csv');
    expect(configFromEnv({}).delivery).toBe('api');
  });
});

describe('configFromEnv: the config inlined into a Lambda bundle', () => {
  it('reads the inlined config, lets COUPA_SYNC_CONFIG override it, and defaults without either', () => {
    // Prepare
    const inlined = JSON.stringify({ stackName: 'Inlined', approval: { expireAfterHours: 12 } });
    // Act / Assess
    expect(configFromEnv({}, inlined)).toMatchObject({ stackName: 'Inlined', approval: { expireAfterHours: 12 } });
    expect(configFromEnv({ COUPA_SYNC_CONFIG: JSON.stringify({ stackName: 'Override' }) }, inlined).stackName).toBe('Override');
    expect(configFromEnv({}, undefined).stackName).toBe('CoupaUserSync');
  });

  it('in a bundle built with the define the stack uses, reads back exactly that config, however large and whatever it holds', async () => {
    // Prepare: a 20 KB value map with quotes, backslashes, $ and non-ASCII, defined as the stack does (sync-function.ts).
    const { build } = await import('esbuild');
    const map = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`Abt. "${i}" \\ $HOME`, `Müller ${i} \u2028`]));
    const config = parseConfig({ stackName: 'Bundled', hr: { fields: { login: { from: 'Id' }, department: { from: 'Dept', map } } } });
    const entry = `import { configFromEnv } from ${JSON.stringify(new URL('../../lambdas/core/config.ts', import.meta.url).pathname)};\nexport const read = () => configFromEnv({});`;
    // Act
    const result = await build({
      stdin: { contents: entry, resolveDir: process.cwd(), loader: 'ts' },
      bundle: true, minify: true, platform: 'node', format: 'esm', write: false,
      define: { [BUNDLED_CONFIG_GLOBAL]: JSON.stringify(JSON.stringify(config)) },
    });
    const module = await import(`data:text/javascript;base64,${Buffer.from(result.outputFiles[0].text).toString('base64')}`);
    // Assess
    expect(JSON.stringify(config.hr).length).toBeGreaterThan(20 * 1024);
    expect(module.read()).toEqual(config);
  });
});

describe('parseConfig: storage (the drop bucket)', () => {
  it('defaults to SSE-S3, runs/ kept 400 days, incoming/ and outbox/ 30, and has no sFTP URL (no CSV channel)', () => {
    // Act
    const config = parseConfig({});
    // Assess
    expect(config.storage).toEqual({ encryption: 's3', runsRetentionDays: 400, incomingRetentionDays: 30, outboxRetentionDays: 30 });
    expect(config.csv.sftp.url).toBeUndefined();
  });

  it('takes a KMS key only with encryption "kms", and only a key ARN', () => {
    // Prepare
    const arn = 'arn:aws:kms:eu-west-1:123456789012:key/0b6c1a52-1111-4c2e-9a00-5c1e2f3a4b5c';
    // Act / Assess
    expect(parseConfig({ storage: { encryption: 'kms', kmsKeyArn: arn } }).storage.kmsKeyArn).toBe(arn);
    expect(() => parseConfig({ storage: { kmsKeyArn: arn } })).toThrow(/storage\.kmsKeyArn: a key is used only with storage\.encryption "kms"/);
    expect(() => parseConfig({ storage: { encryption: 'kms', kmsKeyArn: 'alias/mine' } })).toThrow(/storage\.kmsKeyArn: must be a KMS key ARN/);
    expect(() => parseConfig({ csv: { sftp: { url: 'https://sftp.acme.example.com' } } })).toThrow(/csv\.sftp\.url: must be sftp:\/\/host/);
    expect(() => parseConfig({ storage: { encryption: 'sse' } })).toThrow(/storage\.encryption: must be one of "s3", "kms"/);
    expect(() => parseConfig({ storage: { keyArn: arn } })).toThrow(/storage: unknown key "keyArn"/);
  });

  it('accepts 0 (never expire) for runs/ only, and refuses lifetimes shorter than a run can wait', () => {
    // Act / Assess
    expect(parseConfig({ storage: { runsRetentionDays: 0 } }).storage.runsRetentionDays).toBe(0);
    expect(() => parseConfig({ storage: { incomingRetentionDays: 0 } })).toThrow(/storage\.incomingRetentionDays/);
    expect(() => parseConfig({ storage: { outboxRetentionDays: 0 } })).toThrow(/storage\.outboxRetentionDays/);
    // A held run waits up to approval.expireAfterHours (72 h): its plan must still be there.
    expect(() => parseConfig({ storage: { runsRetentionDays: 3 } })).toThrow(/storage\.runsRetentionDays: must be 0 \(never expire\) or longer than .* \(72 h\)/);
    expect(parseConfig({ storage: { runsRetentionDays: 4 } }).storage.runsRetentionDays).toBe(4);
    expect(() => parseConfig({ storage: { outboxRetentionDays: 2 }, reports: { reportAfterHours: 48 } })).toThrow(/storage\.outboxRetentionDays: must be longer than reports\.reportAfterHours \(48 h\)/);
  });
});

describe('parseConfig: strict objects', () => {
  it('refuses a misspelt key anywhere, naming its path, instead of dropping it', () => {
    // Act
    const error = (() => {
      try {
        parseConfig({ rooster: { mode: 'full' }, roster: { mood: 'full' }, csv: { sftp: { host: 'x' } } });
      } catch (e) {
        return e as Error;
      }
    })();
    // Assess
    expect(error?.message.split('\n').slice(1).map((l) => l.trim())).toEqual([
      'roster: unknown key "mood" (did you mean "mode"?)',
      'csv.sftp: unknown key "host"',
      '(root): unknown key "rooster" (did you mean "roster"?)',
    ]);
  });

  it('bundles small: zod/mini, not the classic namespace with every locale', async () => {
    // Prepare
    const { build } = await import('esbuild');
    // Act
    const result = await build({ entryPoints: ['lambdas/core/config.ts'], bundle: true, minify: true, platform: 'node', format: 'esm', write: false });
    // Assess: the classic import weighed 457 KB
    expect(result.outputFiles[0].contents.length).toBeLessThan(60_000);
  });
});

describe('parseConfig: the hr section', () => {
  const mapping = (fields: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ hr: { fields: { login: { from: 'Work_Email' }, ...fields } }, ...rest });
  const problems = (input: unknown): string[] => {
    try {
      parseConfig(input);
      return [];
    } catch (e) {
      return (e as Error).message.split('\n').slice(1).map((l) => l.trim());
    }
  };

  it('defaults to auto encoding and delimiter, the --NULL-- clear token and bounded input', () => {
    // Act
    const { hr } = parseConfig({});
    // Assess
    expect(hr).toEqual({
      encoding: 'auto',
      delimiter: 'auto',
      clearToken: '--NULL--',
      rows: { skip: [] },
      duplicates: 'reject',
      limits: { maxFileBytes: 512 * 1024 * 1024, maxRecordBytes: 65536, maxFieldChars: 8192, maxColumns: 1000, maxListItems: 100 },
    });
  });

  it('accepts the issue\'s Workday mapping as written', () => {
    // Prepare
    const fields = {
      login: { from: 'Work_Email', transform: ['trim', 'lower'] },
      email: { from: 'Work_Email', transform: ['trim', 'lower'] },
      'employee-number': { from: 'Employee_ID' },
      firstname: { from: 'Legal_First_Name' },
      lastname: { from: 'Legal_Last_Name' },
      active: { from: 'Worker_Status', map: { Active: true, 'On Leave': true, '*': false } },
      manager: { from: 'Manager_ID', matchOn: 'employee-number' },
      department: { from: 'Cost_Center_Name' },
      'default-locale': { value: 'en' },
      'sso-identifier': { template: '{Employee_ID}@acme' },
      'custom-fields.cost-centre-code': { from: 'Cost_Center_ID', default: 'NONE' },
    };
    // Act
    const { hr } = parseConfig({ hr: { encoding: 'auto', delimiter: 'auto', unknownColumns: 'ignore', fields } });
    // Assess
    expect(hr.fields).toEqual(fields);
    expect(hr.unknownColumns).toBe('ignore');
  });

  it.each([
    [{ emial: { from: 'Work_Email' } }, 'hr.fields.emial: unknown key (not a Coupa user element the sync writes; did you mean "email"?)'],
    [{ email: { from: 'A', template: '{B}' } }, 'hr.fields.email: has from and template: give only one'],
    [{ email: { transform: ['lower'] } }, 'hr.fields.email: needs one of "from", "value" or "template"'],
    [{ email: { from: 'A', transform: ['shout'] } }, 'hr.fields.email.transform.0: must be one of "trim", "lower", "upper", "titlecase", "digits"'],
    [{ email: { from: 'A', matchOn: 'email' } }, 'hr.fields.email.matchOn: only the manager field has matchOn'],
    [{ manager: { from: 'A', matchOn: 'id' } }, 'hr.fields.manager.matchOn: must be one of "login", "employee-number", "email"'],
    [{ 'sso-identifier': { template: '@acme' } }, 'hr.fields.sso-identifier.template: has no {Header} placeholder (use "value" for a constant)'],
    [{ 'sso-identifier': { template: '{}@acme' } }, 'hr.fields.sso-identifier.template: has an empty {} placeholder'],
    [{ 'sso-identifier': { template: '{Id@acme' } }, 'hr.fields.sso-identifier.template: has an unmatched { or }'],
    [{ department: { from: 'D', map: { Sales: true } } }, 'hr.fields.department.map.Sales: true/false only for a true/false field; "department" takes text'],
    [{ department: { value: false } }, 'hr.fields.department.value: true/false only for a true/false field; "department" takes text'],
    [{ active: { from: 'S', map: { A: 1 } } }, 'hr.fields.active.map.A: expected text or true/false'],
    [{ email: { from: 'A', colour: 'red' } }, 'hr.fields.email: unknown key "colour"'],
    [{ manager: { from: 'A', matchon: 'email' } }, 'hr.fields.manager: unknown key "matchon" (did you mean "matchOn"?)'],
    [{ email: { from: 'A', defualt: 'x' } }, 'hr.fields.email: unknown key "defualt" (did you mean "default"?)'],
    [
      { firstname: { from: 'Preferred First Name', default: '{Legal First Name}' } },
      'hr.fields.firstname.default: holds "{Legal First Name}", but a default is a constant, not a column: it would set the text "{Legal First Name}" itself. ' +
        'To fall back to another column, list both in "from": ["Preferred First Name", "Legal First Name"]',
    ],
    [{ firstname: { from: [] } }, 'hr.fields.firstname.from: must list at least 1 item'],
    [{ email: { from: 'E', clear: ['NONE'] } }, "hr.fields.email.clear: Coupa's email cannot be emptied (every user needs one)"],
    [{ active: { from: 'S', map: { Gone: null } } }, "hr.fields.active.map: Coupa's active cannot be emptied (it is true or false)"],
    [{ manager: { from: 'M', unmapped: 'drop' } }, 'hr.fields.manager.unmapped: must be one of "reject", "keep"'],
    [{ roles: { from: 'R' } }, 'hr.fields.roles: Coupa replaces a user\'s whole roles set when it is sent: add "roles" to coupa.ownedCollections to let HR own it'],
    [{ street: { from: 'S' } }, 'hr.fields.street: a CSO field: Coupa core users have no street (set coupa.flavor "cso", or map it to a core element)'],
  ])('refuses a bad mapping naming the field: %j', (fields, message) => {
    // Act / Assess
    expect(problems(mapping(fields))).toEqual([message]);
  });

  it('accepts fallback columns, clear values, a map entry to null and unmapped "keep"', () => {
    // Act
    const { hr } = parseConfig(mapping({
      firstname: { from: ['Preferred First Name', 'Legal First Name'] },
      manager: { from: 'MANAGER', clear: ['NO_MANAGER'] },
      department: { from: 'Dept', map: { None: null, Sales: 'Sales EU' }, unmapped: 'keep' },
    }));
    // Assess
    expect(hr.fields?.firstname.from).toEqual(['Preferred First Name', 'Legal First Name']);
    expect(hr.fields?.department.map).toEqual({ None: null, Sales: 'Sales EU' });
  });

  it.each([
    [{ skip: [{ column: 'Type', equals: 'Total', empty: true }] }, 'hr.rows.skip.0: has equals and empty: give exactly one matcher per rule (add another rule for another test)'],
    [{ skip: [{ column: 'Type' }] }, 'hr.rows.skip.0: needs one of "equals", "in", "matches" or "empty": true'],
    [{ skip: [{ column: 'Type', matches: '(Total' }] }, 'hr.rows.skip.0.matches: is not a valid regular expression (/(Total/iu: Unterminated group)'],
    [{ skip: [{ column: 'Type', empty: false }] }, 'hr.rows.skip.0.empty: must be one of true'],
    [{ skip: [{ colum: 'Type', equals: 'x' }] }, 'hr.rows.skip.0.column: expected text', 'hr.rows.skip.0: unknown key "colum" (did you mean "column"?)'],
    [{ skipp: [] }, 'hr.rows: unknown key "skipp" (did you mean "skip"?)'],
  ])('refuses a bad hr.rows rule naming its path: %j', (rows, ...messages) => {
    // Act / Assess
    expect(problems({ hr: { rows } })).toEqual(messages);
  });

  it('takes hr.duplicates "reject" (default), "first" or "last", nothing else', () => {
    // Act / Assess
    expect(parseConfig({ hr: { duplicates: 'last' } }).hr.duplicates).toBe('last');
    expect(problems({ hr: { duplicates: 'merge' } })).toEqual(['hr.duplicates: must be one of "reject", "first", "last"']);
  });

  it('needs a login source, refuses core elements for CSO, and names every problem at once', () => {
    // Act
    const found = problems({
      coupa: { flavor: 'cso', format: 'json' },
      hr: { encoding: 'ebcdic', delimiter: ':', unknownColumns: 'keep', clearToken: '', fields: { email: { from: 'E' }, department: { from: 'D' } } },
    });
    // Assess
    expect(found).toEqual([
      'hr.encoding: must be one of "auto", "utf-8", "utf-16le", "utf-16be", "windows-1252", "iso-8859-1"',
      'hr.delimiter: must be one of "auto", ",", ";", "\\t", "|"',
      'hr.unknownColumns: must be one of "reject", "ignore"',
      'hr.clearToken: must not be empty',
      'hr.fields: "login" is required (the Coupa login is the match key)',
      'hr.fields.department: CSO (coupa.flavor "cso") users have no department: CSO takes active, firstname, lastname, email, phone-work, phone-mobile, street, zip-code, city, country, company-id',
    ]);
  });

  it('accepts owned collections and CSO\'s own fields where the flavour has them', () => {
    // Act / Assess
    expect(problems(mapping({ 'user-groups': { from: 'G' } }, { coupa: { ownedCollections: ['user-groups'] } }))).toEqual([]);
    expect(problems(mapping({ street: { from: 'S' }, 'company-id': { value: '92205' } }, { coupa: { flavor: 'cso', format: 'json' } }))).toEqual([]);
  });
});

describe('coupa.monitoring', () => {
  it('is off by default, with the documented code, end system and no alerts', () => {
    // Act
    const { monitoring } = parseConfig({}).coupa;
    // Assess
    expect(monitoring).toEqual({ enabled: false, integrationCode: 'coupa-user-sync', endSystem: 'HR', alertContacts: false });
  });

  it('refuses an unknown key and an empty code, naming their paths', () => {
    // Act
    const attempt = () => parseConfig({ coupa: { monitoring: { enabled: true, integrationCode: '', alertContact: true } } });
    // Assess
    expect(attempt).toThrow(/coupa\.monitoring\.integrationCode.*\n.*coupa\.monitoring.*alertContact/s);
  });
});

describe('parseConfig: preflight', () => {
  const problems = (input: unknown): string[] => {
    try {
      parseConfig(input);
      return [];
    } catch (e) {
      return (e as Error).message.split('\n').slice(1).map((l) => l.trim());
    }
  };

  it('checks references before writing by default, keeping each list a day, rejecting rows that name unknown ones', () => {
    expect(parseConfig({}).preflight).toEqual({ enabled: true, maxAgeHours: 24, unknownReference: 'reject' });
    expect(parseConfig({ preflight: { enabled: false, maxAgeHours: 2, unknownReference: 'skip-field' } }).preflight)
      .toEqual({ enabled: false, maxAgeHours: 2, unknownReference: 'skip-field' });
  });

  it('names the path of a bad value or an unknown key', () => {
    const found = problems({ preflight: { unknownReference: 'drop', maxAgeHours: 0, enable: true } });
    expect(found).toHaveLength(3);
    expect(found.join('\n')).toMatch(/preflight: unknown key "enable"/);
    expect(found.join('\n')).toMatch(/preflight\.unknownReference: .*reject.*skip-field/);
    expect(found.join('\n')).toMatch(/preflight\.maxAgeHours: /);
  });
});
