/**
 * The HR file as one entry per login: its rows folded in file order (a later row's value wins
 * field by field), or a conflict when two rows of one login disagree on who the person is (e-mail,
 * employee number or name). Logins fold ignoring case, as Coupa compares them; the first spelling
 * is kept.
 *
 * Each entry keeps its record as compact JSON text (encodeRecord), parsed when planned: a
 * million-row roster then takes a fraction of the memory it would as objects.
 */
import type { HrRecord } from '../model';
import { flatText, packFields, unpackFields } from '../compact-text';

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

interface Stored {
  login: string;
  rows: number | number[];
  text: string;
  conflicts?: string[];
}

/** `[row, login, packed fields, action, managerRef]` (0 for an absent action or managerRef), flat. */
function encodeRecord(record: HrRecord): string {
  return flatText(JSON.stringify([record.row, record.login, packFields(record.fields), record.action ?? 0, record.managerRef ?? 0]));
}

function decodeRecord(text: string): HrRecord {
  const [row, login, packed, action, managerRef] = JSON.parse(text) as [number, string, unknown[], HrRecord['action'] | 0, HrRecord['managerRef'] | 0];
  const record: HrRecord = { row, login, fields: unpackFields(packed) };
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
  private readonly entries = new Map<string, Stored>();
  /** Logins (lower-cased) of rows rejected as input: the person is listed, so never an absentee. */
  private readonly listedOnly = new Set<string>();
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
    const stored = this.entries.get(key);
    if (!stored) {
      this.entries.set(key, { login: record.login, rows: record.row, text: encodeRecord(record) });
      return;
    }
    const earlier = decodeRecord(stored.text);
    const conflicts = new Set(stored.conflicts ?? []);
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
    stored.rows = [...(typeof stored.rows === 'number' ? [stored.rows] : stored.rows), record.row];
    stored.text = encodeRecord(folded);
    if (conflicts.size > 0) stored.conflicts = [...conflicts];
  }

  /** A row rejected as input; its login (when the login cell itself was valid) counts as listed. */
  addRejected(login: string | undefined): void {
    this.rows += 1;
    this.rejectedRows += 1;
    if (login) this.listedOnly.add(loginKey(login));
  }

  /** Distinct logins with a valid row. */
  get size(): number {
    return this.entries.size;
  }

  /** Distinct logins the file names at all (valid rows or rejected rows with a usable login). */
  get listedLogins(): number {
    let extra = 0;
    for (const key of this.listedOnly) if (!this.entries.has(key)) extra += 1;
    return this.entries.size + extra;
  }

  get(login: string): RosterEntry | undefined {
    const stored = this.entries.get(loginKey(login));
    return stored && toEntry(stored);
  }

  /** Whether the file names this login (ignoring case), in a valid row or a rejected one. */
  lists(login: string): boolean {
    const key = loginKey(login);
    return this.entries.has(key) || this.listedOnly.has(key);
  }

  /** Entries in the order their first row appears in the file. */
  *[Symbol.iterator](): IterableIterator<RosterEntry> {
    for (const stored of this.entries.values()) yield toEntry(stored);
  }
}

function toEntry(stored: Stored): RosterEntry {
  return {
    login: stored.login,
    rows: typeof stored.rows === 'number' ? [stored.rows] : stored.rows,
    record: decodeRecord(stored.text),
    conflicts: stored.conflicts ?? [],
  };
}
