/**
 * Stream-reads an HR file (CSV, RFC 4180, UTF-8 with or without BOM, LF or CRLF) row by row,
 * so a million-row file never sits in memory. Yields every data row, valid or not, with its
 * 1-based data row number; problems with the file as a whole raise HrFileError.
 *
 * Row numbering: `row` is the n-th NON-BLANK data record after the header. Blank lines and
 * lines whose cells are all empty (`,,,` spreadsheet padding, whitespace) are skipped and NOT
 * counted, so the rows of a file are always 1..N with no gaps (the run reporter waits for
 * exactly rows 1..N). A record with a quoted line break is one row.
 *
 * Messages never quote cell content (it may be personal data): csv-parse's own error texts
 * (which can quote a cell) are replaced by ours, naming the data row and the file line.
 */
import type { Readable } from 'node:stream';
import { CsvError, parse, type Options } from 'csv-parse';
import { COLLECTION_FIELDS, type CollectionField } from '../model';
import { KEY_COLUMN, KNOWN_COLUMNS, canonicalColumn, isKnownColumn, type HeaderMap } from './columns';
import { cellCharacterProblem, validateRow, type RowValidation } from './validate-row';

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
  /**
   * Collections HR owns (config coupa.ownedCollections). A file with a `roles` or `content-groups`
   * column not listed here is refused: Coupa replaces the whole set, so owning one is a config decision.
   */
  ownedCollections?: readonly CollectionField[];
}

/** Checks the header and returns the canonical column name for each position ('' = no header name). */
export function readHeader(rawHeader: string[], options: ReadOptions): string[] {
  if (rawHeader.some((h) => cellCharacterProblem(h.trim()) !== undefined)) {
    throw new HrFileError(
      options.file,
      'the header row is not valid UTF-8 text or contains control characters (save the file as UTF-8 CSV)',
    );
  }
  const columns = rawHeader.map((h) => (h.trim() === '' ? '' : canonicalColumn(h, options.headerMap)));
  const named = columns.filter((c) => c !== '');
  const unknown = named.filter((c) => !isKnownColumn(c));
  if (named.length > 0 && unknown.length === named.length) {
    // Not one known name: most likely a file without a header row, whose first row is an employee.
    // Its cells are not quoted here (personal data).
    throw new HrFileError(
      options.file,
      'the first row is not a header of Coupa user element names: none of its cells is one (does the file lack ' +
        `its header row, or do its names need a header mapping?); expected names such as: ${KNOWN_COLUMNS.join(', ')}`,
    );
  }
  if (unknown.length > 0) {
    throw new HrFileError(
      options.file,
      `unknown column(s) ${unknown.map((c) => JSON.stringify(c)).join(', ')} in the header; ` +
        `expected Coupa user element names: ${KNOWN_COLUMNS.join(', ')}`,
    );
  }
  const seen = new Set<string>();
  for (const c of named) {
    if (seen.has(c)) throw new HrFileError(options.file, `column "${c}" appears twice in the header`);
    seen.add(c);
  }
  const owned = options.ownedCollections ?? [];
  const unowned = COLLECTION_FIELDS.filter((c) => seen.has(c) && !owned.includes(c));
  if (unowned.length > 0) {
    const list = unowned.map((c) => `"${c}"`).join(', ');
    throw new HrFileError(
      options.file,
      `the header has ${list} but coupa.ownedCollections does not list ${unowned.length > 1 ? 'them' : 'it'}: Coupa replaces ` +
        `a user's whole set on every change, so the sync writes ${unowned.join('/')} only when the config says HR owns them. ` +
        `Add ${unowned.map((c) => `"${c}"`).join(' and ')} to coupa.ownedCollections in the config, or remove the column(s) from the file`,
    );
  }
  if (!seen.has(KEY_COLUMN)) {
    throw new HrFileError(options.file, `the header has no "login" column (the match key); header was: ${rawHeader.join(',')}`);
  }
  return columns;
}

/**
 * Pairs a row's cells with the header. A row with extra non-empty cells, or with a value in a
 * column that has no header name, is rejected, not guessed at.
 */
function checkRow(columns: string[], values: string[], row: number): RowValidation {
  const login = values[columns.indexOf(KEY_COLUMN)]?.trim() ?? '';
  if (values.length > columns.length && values.slice(columns.length).some((v) => v.trim() !== '')) {
    return { ok: false, login, errors: [`row has ${values.length} cells but the header has ${columns.length} columns`] };
  }
  const unnamed = columns.flatMap((column, i) => (column === '' && (values[i] ?? '').trim() !== '' ? [i + 1] : []));
  if (unnamed.length > 0) {
    return { ok: false, login, errors: unnamed.map((n) => `cell ${n} has a value but its column has no header name`) };
  }
  const cells: Record<string, string> = {};
  columns.forEach((column, i) => {
    if (column !== '') cells[column] = values[i] ?? '';
  });
  return validateRow(row, cells);
}

/** A record as the parser hands it on: row 0 is the header. */
interface ParsedRecord {
  row: number;
  values: string[];
}

const isBlank = (values: string[]): boolean => values.every((v) => v.trim() === '');

/** How far csv-parse got, updated synchronously as it parses (the consumer may lag behind). */
interface ParsePosition {
  headerSeen: boolean;
  /** Non-blank data records parsed so far. */
  dataRows: number;
  /** File line on which the last record (blank or not) ended, and the empty lines skipped by then. */
  lastLine: number;
  lastEmptyLines: number;
}

/** Our words for a csv-parse error: where the broken record starts, what is wrong; never a cell's content. */
function describeParseError(err: CsvError, at: ParsePosition): string {
  const emptyLines = typeof err.empty_lines === 'number' ? err.empty_lines : at.lastEmptyLines;
  const startLine = at.lastLine + 1 + Math.max(0, emptyLines - at.lastEmptyLines);
  const where = at.headerSeen
    ? `data row ${at.dataRows + 1} (starting on line ${startLine} of the file)`
    : `the header row (line ${startLine} of the file)`;
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `${where} opens a quoted cell that is never closed`;
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return `${where} has a quoted cell with text after its closing quote (write a quote inside a quoted cell as "")`;
    case 'INVALID_OPENING_QUOTE':
      return `${where} has a quote inside a cell that is not quoted (quote the whole cell and write the inner quote as "")`;
    default:
      return `${where} is not valid CSV (${err.code})`;
  }
}

export async function* readHrFile(input: Readable, options: ReadOptions): AsyncGenerator<HrRow> {
  const at: ParsePosition = { headerSeen: false, dataRows: 0, lastLine: 0, lastEmptyLines: 0 };
  const parseOptions: Options<ParsedRecord, string[]> = {
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    relax_quotes: false,
    // Numbering happens here, as records are parsed, so an error can name the row it is in.
    on_record: (values, info) => {
      at.lastLine = info.lines;
      at.lastEmptyLines = info.empty_lines;
      if (isBlank(values)) return null; // spreadsheet padding, not an employee: skipped, not counted
      if (!at.headerSeen) {
        at.headerSeen = true;
        return { row: 0, values };
      }
      at.dataRows += 1;
      return { row: at.dataRows, values };
    },
  };
  // csv-parse types the stream-factory overload for plain string[] records only.
  const parser = input.pipe(parse(parseOptions as unknown as Options));
  // A read error on the source (S3 reset, missing file) must surface, not hang the parser.
  input.once('error', (err) => parser.destroy(err));
  let columns: string[] | undefined;
  try {
    for await (const { row, values } of parser as AsyncIterable<ParsedRecord>) {
      if (row === 0) {
        columns = readHeader(values, options);
        continue;
      }
      yield { row, result: checkRow(columns!, values, row) };
    }
  } catch (err) {
    if (err instanceof HrFileError) throw err;
    if (err instanceof CsvError) throw new HrFileError(options.file, `cannot read the file as CSV: ${describeParseError(err, at)}`);
    throw new HrFileError(options.file, `cannot read the file: ${(err as Error).message}`);
  }
  if (!columns) throw new HrFileError(options.file, 'the file is empty (no header row)');
}
