/**
 * The HR file as one entry per login: its rows folded in file order (a later row's value wins
 * field by field), or a conflict when two rows of one login disagree on who the person is (e-mail,
 * employee number or name). Logins fold ignoring case, as Coupa compares them; the first spelling
 * is kept.
 *
 * Each entry keeps its record as compact JSON text (encodeRecord, which holds the login as first
 * spelled and the first row), packed by lower-cased login in a PackedMap and parsed when planned: a
 * million-row roster then takes a fraction of the memory it would as objects. Only a login on
 * several rows keeps more (its rows, its conflicts) in a small Map.
 */
import type { HrRecord } from '../model';
import { packFields, unpackFields } from '../compact-text';
import { PackedMap } from '../packed-map';

/** Fields that say who a row is about: two rows of one login that differ here are not one person. */
export const IDENTITY_FIELDS = ['email', 'employee-number', 'firstname', 'lastname'] as const;

export interface RosterEntry {
  /** The login as first spelled in the file. */
  login: string;
  /** Data rows of this login, in file order. */
  rows: number[];
  /** The rows folded into one record (row = the first row). */
  record: HrRecord;
  /** Identity fields the rows disagree on (the entry is then rejected, every row of it). */
  conflicts: string[];
}

/** What a login on several rows keeps besides its text. */
interface Folded {
  rows: number[];
  conflicts?: string[];
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

function sameIdentity(field: (typeof IDENTITY_FIELDS)[number], a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return true; // one row does not say: no disagreement
  return field === 'email' ? a.toLowerCase() === b.toLowerCase() : a === b;
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
  /** Entries whose manager is named by another key than the login (hr.fields.manager.matchOn). */
  managerRefs = 0;

  constructor(
    readonly file: string,
    readonly mode: 'delta' | 'full',
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
    const earlier = decodeRecord(key, text);
    const folded0 = this.folded.get(key) ?? { rows: [earlier.row] };
    const conflicts = new Set(folded0.conflicts ?? []);
    for (const field of IDENTITY_FIELDS) {
      if (!sameIdentity(field, earlier.fields[field], record.fields[field])) conflicts.add(field);
    }
    const folded: HrRecord = {
      ...earlier,
      ...(record.action ? { action: record.action } : {}),
      ...(record.managerRef ? { managerRef: record.managerRef } : {}),
      fields: { ...earlier.fields, ...record.fields },
    };
    // A later row that names the manager by login replaces an earlier reference, and vice versa.
    if (record.fields.manager !== undefined) delete folded.managerRef;
    if (record.managerRef) delete folded.fields.manager;
    this.folded.set(key, { rows: [...folded0.rows, record.row], ...(conflicts.size > 0 ? { conflicts: [...conflicts] } : {}) });
    this.entries.set(key, encodeRecord(folded));
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
    // The folded record keeps the first row's login spelling and row number.
    return { login: record.login, rows: folded?.rows ?? [record.row], record, conflicts: folded?.conflicts ?? [] };
  }
}
