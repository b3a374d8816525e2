/**
 * The HR file as one entry per login. Logins fold ignoring case, as Coupa compares them; the first
 * spelling is kept. Several rows of one login are never merged silently (docs/mapping.md, "Several
 * rows of one login"):
 *   - a row identical to an earlier one is `skipped` as its duplicate;
 *   - rows that disagree on who the person is (e-mail, employee number, first or last name) are a
 *     conflict: every row of the login is rejected, whatever hr.duplicates says (two people);
 *   - rows that each carry an `action` are a change log: folded in file order, a later value winning;
 *   - rows that set a field to different values follow hr.duplicates: `reject` every row (default),
 *     or apply the `first` or `last` row alone (the others `skipped`, naming it);
 *   - rows that only fill in what the others leave empty fold into one record (with a warning).
 *
 * Each entry keeps its record as compact JSON text (encodeRecord, which holds the login as first
 * spelled and the first row), packed by lower-cased login in a PackedMap and parsed when planned: a
 * million-row roster then takes a fraction of the memory it would as objects. Only a login on
 * several rows keeps more (every row's record text) in a small Map.
 */
import type { DuplicatePolicy } from '../hr/hr-config';
import type { HrRecord } from '../model';
import { packFields, unpackFields } from '../compact-text';
import { PackedMap } from '../packed-map';

/** Fields that say who a row is about: two rows of one login that differ here are not one person. */
export const IDENTITY_FIELDS = ['email', 'employee-number', 'firstname', 'lastname'] as const;

export interface RosterEntry {
  /** The login as first spelled in the file. */
  login: string;
  /** Data rows the record applies to, in file order. */
  rows: number[];
  /** Every data row of this login (valid ones), in file order: all of them are rejected when the entry is. */
  allRows: number[];
  /** The rows folded into one record (row = the first row). */
  record: HrRecord;
  /** Identity fields the rows disagree on (the entry is then rejected, every row of it). */
  conflicts: string[];
  /** Other fields the rows set to different values, with hr.duplicates "reject" (the entry is then rejected). */
  differing: string[];
  /** Rows left out: duplicates of another row, or not the row hr.duplicates chose. */
  skipped: Array<{ row: number; reason: string }>;
  /** Why the record folds several rows (a warning for the report), if it does. */
  foldNote?: string;
}

/** A login on several rows keeps every row's record text (file order). */
interface Folded {
  records: string[];
}

/**
 * `[row, login, packed fields, action, managerRef]` (0 for an absent action or managerRef; 0 for a
 * login spelled as its key, the lower-cased login, which the PackedMap holds already).
 */
function encodeRecord(record: HrRecord): string {
  const login = record.login === loginKey(record.login) ? 0 : record.login;
  return JSON.stringify([record.row, login, packFields(record.fields), record.action ?? 0, record.managerRef ?? 0]);
}

function decodeRecord(key: string, text: string): HrRecord {
  const [row, login, packed, action, managerRef] = JSON.parse(text) as [number, string | 0, unknown[], HrRecord['action'] | 0, HrRecord['managerRef'] | 0];
  const record: HrRecord = { row, login: login === 0 ? key : login, fields: unpackFields(packed) };
  if (action !== 0 && action !== undefined) record.action = action;
  if (managerRef !== 0 && managerRef !== undefined) record.managerRef = managerRef;
  return record;
}

export const loginKey = (login: string): string => login.toLowerCase();

/** A record's values by field name, for comparing rows: custom fields one by one, the manager however it is named. */
function comparable(record: HrRecord): Map<string, string> {
  const values = new Map<string, string>();
  for (const [field, value] of Object.entries(record.fields)) {
    if (field === 'custom-fields' && value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [name, v] of Object.entries(value)) values.set(`custom-fields.${name}`, JSON.stringify(v));
    } else values.set(field, JSON.stringify(field === 'email' && typeof value === 'string' ? value.toLowerCase() : value));
  }
  if (record.managerRef) values.set('manager', JSON.stringify(record.managerRef));
  if (record.action) values.set('action', record.action);
  return values;
}

const identical = (a: Map<string, string>, b: Map<string, string>): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/** Fields both rows set, to different values. */
function differingFields(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...a].filter(([k, v]) => b.has(k) && b.get(k) !== v).map(([k]) => k);
}

/** Later rows' values over earlier ones, field by field (a change log, or rows filling each other in). */
function foldRecords(records: HrRecord[]): HrRecord {
  let folded = records[0];
  for (const record of records.slice(1)) {
    const next: HrRecord = {
      ...folded,
      ...(record.action ? { action: record.action } : {}),
      ...(record.managerRef ? { managerRef: record.managerRef } : {}),
      fields: { ...folded.fields, ...record.fields },
    };
    // A later row that names the manager by login replaces an earlier reference, and vice versa.
    if (record.fields.manager !== undefined) delete next.managerRef;
    if (record.managerRef) delete next.fields.manager;
    folded = next;
  }
  return folded;
}

const rowList = (rows: number[]): string => (rows.length === 1 ? `row ${rows[0]}` : `rows ${rows.join(', ')}`);

/** The entry of a login on several rows, decided as the file's header comment says. */
export function resolveRows(records: HrRecord[], policy: DuplicatePolicy): Omit<RosterEntry, 'login'> {
  const allRows = records.map((r) => r.row);
  const values = records.map(comparable);
  const skipped: RosterEntry['skipped'] = [];
  const distinct: number[] = [];
  records.forEach((record, i) => {
    const original = distinct.find((j) => identical(values[j], values[i]));
    if (original === undefined) distinct.push(i);
    else skipped.push({ row: record.row, reason: `duplicate of row ${records[original].row} (the same values): row ${records[original].row} applies` });
  });
  const base = { allRows, conflicts: [] as string[], differing: [] as string[] };
  if (distinct.length === 1) return { ...base, rows: [records[0].row], record: records[0], skipped };

  const conflicts = new Set<string>();
  const differing = new Set<string>();
  for (let x = 0; x < distinct.length; x++) {
    for (let y = x + 1; y < distinct.length; y++) {
      for (const field of differingFields(values[distinct[x]], values[distinct[y]])) {
        if ((IDENTITY_FIELDS as readonly string[]).includes(field)) conflicts.add(field);
        else differing.add(field);
      }
    }
  }
  const kept = distinct.map((i) => records[i]);
  const keptRows = kept.map((r) => r.row);
  if (conflicts.size > 0) return { ...base, conflicts: [...conflicts], rows: keptRows, record: records[0], skipped: [] };
  const changeLog = kept.every((r) => r.action !== undefined);
  if (differing.size === 0 || changeLog) {
    const foldNote = changeLog
      ? `${rowList(keptRows)} of this login each carry an action: folded in file order, a later row's value winning`
      : `${rowList(keptRows)} of this login fill in each other's empty cells: folded into one change`;
    return { ...base, rows: keptRows, record: foldRecords(kept), skipped, foldNote };
  }
  if (policy === 'reject') return { ...base, differing: [...differing], rows: keptRows, record: records[0], skipped: [] };
  const chosen = policy === 'first' ? kept[0] : kept[kept.length - 1];
  const others = records.filter((r) => r.row !== chosen.row).map((r) => ({
    row: r.row,
    reason: `login "${chosen.login}" is also on row ${chosen.row}, which applies (hr.duplicates is "${policy}"; the rows differ on ${[...differing].join(', ')})`,
  }));
  return { ...base, rows: [chosen.row], record: chosen, skipped: others };
}

export class Roster {
  /** Record texts by lower-cased login, in file order of each login's first row. */
  private readonly entries = new PackedMap({ caseIndex: false });
  /** Logins on more than one row. */
  private readonly folded = new Map<string, Folded>();
  /** Logins (lower-cased) of rows rejected as input: the person is listed, so never an absentee. */
  private readonly listedOnly = new PackedMap({ caseIndex: false });
  /** Data rows read (valid or not). */
  rows = 0;
  rejectedRows = 0;
  /** Rows left out by hr.rows.skip. */
  skippedRows = 0;
  /** Entries whose manager is named by another key than the login (hr.fields.manager.matchOn). */
  managerRefs = 0;

  constructor(
    readonly file: string,
    readonly mode: 'delta' | 'full',
    /** config hr.duplicates: what rows of one login that set a field differently come to. */
    readonly duplicates: DuplicatePolicy = 'reject',
  ) {}

  /** Folds one valid record in (records arrive in file order). */
  add(record: HrRecord): void {
    this.rows += 1;
    if (record.managerRef) this.managerRefs += 1;
    const key = loginKey(record.login);
    const text = this.entries.get(key);
    if (text === undefined) {
      this.entries.set(key, encodeRecord(record));
      return;
    }
    // The entry's own text stays the first row's (order, login spelling); the rows are decided when read.
    const folded = this.folded.get(key) ?? { records: [text] };
    folded.records.push(encodeRecord(record));
    this.folded.set(key, folded);
  }

  /** A row an hr.rows.skip rule left out; its login (when it has one) counts as listed, never an absentee. */
  addSkipped(login: string | undefined): void {
    this.rows += 1;
    this.skippedRows += 1;
    if (login) this.listedOnly.set(loginKey(login), '');
  }

  /** A row rejected as input; its login (when the login cell itself was valid) counts as listed. */
  addRejected(login: string | undefined): void {
    this.rows += 1;
    this.rejectedRows += 1;
    if (login) this.listedOnly.set(loginKey(login), '');
  }

  /** Distinct logins with a valid row. */
  get size(): number {
    return this.entries.size;
  }

  /** Distinct logins the file names at all (valid rows or rejected rows with a usable login). */
  get listedLogins(): number {
    let extra = 0;
    for (const key of this.listedOnly.keys()) if (!this.entries.has(key)) extra += 1;
    return this.entries.size + extra;
  }

  get(login: string): RosterEntry | undefined {
    const key = loginKey(login);
    const text = this.entries.get(key);
    return text === undefined ? undefined : this.toEntry(key, text);
  }

  /** Whether the file names this login (ignoring case), in a valid row or a rejected one. */
  lists(login: string): boolean {
    const key = loginKey(login);
    return this.entries.has(key) || this.listedOnly.has(key);
  }

  /** Entries in the order their first row appears in the file. */
  *[Symbol.iterator](): IterableIterator<RosterEntry> {
    for (const [key, text] of this.entries.entries()) yield this.toEntry(key, text);
  }

  private toEntry(key: string, text: string): RosterEntry {
    const record = decodeRecord(key, text);
    const folded = this.folded.get(key);
    if (!folded) return { login: record.login, rows: [record.row], allRows: [record.row], record, conflicts: [], differing: [], skipped: [] };
    const resolved = resolveRows(folded.records.map((t) => decodeRecord(key, t)), this.duplicates);
    // The entry keeps the first row's login spelling.
    return { login: record.login, ...resolved, record: { ...resolved.record, login: record.login } };
  }
}
