/**
 * One HR record → the cells of one user-import row, or the reason it cannot go by CSV.
 *
 * Only the columns the record owns get a cell: Coupa's loader leaves absent columns unchanged,
 * whereas what an EMPTY cell does is UNCERTAIN (it may blank the field). So a row never carries
 * a cell it does not own, and rows with different column sets go to different files
 * (file-splitter.ts). Like the API channel, an empty (null) HR value never blanks a Coupa value,
 * and a deactivation carries Login and Status only (the deactivate playbook: other fields of a
 * leaver are not worth a failed row).
 *
 * Collections (roles → `User Role Names`, content-groups → `Content Groups`) are written only when
 * the record carries them, i.e. HR owns them (config coupa.ownedCollections; others are dropped
 * here too): the names comma-separated, as the loader documents. Coupa replaces the whole set. An
 * empty role list is written as `--NULL--` (Coupa's documented way to remove every role); an empty
 * content-group list has no documented marker, so that row is rejected.
 */
import {
  LICENCE_FIELDS,
  REQUIRED_TO_CREATE,
  deactivates,
  isCollectionField,
  type CollectionField,
  type HrRecord,
  type LicenceField,
} from '../model';
import { startsLikeFormula } from './csv-writer';
import {
  DEFAULT_HEADER_NAMES,
  IMPORT_COLUMNS,
  MATCH_KEY_COLUMNS,
  CSV_NULL,
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
  if (isCollectionField(column)) {
    const names = record.fields[column];
    if (names === undefined) return undefined;
    return names.length === 0 && column === 'roles' ? CSV_NULL : names.join(',');
  }
  return record.fields[column] ?? undefined;
}

/** Why a collection cannot go in its loader column, or undefined. */
function collectionProblem(column: CollectionField, names: readonly string[]): string | undefined {
  const header = DEFAULT_HEADER_NAMES[column];
  if (names.length === 0) {
    return column === 'roles'
      ? undefined
      : `an empty content-groups list cannot be sent by CSV (Coupa documents no way to clear ${header}); remove the groups in Coupa or send this user through the API channel`;
  }
  if (names.some((n) => n.includes(','))) return `a name in ${header} contains a comma, which the loader reads as a separator`;
  if (names.some((n) => n === CSV_NULL)) return `${header} holds the name ${CSV_NULL}, which the loader reads as "clear"`;
  if (startsLikeFormula(names[0])) {
    return (
      `${header} starts with ${JSON.stringify(names[0][0])}, which spreadsheets read as a formula; the CSV channel ` +
      'will not alter a name Coupa resolves, send this user through the API channel'
    );
  }
  return undefined;
}

export interface ImportRowOptions {
  /** Config coupa.ownedCollections: other collections in a record are never written. Default: as the record says. */
  ownedCollections?: readonly CollectionField[];
}

export function toImportRow(record: HrRecord, options: ImportRowOptions = {}): ImportRowResult {
  const cells: Partial<Record<ImportColumn, string>> = {};
  const columns: ImportColumn[] = [];
  const deactivate = deactivates(record);
  const where = `HR row ${record.row} (login ${record.login})`;
  for (const column of IMPORT_COLUMNS) {
    if (deactivate && column !== 'login' && column !== 'active') continue;
    if (isCollectionField(column)) {
      const names = record.fields[column];
      if (names === undefined || (options.ownedCollections && !options.ownedCollections.includes(column))) continue;
      const problem = collectionProblem(column, names);
      if (problem) return { ok: false, error: `${where}: ${problem}` };
    }
    const cell = cellFor(record, column);
    if (cell === undefined) continue;
    cells[column] = cell;
    columns.push(column);
  }

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
