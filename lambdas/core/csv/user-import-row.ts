/**
 * One HR record → the cells of one user-import row, or the reason it cannot go by CSV.
 *
 * Only the columns the record owns get a cell: Coupa's loader leaves absent columns unchanged,
 * whereas what an EMPTY cell does is UNCERTAIN (it may blank the field). So a row never carries
 * a cell it does not own, and rows with different column sets go to different files
 * (file-splitter.ts). Like the API channel, an empty (null) HR value never blanks a Coupa value,
 * and a deactivation carries Login and Status only (the deactivate playbook: other fields of a
 * leaver are not worth a failed row).
 */
import { LICENCE_FIELDS, REQUIRED_TO_CREATE, deactivates, type HrRecord, type LicenceField } from '../model';
import { startsLikeFormula } from './csv-writer';
import {
  DEFAULT_HEADER_NAMES,
  IMPORT_COLUMNS,
  MATCH_KEY_COLUMNS,
  csvBoolean,
  csvStatus,
  type ImportColumn,
} from './user-import-format';

export interface ImportRow {
  login: string;
  /** The columns this row owns, in file order. */
  columns: ImportColumn[];
  cells: Partial<Record<ImportColumn, string>>;
  /** The row sets Status to inactive. */
  deactivate: boolean;
}

export type ImportRowResult = { ok: true; row: ImportRow } | { ok: false; error: string };

const isLicence = (column: ImportColumn): column is LicenceField =>
  (LICENCE_FIELDS as readonly string[]).includes(column);

function cellFor(record: HrRecord, column: ImportColumn): string | undefined {
  if (column === 'login') return record.login;
  if (column === 'active') {
    if (deactivates(record)) return csvStatus(false);
    return record.fields.active === true ? csvStatus(true) : undefined;
  }
  if (isLicence(column)) {
    const value = record.fields[column];
    return value === undefined ? undefined : csvBoolean(value);
  }
  return record.fields[column] ?? undefined;
}

export function toImportRow(record: HrRecord): ImportRowResult {
  const cells: Partial<Record<ImportColumn, string>> = {};
  const columns: ImportColumn[] = [];
  const deactivate = deactivates(record);
  for (const column of IMPORT_COLUMNS) {
    if (deactivate && column !== 'login' && column !== 'active') continue;
    const cell = cellFor(record, column);
    if (cell === undefined) continue;
    cells[column] = cell;
    columns.push(column);
  }

  const where = `HR row ${record.row} (login ${record.login})`;
  if (record.action === 'create' && !deactivate) {
    // The loader's required columns: Login (always written) and the fields Coupa needs to create a user.
    const missing = REQUIRED_TO_CREATE.filter((c) => !cells[c]?.trim());
    if (missing.length > 0) {
      const required = ['login' as const, ...REQUIRED_TO_CREATE].map((c) => DEFAULT_HEADER_NAMES[c]).join(', ');
      const names = missing.map((c) => DEFAULT_HEADER_NAMES[c]).join(', ');
      return { ok: false, error: `${where}: a new user needs ${required} for Coupa's CSV loader (missing: ${names})` };
    }
  }
  // A line break inside a value would make Coupa's error line numbers (the file's line, header = 1)
  // drift from the data row they belong to; no user field legitimately holds one.
  for (const column of columns) {
    if (/[\r\n]/.test(cells[column] ?? '')) {
      return { ok: false, error: `${where}: ${DEFAULT_HEADER_NAMES[column]} contains a line break, which a Coupa user field cannot hold` };
    }
  }
  for (const column of MATCH_KEY_COLUMNS) {
    const cell = cells[column];
    if (cell !== undefined && startsLikeFormula(cell)) {
      return {
        ok: false,
        error:
          `${where}: ${DEFAULT_HEADER_NAMES[column]} starts with ${JSON.stringify(cell[0])}, which spreadsheets read as a ` +
          'formula; the CSV channel will not alter a match key, send this user through the API channel',
      };
    }
  }
  return { ok: true, row: { login: record.login, columns, cells, deactivate } };
}
