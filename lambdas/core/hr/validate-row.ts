/**
 * Turns one HR data row (canonical column → raw cell) into an HrRecord, or says exactly
 * which fields are wrong. An empty cell means "HR does not set this field": Coupa's value
 * is left alone, never blanked.
 */
import { LICENCE_FIELDS, type HrAction, type HrRecord, type UserFields } from '../model';
import { ACTION_COLUMN, KEY_COLUMN } from './columns';

const TRUE = new Set(['true', 'yes', 'y', '1', 't']);
const FALSE = new Set(['false', 'no', 'n', '0', 'f']);
const ACTIONS: ReadonlySet<string> = new Set<HrAction>(['create', 'update', 'deactivate']);
const AUTH_METHODS = new Set(['coupa_credentials', 'ldap', 'saml']);
// Deliberately loose: Coupa has the final word; this only catches obvious typos early.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Coupa's documented limits (Users API element table). */
const MAX_LENGTH: Record<string, number> = {
  login: 255,
  email: 255,
  firstname: 40,
  lastname: 40,
  middlename: 255,
  'employee-number': 255,
  'sso-identifier': 255,
  'authentication-method': 255,
  'default-locale': 10,
  manager: 255,
  'default-currency': 3,
};

const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set(['active', ...LICENCE_FIELDS]);

export type RowValidation = { ok: true; record: HrRecord } | { ok: false; login: string; errors: string[] };

export function validateRow(row: number, cells: Record<string, string>): RowValidation {
  const errors: string[] = [];
  const login = (cells[KEY_COLUMN] ?? '').trim();
  if (login === '') errors.push(`field "login": required (the Coupa login is the match key)`);
  else if (login.length < 2) errors.push(`field "login": "${login}" is shorter than 2 characters`);

  const fields: UserFields = {};
  let action: HrAction | undefined;

  for (const [column, raw] of Object.entries(cells)) {
    const value = raw.trim();
    if (column === KEY_COLUMN || value === '') continue;
    const max = MAX_LENGTH[column];
    if (max !== undefined && value.length > max) {
      errors.push(`field "${column}": ${value.length} characters, Coupa allows at most ${max}`);
      continue;
    }
    if (column === ACTION_COLUMN) {
      const lowered = value.toLowerCase();
      if (ACTIONS.has(lowered)) action = lowered as HrAction;
      else errors.push(`field "action": "${value}" is not one of create, update, deactivate`);
    } else if (BOOLEAN_COLUMNS.has(column)) {
      const lowered = value.toLowerCase();
      if (TRUE.has(lowered)) (fields as Record<string, boolean>)[column] = true;
      else if (FALSE.has(lowered)) (fields as Record<string, boolean>)[column] = false;
      else errors.push(`field "${column}": "${value}" is not true or false`);
    } else if (column === 'email' && !EMAIL.test(value)) {
      errors.push(`field "email": "${value}" is not an e-mail address`);
    } else if (column === 'authentication-method' && !AUTH_METHODS.has(value)) {
      errors.push(`field "authentication-method": "${value}" is not one of coupa_credentials, ldap, saml (case-sensitive)`);
    } else if (column === 'default-currency' && !/^[A-Z]{3}$/.test(value)) {
      errors.push(`field "default-currency": "${value}" is not a 3-letter ISO currency code`);
    } else {
      (fields as Record<string, string>)[column] = value;
    }
  }

  if (action === 'deactivate' && fields.active === true) {
    errors.push(`field "active": true contradicts action "deactivate"`);
  }
  if (action === 'create') {
    const missing = (['email', 'firstname', 'lastname'] as const).filter((f) => fields[f] === undefined);
    if (missing.length > 0) errors.push(`action "create" needs ${missing.map((f) => `"${f}"`).join(', ')}`);
  }
  if (errors.length > 0) return { ok: false, login, errors };
  return { ok: true, record: { row, login, ...(action ? { action } : {}), fields } };
}
