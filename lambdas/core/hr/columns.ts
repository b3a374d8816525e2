/**
 * The canonical HR file's columns: Coupa user element names, plus `login` (the match key),
 * `action` and `custom-fields.<name>`. A mapping (config hr.fields, mapping.ts) turns another HR
 * export's columns into these, so validation speaks one language whatever the export.
 */
import { CUSTOM_FIELDS, SYNC_FIELDS, type SyncField } from '../model';

export const KEY_COLUMN = 'login';
export const ACTION_COLUMN = 'action';

export type HrColumn = typeof KEY_COLUMN | typeof ACTION_COLUMN | SyncField;

const KNOWN: ReadonlySet<string> = new Set<string>([KEY_COLUMN, ACTION_COLUMN, ...SYNC_FIELDS.filter((f) => f !== CUSTOM_FIELDS)]);

/** Maps an HR system's header names to canonical ones (case-insensitive keys). */
export type HeaderMap = Record<string, string>;

export function isKnownColumn(name: string): name is HrColumn {
  return KNOWN.has(name) || /^custom-fields\.\S/.test(name);
}

/** Canonical name for a raw header: mapped, trimmed, lower-cased (`Purchasing-User` → `purchasing-user`). */
export function canonicalColumn(raw: string, headerMap: HeaderMap = {}): string {
  const trimmed = raw.trim();
  const mapped = Object.entries(headerMap).find(([from]) => from.toLowerCase() === trimmed.toLowerCase());
  return (mapped ? mapped[1] : trimmed).trim().toLowerCase();
}

export const KNOWN_COLUMNS: readonly string[] = [...KNOWN];

/** A few names quoted, then "and N more": header messages stay short whatever the header's width. */
export function someNames(names: readonly string[], max = 5): string {
  const quoted = names.slice(0, max).map((n) => JSON.stringify(n.length > 40 ? `${n.slice(0, 40)}…` : n));
  return names.length > max ? `${quoted.join(', ')} and ${names.length - max} more` : quoted.join(', ');
}
