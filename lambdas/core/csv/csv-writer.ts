/**
 * Writes user-import CSV the way Coupa's flat-file loader documents it: RFC 4180, comma, EVERY
 * field double-quoted (empty ones too), embedded quotes doubled, UTF-8 without a BOM.
 * Records end with CRLF: RFC 4180's line break (Coupa accepts LF too); newlines inside a value
 * stay as they are, inside quotes.
 *
 * Formula injection (OWASP "CSV injection"): admins download these files from /data_sources and
 * open them in spreadsheets, so a cell starting with = + - @ TAB or CR gets a leading `'`.
 * Trade-off: that `'` reaches Coupa as part of the value. That is acceptable for names and
 * codes (a name really starting with `-` gains a visible apostrophe; a bad code is refused by
 * Coupa), but NOT for match keys (Login, Email, Employee Number, Sso Identifier, Approver Login):
 * an altered key would create or change the wrong user. Rows whose match keys start like a
 * formula are therefore rejected before they reach this writer (user-import-row.ts), with a
 * message pointing at the API channel, which has no such risk.
 * A signed number or phone number ("+1 415-555-0100", "-5", Coupa's own "+aa xxx-yyy-zzzz" phone
 * format) is left alone: digits and phone punctuation cannot call a function or reach a DDE server.
 */
import { stringify } from 'csv-stringify/sync';

/** First characters a spreadsheet treats as the start of a formula (OWASP list). */
export const FORMULA_TRIGGERS: readonly string[] = ['=', '+', '-', '@', '\t', '\r'];

/** A leading + or - before digits and phone punctuation only (an optional " x123" extension): inert. */
const SIGNED_NUMBER = /^[+-][0-9 ()./-]*[0-9)](\s*x\s*[0-9]+)?$/i;

export function startsLikeFormula(value: string): boolean {
  return value.length > 0 && FORMULA_TRIGGERS.includes(value[0]) && !SIGNED_NUMBER.test(value);
}

/** Prefixes `'` to a formula-like cell so spreadsheets show it as text. */
export function neutralizeFormula(value: string): string {
  return startsLikeFormula(value) ? `'${value}` : value;
}

const CSV_OPTIONS = {
  quoted: true,
  quoted_empty: true,
  record_delimiter: 'windows',
  bom: false,
  eof: true,
} as const;

/**
 * The header line, quoted like every other line (header names are never neutralised).
 * A file is `csvHeaderLine(header) + rows.map(csvDataLine).join('')`, encoded as UTF-8 without
 * BOM (file-splitter.ts assembles files this way, measuring each line's bytes as it goes).
 */
export function csvHeaderLine(header: string[]): string {
  return stringify([header], CSV_OPTIONS);
}

/**
 * Coupa's clear marker (`User Role Names` = `--NULL--` removes every role) starts with `-` but is a
 * fixed text, not a formula a spreadsheet could run anything with; a `'` would make it a role name.
 */
const LOADER_NULL_MARKER = '--NULL--';

/** One data line (with its CRLF); every cell but the exact `--NULL--` marker is formula-neutralised. */
export function csvDataLine(cells: string[]): string {
  return stringify([cells.map((c) => (c === LOADER_NULL_MARKER ? c : neutralizeFormula(c)))], CSV_OPTIONS);
}
