/** Files as they come: encodings, delimiters, files that are no CSV at all, and the input limits (config hr). */
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import { HrFileError, readHrFile, type HrRow } from '../../lambdas/core/hr/read-hr-file';

async function read(bytes: Buffer, hr: Record<string, unknown> = {}): Promise<HrRow[]> {
  const rows: HrRow[] = [];
  // Small chunks, as a network stream delivers them.
  const chunks = Array.from({ length: Math.ceil(bytes.length / 1000) }, (_, i) => bytes.subarray(i * 1000, i * 1000 + 1000));
  for await (const row of readHrFile(Readable.from(chunks), { file: 'export.csv', hr: parseConfig({ hr }).hr })) rows.push(row);
  return rows;
}
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as Error);
const NAMES = 'login,firstname,lastname\nm.mueller,Jürgen,Müller\nj.jose,José,Núñez\n';
const EXPECTED_NAMES = [
  { firstname: 'Jürgen', lastname: 'Müller' },
  { firstname: 'José', lastname: 'Núñez' },
];
const fieldsOf = (rows: HrRow[]) => rows.map((r) => (r.result.ok ? r.result.record.fields : r.result.errors));

describe('encodings', () => {
  it.each([
    ['UTF-8 without BOM', 'auto', Buffer.from(NAMES, 'utf8')],
    ['UTF-8 with BOM', 'auto', Buffer.from(`\uFEFF${NAMES}`, 'utf8')],
    ['UTF-16LE with BOM', 'auto', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(NAMES, 'utf16le')])],
    ['UTF-16BE with BOM', 'auto', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(NAMES, 'utf16le').swap16()])],
    ['windows-1252, set', 'windows-1252', Buffer.from(NAMES, 'latin1')],
    ['iso-8859-1, set', 'iso-8859-1', Buffer.from(NAMES, 'latin1')],
    ['utf-16le without BOM, set', 'utf-16le', Buffer.from(NAMES, 'utf16le')],
    // A BOM decides whatever hr.encoding says: the first header is "login", not "ï»¿login".
    ['UTF-8 with BOM, windows-1252 set', 'windows-1252', Buffer.from(`\uFEFF${NAMES}`, 'utf8')],
    ['UTF-16LE with BOM, utf-8 set', 'utf-8', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(NAMES, 'utf16le')])],
  ])('%s: Müller and José arrive intact', async (_label, encoding, bytes) => {
    // Act
    const rows = await read(bytes, { encoding });
    // Assess
    expect(fieldsOf(rows)).toEqual(EXPECTED_NAMES);
  });

  it('reads the euro sign and curly quotes of Windows-1252 (bytes 0x80–0x9F)', async () => {
    // Prepare
    const bytes = Buffer.concat([Buffer.from('login,lastname\na.one,'), Buffer.from([0x93, 0x80, 0x94]), Buffer.from('\n')]);
    // Act
    const rows = await read(bytes, { encoding: 'windows-1252' });
    // Assess
    expect(fieldsOf(rows)).toEqual([{ lastname: '\u201C€\u201D' }]);
  });

  it('refuses a Windows-1252 file read as auto, saying which encoding to set', async () => {
    // Act
    const error = await failure(read(Buffer.from(NAMES, 'latin1')));
    // Assess
    expect(error).toBeInstanceOf(HrFileError);
    expect(error?.message).toMatch(/^export\.csv: the file is not UTF-8 text .* set hr\.encoding to "windows-1252"/);
  });

  it('refuses UTF-16 without a BOM read as auto, saying which encoding to set', async () => {
    // Act
    const error = await failure(read(Buffer.from(NAMES, 'utf16le')));
    // Assess
    expect(error?.message).toBe('export.csv: the file looks like UTF-16LE text without a byte order mark: set hr.encoding to "utf-16le" in the config');
  });
});

describe('files that are no CSV text', () => {
  it.each([
    ['an XLSX saved as .csv', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('[Content_Types].xml')]), 'the file is a ZIP archive, which is what an Excel workbook (.xlsx) or an OpenDocument sheet (.ods) is, not a CSV text file'],
    ['an XLS', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0]), 'the file is an Excel 97-2003 workbook (.xls), not a CSV text file'],
    ['a gzip file', gzipSync(Buffer.from(NAMES)), 'the file is gzip-compressed (decompress it, or export it uncompressed), not a CSV text file'],
    ['a binary file', Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0 : 65 + (i % 26)))), 'the file is binary (it holds NUL bytes), not a CSV text file'],
  ])('refuses %s saying what it is and how to export CSV', async (_label, bytes, message) => {
    // Act
    const error = await failure(read(bytes));
    // Assess
    expect(error).toBeInstanceOf(HrFileError);
    expect(error?.message).toBe(`export.csv: ${message}: export or save it as CSV (UTF-8) from the HR system or spreadsheet, and drop that file`);
  });
});

describe('delimiters', () => {
  it.each([
    ['comma', ','],
    ['semicolon', ';'],
    ['tab', '\t'],
  ])('recognises a %s file from its header line', async (_label, d) => {
    // Prepare: quoted cells holding the other delimiters must not confuse the sniff
    const csv = ['login', 'lastname', 'firstname'].join(d) + '\n' + ['a.one', '"Smith, Jr; III"', 'Al'].join(d) + '\n';
    // Act
    const rows = await read(Buffer.from(csv));
    // Assess
    expect(fieldsOf(rows)).toEqual([{ lastname: 'Smith, Jr; III', firstname: 'Al' }]);
  });

  it('uses a configured delimiter over the sniff', async () => {
    // Act
    const rows = await read(Buffer.from('login|lastname\na.one|Semi;Colon\n'), { delimiter: '|' });
    // Assess
    expect(fieldsOf(rows)).toEqual([{ lastname: 'Semi;Colon' }]);
  });

  it('reads a European export: semicolons and Windows-1252 with a mapping', async () => {
    // Prepare
    const csv = 'Personalnummer;Vorname;Nachname;E-Mail\nP1;Jürgen;Müller;j.mueller@example.com\n';
    const fields = { login: { from: 'E-Mail' }, 'employee-number': { from: 'Personalnummer' }, firstname: { from: 'Vorname' }, lastname: { from: 'Nachname' } };
    // Act
    const rows = await read(Buffer.from(csv, 'latin1'), { encoding: 'windows-1252', fields });
    // Assess
    expect(fieldsOf(rows)).toEqual([{ 'employee-number': 'P1', firstname: 'Jürgen', lastname: 'Müller' }]);
  });
});

describe('input limits (hr.limits)', () => {
  it('stops a file larger than maxFileBytes, having handed on the rows before', async () => {
    // Prepare
    const csv = 'login,lastname\n' + Array.from({ length: 2000 }, (_, i) => `user.${i},Last\n`).join('');
    const rows: HrRow[] = [];
    // Act
    const error = await failure(
      (async () => {
        for await (const row of readHrFile(Readable.from([Buffer.from(csv).subarray(0, 70_000), Buffer.from(csv).subarray(70_000)]), {
          file: 'export.csv',
          hr: { limits: { maxFileBytes: 20_000 } },
        })) rows.push(row);
      })(),
    );
    // Assess: the first 64 KB are sniffed in one piece, so the limit is met there
    expect(error?.message).toBe('export.csv: the file is larger than hr.limits.maxFileBytes (20000 bytes); it was not read further');
  });

  it('stops at an unclosed quote once a record passes maxRecordBytes, naming the row and line, not the content', async () => {
    // Prepare: 2 MB after an opening quote that is never closed
    const csv = Buffer.from(`login,lastname\na.one,Ok\nb.two,"secret ${'x'.repeat(2_000_000)}\n`);
    // Act
    const rows: HrRow[] = [];
    const error = await failure(
      (async () => {
        for await (const row of readHrFile(Readable.from([csv]), { file: 'export.csv', hr: { limits: { maxRecordBytes: 65536 } } })) rows.push(row);
      })(),
    );
    // Assess
    expect(rows).toHaveLength(1);
    expect(error?.message).toBe(
      'export.csv: cannot read the file as CSV: data row 2 (starting on line 3 of the file) is longer than hr.limits.maxRecordBytes (65536 bytes): ' +
        'a quoted cell that is never closed, or a row that is no HR record',
    );
  });

  it('rejects a cell longer than maxFieldChars, naming its column, and a login longer than Coupa\'s 255', async () => {
    // Act
    const rows = await read(Buffer.from(`login,note\na.one,${'n'.repeat(300)}\n${'l'.repeat(300)},\n`), { unknownColumns: 'ignore', limits: { maxFieldChars: 200 } });
    // Assess
    expect(rows.map((r) => r.result)).toEqual([
      { ok: false, login: 'a.one', errors: ['column "note": 300 characters, more than hr.limits.maxFieldChars (200)'] },
      { ok: false, login: '', errors: ['column "login": 300 characters, more than hr.limits.maxFieldChars (200)', 'field "login": 300 characters, Coupa allows at most 255'] },
    ]);
  });

  it('refuses a header wider than maxColumns with a short message', async () => {
    // Prepare: 5,000 columns (a 300,000-column header is longer than maxRecordBytes already)
    const header = Array.from({ length: 5000 }, (_, i) => `c${i}`).join(',');
    // Act
    const error = await failure(read(Buffer.from(`${header}\n`)));
    // Assess
    expect(error?.message).toBe('export.csv: the header has 5000 columns, more than hr.limits.maxColumns (1000)');
  });

  it('keeps header messages short: a few unknown names, then "and N more"', async () => {
    // Prepare
    const header = ['login', ...Array.from({ length: 900 }, (_, i) => `unknown-${i}`)].join(',');
    // Act
    const error = await failure(read(Buffer.from(`${header}\n`)));
    // Assess
    expect(error?.message).toMatch(/^export\.csv: unknown column\(s\) "unknown-0", "unknown-1", "unknown-2", "unknown-3", "unknown-4" and 895 more in the header/);
    expect(error!.message.length).toBeLessThan(600);
  });

  it('rejects a list with more names than maxListItems, and caps a row\'s problems at ten', async () => {
    // Prepare
    const header = ['login', 'roles', ...Array.from({ length: 12 }, (_, i) => `purchasing-user,expense-user,sourcing-user,inventory-user,contracts-user,analytics-user,aic-user,spend-guard-user,ccw-user,clm-advanced-user,supply-chain-user,risk-assess-user`.split(',')[i])];
    const csv = `${header.join(',')}\na.one,"${Array.from({ length: 5 }, (_, i) => `R${i}`).join(',')}",${Array(12).fill('maybe').join(',')}\n`;
    const rows: HrRow[] = [];
    // Act
    for await (const row of readHrFile(Readable.from([Buffer.from(csv)]), { file: 'export.csv', ownedCollections: ['roles'], hr: { limits: { maxListItems: 3 } } })) rows.push(row);
    // Assess
    const result = rows[0].result as { errors: string[] };
    expect(result.errors).toHaveLength(11);
    expect(result.errors[0]).toBe('field "roles": 5 names, more than hr.limits.maxListItems (3)');
    expect(result.errors[10]).toBe('… and 3 more problems in this row');
  });
});
