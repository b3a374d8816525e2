/**
 * One HR record → the cells of one user-import row, or the reason it cannot go by CSV.
 *
 * Only the columns the record owns get a cell: Coupa's loader leaves absent columns unchanged,
 * whereas what an EMPTY cell does is UNCERTAIN (it may blank the field). So a row never carries
 * a cell it does not own, and rows with different column sets go to different files
 * (file-splitter.ts). A field HR clears (the clear token: null in the record) is written as the
 * loader's `--NULL--`, and `--NULL--` in `Approver Login` removes the manager. A deactivation
 * carries Login and Status only (the deactivate playbook: other fields of a leaver are not worth a
 * failed row). Custom fields follow the fixed columns, each headed by its name.
 *
 * Collections (roles → `User Role Names`, content-groups → `Content Groups`, user-groups → `Groups`,
 * approval-groups / account-groups → `Approval Group Names` / `Account Group Names`) are written only
 * when the record carries them, i.e. HR owns them (config coupa.ownedCollections; others are dropped
 * here too): the names comma-separated, as the loader documents. Coupa replaces the whole set. An
 * empty role list is written as `--NULL--` (Coupa's documented way to remove every role); the other
 * collections have no documented marker, so a row emptying one is rejected.
 */
import {
  CREATE_ONLY_FIELDS,
  CUSTOM_FIELDS,
  LICENCE_FIELDS,
  REQUIRED_TO_CREATE,
  deactivates,
  isCollectionField,
  type CollectionField,
  type HrRecord,
  type LicenceField,
  type PlannedChange,
} from '../model';
import { startsLikeFormula } from './csv-writer';
import {
  DEFAULT_HEADER_NAMES,
  IMPORT_COLUMNS,
  MATCH_KEY_COLUMNS,
  CSV_NULL,
  csvBoolean,
  csvStatus,
  customFieldColumn,
  headerNameOf,
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

const BOOLEAN_COLUMNS: readonly string[] = [...LICENCE_FIELDS, ...CREATE_ONLY_FIELDS];
const isBooleanColumn = (column: ImportColumn): column is LicenceField | (typeof CREATE_ONLY_FIELDS)[number] =>
  BOOLEAN_COLUMNS.includes(column);

/** A string field's cell: its value, or `--NULL--` when HR clears it. */
const textCell = (value: string | null | undefined): string | undefined => (value === null ? CSV_NULL : value);

function cellFor(record: HrRecord, column: ImportColumn): string | undefined {
  if (column === 'login') return record.login;
  if (column === 'active') {
    if (deactivates(record)) return csvStatus(false);
    return record.fields.active === true ? csvStatus(true) : undefined;
  }
  if (isBooleanColumn(column)) {
    const value = record.fields[column];
    return value === undefined ? undefined : csvBoolean(value);
  }
  if (isCollectionField(column)) {
    const names = record.fields[column];
    if (names === undefined) return undefined;
    return names.length === 0 && column === 'roles' ? CSV_NULL : names.join(',');
  }
  if (column.startsWith(`${CUSTOM_FIELDS}.`)) return textCell(record.fields[CUSTOM_FIELDS]?.[column.slice(CUSTOM_FIELDS.length + 1)]);
  return textCell(record.fields[column as Exclude<ImportColumn, `${typeof CUSTOM_FIELDS}.${string}`> as 'email']);
}

/** The record's columns in file order: the fixed ones, then its custom fields by name. */
function columnsOf(record: HrRecord): ImportColumn[] {
  return [...IMPORT_COLUMNS, ...Object.keys(record.fields[CUSTOM_FIELDS] ?? {}).sort().map(customFieldColumn)];
}

/** Why a collection cannot go in its loader column, or undefined. */
function collectionProblem(column: CollectionField, names: readonly string[]): string | undefined {
  const header = DEFAULT_HEADER_NAMES[column];
  if (names.length === 0) {
    return column === 'roles'
      ? undefined
      : `an empty ${column} list cannot be sent by CSV (Coupa documents no way to clear ${header}); remove the groups in Coupa or send this user through the API channel`;
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
  for (const column of columnsOf(record)) {
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
      return { ok: false, error: `${where}: ${headerNameOf(column, DEFAULT_HEADER_NAMES)} contains a line break, which a Coupa user field cannot hold` };
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

/** The change as a user-import row: a create carries the required columns, a deactivation Login + Status. */
export function importRowOf(change: PlannedChange): { ok: true; row: ImportRow } | { ok: false; error: string } {
  if (change.send.login !== undefined) {
    return {
      ok: false,
      error: `login "${change.login}" renames Coupa user ${change.id}, which a user-import file cannot do safely (it would create a new user): send it through the API channel`,
    };
  }
  const record: HrRecord = {
    row: change.rows[0] ?? 0,
    login: change.login,
    ...(change.kind === 'create' ? { action: 'create' as const } : change.kind === 'deactivate' ? { action: 'deactivate' as const } : {}),
    fields: change.send,
  };
  return toImportRow(record);
}
