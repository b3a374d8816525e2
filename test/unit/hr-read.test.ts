import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HrFileError, readHrFile, type HrRow } from '../../lambdas/core/hr/read-hr-file';
import { csvStream } from '../support/factories';

async function readAll(text: string | Readable, headerMap?: Record<string, string>): Promise<HrRow[]> {
  const rows: HrRow[] = [];
  const input = typeof text === 'string' ? csvStream(text) : text;
  for await (const row of readHrFile(input, { file: 'hr.csv', headerMap })) rows.push(row);
  return rows;
}

describe('readHrFile', () => {
  it('reads canonical columns into typed records with 1-based data row numbers', async () => {
    // Prepare
    const csv = 'login,email,firstname,lastname,active,purchasing-user,manager\n' +
      'a.one,a@example.com,Ann,One,true,yes,boss\n' +
      'b.two,b@example.com,Bob,Two,false,,\n';
    // Act
    const rows = await readAll(csv);
    // Assess
    expect(rows).toEqual([
      { row: 1, result: { ok: true, record: { row: 1, login: 'a.one', fields: { email: 'a@example.com', firstname: 'Ann', lastname: 'One', active: true, 'purchasing-user': true, manager: 'boss' } } } },
      { row: 2, result: { ok: true, record: { row: 2, login: 'b.two', fields: { email: 'b@example.com', firstname: 'Bob', lastname: 'Two', active: false } } } },
    ]);
  });

  it('accepts a UTF-8 BOM, CRLF line ends, quoted commas and quotes, tabs', async () => {
    const csv = '\uFEFFlogin,firstname,lastname\r\n"x.y","Zoë, ""Z""","Tab\tSeparated"\r\n';
    const [row] = await readAll(csv);
    expect(row.result).toEqual({ ok: true, record: { row: 1, login: 'x.y', fields: { firstname: 'Zoë, "Z"', lastname: 'Tab\tSeparated' } } });
  });

  it('rejects a quoted line break in a cell as one row, naming the field, and numbers the next row 2', async () => {
    const rows = await readAll('login,lastname\nx.y,"Multi\nLine"\nz.z,Zed\n');
    expect(rows).toEqual([
      { row: 1, result: { ok: false, login: 'x.y', errors: ['field "lastname": the value contains a line break, which a Coupa user field cannot hold'] } },
      { row: 2, result: { ok: true, record: { row: 2, login: 'z.z', fields: { lastname: 'Zed' } } } },
    ]);
  });

  it('numbers rows 1..N without gaps: blank, all-empty-cell and whitespace lines are skipped and not counted', async () => {
    // Prepare: padding before the header too
    const csv = ',,\nlogin,email,firstname\na.a,a@example.com,A\n\n,,\n  , ,\nb.b,b@example.com,B\n"",,""\nc.c,c@example.com,C\n,,\n';
    // Act
    const rows = await readAll(csv);
    // Assess
    expect(rows.map((r) => [r.row, r.result.ok && r.result.record.login])).toEqual([[1, 'a.a'], [2, 'b.b'], [3, 'c.c']]);
  });

  it('reads a file split into arbitrary chunks the same as a whole one (real stream)', async () => {
    const csv = 'login,email\n' + Array.from({ length: 500 }, (_, i) => `user.${i},u${i}@example.com`).join('\n');
    const bytes = Buffer.from(csv);
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const rows = await readAll(Readable.from(chunks));
    expect(rows).toHaveLength(500);
    expect(rows[499].result).toMatchObject({ ok: true, record: { row: 500, login: 'user.499' } });
  });

  it('rejects bad rows naming the field, and keeps reading the rest', async () => {
    const csv = 'login,email,active,firstname,action\n' +
      ',x@example.com,true,,\n' +
      'ok.user,ok@example.com,true,,\n' +
      'bad.user,not-mail,maybe,' + 'N'.repeat(41) + ',explode\n';
    const rows = await readAll(csv);
    expect(rows[0].result).toEqual({ ok: false, login: '', errors: ['field "login": required (the Coupa login is the match key)'] });
    expect(rows[1].result.ok).toBe(true);
    expect(rows[2].result).toEqual({
      ok: false,
      login: 'bad.user',
      errors: [
        'field "email": the value is not an e-mail address',
        'field "active": "maybe" is not true or false',
        'field "firstname": 41 characters, Coupa allows at most 40',
        'field "action": "explode" is not one of create, update, deactivate',
      ],
    });
  });

  it('rejects a row with more cells than the header, and skips blank spreadsheet padding', async () => {
    const rows = await readAll('login,email\na.b,a@example.com,surplus\n,\nc.d,c@example.com\n');
    expect(rows.map((r) => [r.row, r.result.ok])).toEqual([[1, false], [2, true]]);
    expect(rows[0].result).toMatchObject({ errors: ['row has 3 cells but the header has 2 columns'] });
  });

  it('checks action-specific rules: create needs names and email, deactivate cannot be active', async () => {
    const rows = await readAll('login,email,active,action\nn.ew,,,create\nl.eft,,true,deactivate\n');
    expect(rows[0].result).toMatchObject({ ok: false, errors: ['action "create" needs "email", "firstname", "lastname"'] });
    expect(rows[1].result).toMatchObject({ ok: false, errors: ['field "active": true contradicts action "deactivate"'] });
  });

  it.each([
    ['', 'the file is empty (no header row)'],
    ['email,firstname\nx@example.com,X\n', 'the header has no "login" column'],
    ['login,Work Email\n', 'unknown column(s) "work email"'],
    ['login,email,EMAIL\n', 'column "email" appears twice'],
    ['login,email\n"unterminated,x\n', 'cannot read the file as CSV: data row 1 (starting on line 2 of the file) opens a quoted cell that is never closed'],
    ['login,email\n\na.b,a@example.com\n,,\n\nc.d,"c@example.com\nmore\n', 'cannot read the file as CSV: data row 2 (starting on line 6 of the file) opens a quoted cell that is never closed'],
    ['login,email\na.b,"a@example.com"x\n', 'data row 1 (starting on line 2 of the file) has a quoted cell with text after its closing quote'],
    ['login,email\na.b,a@example.com\nc.d,c"d@example.com\n', 'data row 2 (starting on line 3 of the file) has a quote inside a cell that is not quoted'],
    ['"login,email\n', 'the header row (line 1 of the file) opens a quoted cell that is never closed'],
    ['john.doe,john@example.com,John\n', 'the first row is not a header of Coupa user element names'],
    ['login,emai\uFFFDl\n', 'the header row is not valid UTF-8'],
  ])('fails the whole file with a message naming it: %j', async (csv, message) => {
    const error = await readAll(csv).catch((e) => e);
    expect(error).toBeInstanceOf(HrFileError);
    expect(error.message).toContain('hr.csv: ');
    expect(error.message).toContain(message);
  });

  it('never quotes cell content in file errors (it may be personal data)', async () => {
    for (const csv of [
      'login,email\nsecret.login,"secret@example.com"secret\n',
      'login,email\nsecret.login,sec"ret@example.com\n',
      'login,email\nsecret.login,"secret@example.com\n',
      'secret.login,secret@example.com,Secret\n',
    ]) {
      const error = await readAll(csv).catch((e) => e);
      expect(error).toBeInstanceOf(HrFileError);
      expect(error.message).not.toMatch(/secret/i);
    }
  });

  it('names the field but never quotes a personal value in row errors; short enumeration values are quoted', async () => {
    // Prepare
    const csv = 'login,email,active,authentication-method,default-currency\n' +
      'p.erson,jane.secret@,jane.secret@example.com,Jane Secret,eur\n';
    // Act
    const [row] = await readAll(csv);
    // Assess
    expect(row.result).toEqual({
      ok: false,
      login: 'p.erson',
      errors: [
        'field "email": the value is not an e-mail address',
        'field "active": the value is not true or false',
        'field "authentication-method": the value is not one of coupa_credentials, ldap, saml (case-sensitive)',
        'field "default-currency": "eur" is not a 3-letter ISO currency code',
      ],
    });
  });

  it('refuses a Latin-1 file read as auto, saying which encoding to set (hr.encoding: auto)', async () => {
    // Prepare: "Zoë" in Latin-1 (0xEB is not valid UTF-8)
    const csv = Buffer.concat([Buffer.from('login,firstname,lastname\nz.one,Zo'), Buffer.from([0xeb]), Buffer.from(',One\nok.user,Ok,User\n')]);
    // Act
    const error = await readAll(Readable.from([csv])).catch((e) => e);
    // Assess
    expect(error).toBeInstanceOf(HrFileError);
    expect(error.message).toContain('hr.csv: the file is not UTF-8 text');
    expect(error.message).toContain('set hr.encoding to "windows-1252"');
  });

  it('rejects a cell that is not valid UTF-8 past the sniffed start of the file, naming row and field, not the value', async () => {
    // Prepare: 90 KB of valid rows, then "Zoë" in Latin-1
    const valid = Array.from({ length: 4000 }, (_, i) => `user.${i},First,Last\n`).join('');
    const csv = Buffer.concat([Buffer.from(`login,firstname,lastname\n${valid}z.one,Zo`), Buffer.from([0xeb]), Buffer.from(',One\nok.user,Ok,User\n')]);
    // Act
    const rows = await readAll(Readable.from([csv]));
    // Assess
    expect(rows.slice(-2)).toEqual([
      { row: 4001, result: { ok: false, login: 'z.one', errors: ['field "firstname": the value is not valid UTF-8 (save the file as UTF-8)'] } },
      { row: 4002, result: { ok: true, record: { row: 4002, login: 'ok.user', fields: { firstname: 'Ok', lastname: 'User' } } } },
    ]);
  });

  it('does not mistake multi-byte characters split across stream chunks for invalid UTF-8', async () => {
    // Prepare: one byte per chunk
    const bytes = Buffer.from('\uFEFFlogin,firstname,lastname\nz.one,Zoë 山田,Ñandú 😀\n');
    // Act
    const rows = await readAll(Readable.from(Array.from(bytes, (b) => Buffer.from([b]))));
    // Assess
    expect(rows[0].result).toEqual({ ok: true, record: { row: 1, login: 'z.one', fields: { firstname: 'Zoë 山田', lastname: 'Ñandú 😀' } } });
  });

  it('rejects ASCII control characters other than tab, naming the field', async () => {
    const rows = await readAll('login,lastname,middlename\na.b,Do\u0007e,\nc.d,ok,Mid\u0000x\ne.f,Tab\tOk,\n');
    expect(rows.map((r) => r.result)).toEqual([
      { ok: false, login: 'a.b', errors: ['field "lastname": the value contains the control character U+0007'] },
      { ok: false, login: 'c.d', errors: ['field "middlename": the value contains the control character U+0000'] },
      { ok: true, record: { row: 3, login: 'e.f', fields: { lastname: 'Tab\tOk' } } },
    ]);
  });

  it('allows a column without a header name only while its cells are empty', async () => {
    const rows = await readAll('login,,email, \na.b,,a@example.com,\nc.d,note,c@example.com,x\n');
    expect(rows.map((r) => r.result)).toEqual([
      { ok: true, record: { row: 1, login: 'a.b', fields: { email: 'a@example.com' } } },
      {
        ok: false,
        login: 'c.d',
        errors: ['cell 2 has a value but its column has no header name', 'cell 4 has a value but its column has no header name'],
      },
    ]);
  });

  it('maps other header names through a header map (ready for Workday-style exports)', async () => {
    const rows = await readAll('Employee Login,Work Email\nw.d,w@example.com\n', { 'employee login': 'login', 'Work Email': 'email' });
    expect(rows[0].result).toEqual({ ok: true, record: { row: 1, login: 'w.d', fields: { email: 'w@example.com' } } });
  });

  it('surfaces a failing source stream as a file error instead of hanging', async () => {
    const broken = new Readable({ read() { this.destroy(new Error('connection reset by S3')); } });
    const error = await readAll(broken).catch((e) => e);
    expect(error).toBeInstanceOf(HrFileError);
    expect(error.message).toContain('connection reset by S3');
  });
});
