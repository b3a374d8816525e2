/**
 * The canonical HR file's columns: Coupa user element names, plus `login` (the match key)
 * and `action`. A header mapping (e.g. Workday's "Work Email" → email) is applied before
 * these names are checked, so other HR exports plug in without touching validation.
 */
import { COLLECTION_FIELDS, LICENCE_FIELDS, REFERENCE_FIELDS, STRING_FIELDS, type SyncField } from '../model';

export const KEY_COLUMN = 'login';
export const ACTION_COLUMN = 'action';

export type HrColumn = typeof KEY_COLUMN | typeof ACTION_COLUMN | SyncField;

const KNOWN: ReadonlySet<string> = new Set<string>([
  KEY_COLUMN,
  ACTION_COLUMN,
  'active',
  ...STRING_FIELDS,
  ...REFERENCE_FIELDS,
  ...LICENCE_FIELDS,
  ...COLLECTION_FIELDS,
]);

/** Maps an HR system's header names to canonical ones (case-insensitive keys). */
export type HeaderMap = Record<string, string>;

export function isKnownColumn(name: string): name is HrColumn {
  return KNOWN.has(name);
}

/** Canonical name for a raw header: mapped, trimmed, lower-cased (`Purchasing-User` → `purchasing-user`). */
export function canonicalColumn(raw: string, headerMap: HeaderMap = {}): string {
  const trimmed = raw.trim();
  const mapped = Object.entries(headerMap).find(([from]) => from.toLowerCase() === trimmed.toLowerCase());
  return (mapped ? mapped[1] : trimmed).trim().toLowerCase();
}

export const KNOWN_COLUMNS: readonly string[] = [...KNOWN];
