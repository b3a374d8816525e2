/**
 * Stream-reads an HR file row by row, so a million-row file never sits in memory: bytes are sniffed
 * and decoded (decode.ts: ZIP/XLSX, gzip and binary files refused; UTF-8, UTF-16, Windows-1252), the
 * delimiter is found in the header line (`,` `;` tab), csv-parse splits records (csv-records.ts),
 * the header is bound to the mapping (mapping.ts) and every data row is validated (validate-row.ts).
 * Yields every data row, valid or not, with its 1-based data row number; problems with the file as
 * a whole raise HrFileError. Every input is bounded (config hr.limits): file bytes, record bytes,
 * cell characters, header columns, names per list.
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
import { CsvError } from 'csv-parse';
import type { CollectionField } from '../model';
import type { HeaderMap } from './columns';
import { CsvRecords } from './csv-records';
import { FileBytesError, decodeHrBytes } from './decode';
import { DEFAULT_CLEAR_TOKEN, type HrConfig } from './hr-config';
import { HeaderProblem, headerMapper, type RowMapper } from './mapping';
import { sniffDelimiter } from './sniff';
import { cellCharacterProblem, validateRow, type RowRules, type RowValidation } from './validate-row';

/** Longest whole-file message: it goes to SNS (256 KB), logs and a terminal, and must stay readable. */
const MAX_FILE_MESSAGE = 2000;
/** Most problems listed for one row; the rest are counted. */
const MAX_ROW_ERRORS = 10;

export class HrFileError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail.length > MAX_FILE_MESSAGE ? `${detail.slice(0, MAX_FILE_MESSAGE)}… (message cut)` : detail}`);
    this.name = 'HrFileError';
  }
}

/** A row an hr.rows.skip rule leaves out: not validated, reported `skipped` naming the rule. */
export interface RowSkipped {
  ok: false;
  skipped: string;
  /** The row's login cell when it has one (the person is listed: never an absentee). */
  login: string;
  errors: [];
}

export interface HrRow {
  row: number;
  result: RowValidation | RowSkipped;
}

/** The reader's share of config hr (the parsed section; absent parts take their defaults). */
export type HrReadConfig = Partial<Omit<HrConfig, 'limits'>> & { limits?: Partial<HrConfig['limits']> };

export interface ReadOptions {
  /** Name used in every message (the S3 key or local path). */
  file: string;
  /** Config hr: encoding, delimiter, field mapping, clear token, input limits. */
  hr?: HrReadConfig;
  /** Renames of canonical headers (no hr.fields): HR name → Coupa element name. */
  headerMap?: HeaderMap;
  /**
   * Collections HR owns (config coupa.ownedCollections). A file with a `roles` or `content-groups`
   * column not listed here is refused: Coupa replaces the whole set, so owning one is a config decision.
   */
  ownedCollections?: readonly CollectionField[];
}

const LIMITS = { maxFileBytes: 512 * 1024 * 1024, maxRecordBytes: 64 * 1024, maxFieldChars: 8 * 1024, maxColumns: 1000, maxListItems: 100 };

const isBlank = (values: string[]): boolean => values.every((v) => v.trim() === '');

/** How far the parser got, counted as records are parsed (so an error can name the row it is in). */
interface ParsePosition {
  headerSeen: boolean;
  /** Non-blank data records parsed so far. */
  dataRows: number;
  /** File line on which the last record (blank or not) ended, and the empty lines skipped by then. */
  lastLine: number;
  lastEmptyLines: number;
}

/** Our words for a csv-parse error: where the broken record starts, what is wrong; never a cell's content. */
function describeParseError(err: CsvError, at: ParsePosition, maxRecordBytes: number): string {
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
    case 'CSV_MAX_RECORD_SIZE':
      return `${where} is longer than hr.limits.maxRecordBytes (${maxRecordBytes} bytes): a quoted cell that is never closed, or a row that is no HR record`;
    default:
      return `${where} is not valid CSV (${err.code})`;
  }
}

/** Caps a row's problems: one broken row must not make a message no channel can carry. */
function capped(errors: string[]): string[] {
  return errors.length <= MAX_ROW_ERRORS ? errors : [...errors.slice(0, MAX_ROW_ERRORS), `… and ${errors.length - MAX_ROW_ERRORS} more problems in this row`];
}

/** A row's mapped cells, validated; mapping problems come first, then the fields'. */
function checkRow(mapper: RowMapper, values: string[], row: number, rules: RowRules): RowValidation | RowSkipped {
  const skipped = mapper.skipRule(values);
  const mapped = mapper.map(values);
  if (skipped !== undefined) {
    const login = (mapped.cells.login ?? '').trim();
    return { ok: false, skipped, login: cellCharacterProblem(login) === undefined ? login : '', errors: [] };
  }
  const result = validateRow(row, mapped.cells, rules);
  if (mapped.errors.length === 0) return result.ok ? result : { ...result, errors: capped(result.errors) };
  const login = result.ok ? result.record.login : result.login;
  return { ok: false, login, errors: capped([...mapped.errors, ...(result.ok ? [] : result.errors)]) };
}

export async function* readHrFile(input: Readable, options: ReadOptions): AsyncGenerator<HrRow> {
  const hr = options.hr ?? {};
  const limits = { ...LIMITS, ...hr.limits };
  const clearToken = hr.clearToken ?? DEFAULT_CLEAR_TOKEN;
  const at: ParsePosition = { headerSeen: false, dataRows: 0, lastLine: 0, lastEmptyLines: 0 };
  const rules: RowRules = { clearToken, maxListItems: limits.maxListItems, managerMatchOn: hr.fields?.manager?.matchOn };
  const fail = (detail: string) => new HrFileError(options.file, detail);
  let mapper: RowMapper | undefined;
  try {
    const text = await decodeHrBytes(input, { encoding: hr.encoding ?? 'auto', maxFileBytes: limits.maxFileBytes });
    const delimiter = !hr.delimiter || hr.delimiter === 'auto' ? sniffDelimiter(text.head) : hr.delimiter;
    const records = new CsvRecords({
      bom: true,
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      relax_quotes: false,
      max_record_size: limits.maxRecordBytes,
    });
    // Rows parsed from one chunk, numbered as the parser hands them over, yielded after it.
    let parsed: HrRow[] = [];
    const take = (values: string[]): void => {
      const position = records.position;
      at.lastLine = position.lines;
      at.lastEmptyLines = position.emptyLines;
      if (isBlank(values)) return; // spreadsheet padding, not an employee: skipped, not counted
      if (!mapper) {
        at.headerSeen = true;
        mapper = headerMapper(values, {
          headerMap: options.headerMap,
          fields: hr.fields,
          unknownColumns: hr.unknownColumns ?? (hr.fields ? 'ignore' : 'reject'),
          ownedCollections: options.ownedCollections,
          clearToken,
          skipRules: hr.rows?.skip,
          delimiter,
          maxColumns: limits.maxColumns,
          maxFieldChars: limits.maxFieldChars,
        });
        return;
      }
      at.dataRows += 1;
      parsed.push({ row: at.dataRows, result: checkRow(mapper, values, at.dataRows, rules) });
    };
    // Rows of a chunk are handed on before the next chunk is read (memory stays one chunk deep), and
    // before an error in that chunk surfaces: the rows read before a break are all handed on.
    const parseAndHandOn = function* (step: () => void): Generator<HrRow> {
      let broken: unknown;
      try {
        step();
      } catch (err) {
        broken = err;
      }
      const ready = parsed;
      parsed = [];
      yield* ready;
      if (broken !== undefined) throw broken;
    };
    for await (const chunk of text.chunks) yield* parseAndHandOn(() => records.write(chunk, take));
    yield* parseAndHandOn(() => records.end(take));
  } catch (err) {
    if (err instanceof HrFileError) throw err;
    if (err instanceof HeaderProblem || err instanceof FileBytesError) throw fail(err.message);
    if (err instanceof CsvError) throw fail(`cannot read the file as CSV: ${describeParseError(err, at, limits.maxRecordBytes)}`);
    throw fail(`cannot read the file: ${(err as Error).message}`);
  }
  if (!mapper) throw fail('the file is empty (no header row)');
}
