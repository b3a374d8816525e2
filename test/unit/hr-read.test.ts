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

  it('accepts a UTF-8 BOM, CRLF line ends, quoted commas and newlines', async () => {
    const csv = '\uFEFFlogin,firstname,lastname\r\n"x.y","Zoë, ""Z""","Multi\nLine"\r\n';
    const [row] = await readAll(csv);
    expect(row.result).toEqual({ ok: true, record: { row: 1, login: 'x.y', fields: { firstname: 'Zoë, "Z"', lastname: 'Multi\nLine' } } });
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
        'field "email": "not-mail" is not an e-mail address',
        'field "active": "maybe" is not true or false',
        'field "firstname": 41 characters, Coupa allows at most 40',
        'field "action": "explode" is not one of create, update, deactivate',
      ],
    });
  });

  it('rejects a row with more cells than the header, and skips blank spreadsheet padding', async () => {
    const rows = await readAll('login,email\na.b,a@example.com,surplus\n,\nc.d,c@example.com\n');
    expect(rows.map((r) => [r.row, r.result.ok])).toEqual([[1, false], [3, true]]);
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
    ['login,email\n"unterminated,x\n', 'cannot read the file as CSV'],
  ])('fails the whole file with a message naming it: %j', async (csv, message) => {
    const error = await readAll(csv).catch((e) => e);
    expect(error).toBeInstanceOf(HrFileError);
    expect(error.message).toContain('hr.csv: ');
    expect(error.message).toContain(message);
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
