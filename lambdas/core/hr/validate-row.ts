/**
 * Turns one HR data row (canonical column → raw cell) into an HrRecord, or says exactly
 * which fields are wrong. An empty cell means "HR does not set this field": Coupa's value
 * is left alone, never blanked.
 *
 * Row errors are published (SNS) and logged, so they name the field and the problem but never
 * quote a personal value (e-mail, names, employee number, SSO id, manager login). Only values
 * of enumerations (booleans, action, authentication-method, default-currency) are quoted, and
 * only when they look like a plain token, so a shifted column cannot leak a name that way.
 */
import { LICENCE_FIELDS, REQUIRED_TO_CREATE, isCollectionField, type HrAction, type HrRecord, type UserFields } from '../model';
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

/** Longest name in a collection cell (CSV spec: role names 40, content group names 100). */
const MAX_NAME_LENGTH: Record<string, number> = { roles: 40, 'content-groups': 100 };
const COLLECTION_NOUN: Record<string, string> = { roles: 'role', 'content-groups': 'content group' };

/**
 * A collection cell: comma-separated names, each trimmed; empty entries dropped, repeats kept once.
 * Names are not quoted in messages (a shifted column could put personal data here).
 */
function parseNameList(column: string, value: string): { names: string[] } | { error: string } {
  const names = [...new Set(value.split(',').map((n) => n.trim()).filter((n) => n !== ''))];
  if (names.length === 0) {
    return {
      error:
        `field "${column}": the cell holds no ${COLLECTION_NOUN[column]} name (leave it empty to leave Coupa's ` +
        `${column} alone, or list the ${column} the user should have)`,
    };
  }
  const max = MAX_NAME_LENGTH[column];
  const long = names.findIndex((n) => n.length > max);
  if (long >= 0) {
    return { error: `field "${column}": ${COLLECTION_NOUN[column]} name ${long + 1} has ${names[long].length} characters, Coupa allows at most ${max}` };
  }
  return { names };
}

/** What a cell holds when the file was not valid UTF-8 (the decoder's replacement character). */
const REPLACEMENT_CHARACTER = '\uFFFD';
/** ASCII control characters except tab (line breaks included: no user field holds one). */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000A-\u001F\u007F]/;

/**
 * What is wrong with a cell's characters, or undefined: the text after `field "x": `.
 * Used for every cell, named column or not, before any other check.
 */
export function cellCharacterProblem(value: string): string | undefined {
  if (value.includes(REPLACEMENT_CHARACTER)) return 'the value is not valid UTF-8 (save the file as UTF-8)';
  const control = CONTROL_CHARACTER.exec(value);
  if (control) {
    const code = control[0].charCodeAt(0);
    if (code === 0x0a || code === 0x0d) return 'the value contains a line break, which a Coupa user field cannot hold';
    return `the value contains the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return undefined;
}

/** An enumeration value as shown in a message: quoted if it is a short plain token, else not at all. */
function shown(value: string): string {
  return /^[A-Za-z0-9_.-]{1,20}$/.test(value) ? `"${value}"` : 'the value';
}

export type RowValidation = { ok: true; record: HrRecord } | { ok: false; login: string; errors: string[] };

export function validateRow(row: number, cells: Record<string, string>): RowValidation {
  const errors: string[] = [];
  const login = (cells[KEY_COLUMN] ?? '').trim();
  const loginProblem = cellCharacterProblem(login);
  if (login === '') errors.push(`field "login": required (the Coupa login is the match key)`);
  else if (loginProblem) errors.push(`field "login": ${loginProblem}`);
  else if (login.length < 2) errors.push(`field "login": "${login}" is shorter than 2 characters`);

  const fields: UserFields = {};
  let action: HrAction | undefined;

  for (const [column, raw] of Object.entries(cells)) {
    const value = raw.trim();
    if (column === KEY_COLUMN || value === '') continue;
    const problem = cellCharacterProblem(value);
    if (problem) {
      errors.push(`field "${column}": ${problem}`);
      continue;
    }
    const max = MAX_LENGTH[column];
    if (max !== undefined && value.length > max) {
      errors.push(`field "${column}": ${value.length} characters, Coupa allows at most ${max}`);
      continue;
    }
    if (column === ACTION_COLUMN) {
      const lowered = value.toLowerCase();
      if (ACTIONS.has(lowered)) action = lowered as HrAction;
      else errors.push(`field "action": ${shown(value)} is not one of create, update, deactivate`);
    } else if (isCollectionField(column)) {
      const parsed = parseNameList(column, value);
      if ('error' in parsed) errors.push(parsed.error);
      else fields[column] = parsed.names;
    } else if (BOOLEAN_COLUMNS.has(column)) {
      const lowered = value.toLowerCase();
      if (TRUE.has(lowered)) (fields as Record<string, boolean>)[column] = true;
      else if (FALSE.has(lowered)) (fields as Record<string, boolean>)[column] = false;
      else errors.push(`field "${column}": ${shown(value)} is not true or false`);
    } else if (column === 'email' && !EMAIL.test(value)) {
      errors.push(`field "email": the value is not an e-mail address`);
    } else if (column === 'authentication-method' && !AUTH_METHODS.has(value)) {
      errors.push(`field "authentication-method": ${shown(value)} is not one of coupa_credentials, ldap, saml (case-sensitive)`);
    } else if (column === 'default-currency' && !/^[A-Z]{3}$/.test(value)) {
      errors.push(`field "default-currency": ${shown(value)} is not a 3-letter ISO currency code`);
    } else {
      (fields as Record<string, string>)[column] = value;
    }
  }

  if (action === 'deactivate' && fields.active === true) {
    errors.push(`field "active": true contradicts action "deactivate"`);
  }
  if (action === 'create') {
    const missing = REQUIRED_TO_CREATE.filter((f) => fields[f] === undefined);
    if (missing.length > 0) errors.push(`action "create" needs ${missing.map((f) => `"${f}"`).join(', ')}`);
  }
  if (errors.length > 0) return { ok: false, login, errors };
  return { ok: true, record: { row, login, ...(action ? { action } : {}), fields } };
}
