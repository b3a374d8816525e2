/**
 * Stream-reads an HR file (CSV, RFC 4180, UTF-8 with or without BOM, LF or CRLF) row by row,
 * so a million-row file never sits in memory. Yields every data row, valid or not, with its
 * 1-based data row number; problems with the file as a whole raise HrFileError.
 */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { KEY_COLUMN, KNOWN_COLUMNS, canonicalColumn, isKnownColumn, type HeaderMap } from './columns';
import { validateRow, type RowValidation } from './validate-row';

export class HrFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'HrFileError';
  }
}

export interface HrRow {
  row: number;
  result: RowValidation;
}

export interface ReadOptions {
  /** Name used in every message (the S3 key or local path). */
  file: string;
  headerMap?: HeaderMap;
}

/** Checks the header and returns the canonical column name for each position ('' = ignored). */
export function readHeader(rawHeader: string[], options: ReadOptions): string[] {
  const columns = rawHeader.map((h) => (h.trim() === '' ? '' : canonicalColumn(h, options.headerMap)));
  const unknown = columns.filter((c) => c !== '' && !isKnownColumn(c));
  if (unknown.length > 0) {
    throw new HrFileError(
      options.file,
      `unknown column(s) ${unknown.map((c) => `"${c}"`).join(', ')} in the header; ` +
        `expected Coupa user element names: ${KNOWN_COLUMNS.join(', ')}`,
    );
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (c !== '' && seen.has(c)) throw new HrFileError(options.file, `column "${c}" appears twice in the header`);
    seen.add(c);
  }
  if (!seen.has(KEY_COLUMN)) {
    throw new HrFileError(options.file, `the header has no "login" column (the match key); header was: ${rawHeader.join(',')}`);
  }
  return columns;
}

/** Pairs a row's cells with the header; a row with extra non-empty cells is rejected, not guessed at. */
function checkRow(columns: string[], values: string[], row: number): RowValidation {
  if (values.length > columns.length && values.slice(columns.length).some((v) => v.trim() !== '')) {
    const login = values[columns.indexOf(KEY_COLUMN)]?.trim() ?? '';
    return { ok: false, login, errors: [`row has ${values.length} cells but the header has ${columns.length} columns`] };
  }
  const cells: Record<string, string> = {};
  columns.forEach((column, i) => {
    if (column !== '') cells[column] = values[i] ?? '';
  });
  return validateRow(row, cells);
}

export async function* readHrFile(input: Readable, options: ReadOptions): AsyncGenerator<HrRow> {
  const parser = input.pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, relax_quotes: false }),
  );
  // A read error on the source (S3 reset, missing file) must surface, not hang the parser.
  input.once('error', (err) => parser.destroy(err));
  let columns: string[] | undefined;
  let row = 0;
  try {
    for await (const values of parser as AsyncIterable<string[]>) {
      if (!columns) {
        columns = readHeader(values, options);
        continue;
      }
      row += 1;
      if (values.every((v) => v.trim() === '')) continue; // spreadsheet padding, not an employee
      yield { row, result: checkRow(columns, values, row) };
    }
  } catch (err) {
    if (err instanceof HrFileError) throw err;
    const e = err as Error & { lines?: number };
    const where = e.lines ? ` near line ${e.lines}` : '';
    throw new HrFileError(options.file, `cannot read the file as CSV${where} (after data row ${row}): ${e.message}`);
  }
  if (!columns) throw new HrFileError(options.file, 'the file is empty (no header row)');
}
