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
import {
  APPROVAL_LIMIT_FIELDS,
  CREATE_ONLY_FIELDS,
  CUSTOM_FIELDS,
  LICENCE_FIELDS,
  REQUIRED_TO_CREATE,
  isCollectionField,
  type CollectionField,
  type HrAction,
  type HrRecord,
  type UserFields,
} from '../model';
import { ACTION_COLUMN, KEY_COLUMN } from './columns';

const TRUE = new Set(['true', 'yes', 'y', '1', 't']);
const FALSE = new Set(['false', 'no', 'n', '0', 'f']);
const ACTIONS: ReadonlySet<string> = new Set<HrAction>(['create', 'update', 'deactivate']);
const AUTH_METHODS = new Set(['coupa_credentials', 'ldap', 'saml']);
// Deliberately loose: Coupa has the final word; these only catch obvious mistakes early.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Digits with spaces, dashes, dots, brackets, an optional leading + and extension ("+1 415-555-0100 x12"). */
const PHONE = /^\+?[0-9][0-9 ()./-]*(\s*(x|ext\.?)\s*[0-9]+)?$/i;
/** An approval limit as the CSV loader takes it: an amount and a currency code, or (else) a limit's name. */
const LIMIT_AMOUNT = /^\d+(\.\d{1,4})?\s+[A-Z]{3}$/;

/** Coupa's documented limits (Users API element table); 255 where the element is a string(255) or a name. */
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
  'phone-work': 40,
  'phone-mobile': 40,
  department: 255,
  'default-account-type': 255,
  'default-account': 255,
  'default-address': 255,
  'legal-entity': 255,
  'country-of-residence': 2,
  street: 255,
  'zip-code': 255,
  city: 255,
  country: 255,
  'company-id': 255,
  ...Object.fromEntries(APPROVAL_LIMIT_FIELDS.map((f) => [f, 255])),
};

const BOOLEAN_COLUMNS: ReadonlySet<string> = new Set(['active', ...LICENCE_FIELDS, ...CREATE_ONLY_FIELDS]);
const APPROVAL_LIMITS: ReadonlySet<string> = new Set(APPROVAL_LIMIT_FIELDS);
/** Coupa requires them of every user: clearing one could only fail. */
const NOT_CLEARABLE: ReadonlySet<string> = new Set(['email', 'firstname', 'lastname', ACTION_COLUMN, ...BOOLEAN_COLUMNS]);

/** Longest name in a collection cell (CSV spec: role names 40, content group names 100; others: names up to 255). */
const MAX_NAME_LENGTH: Record<CollectionField, number> = {
  roles: 40,
  'content-groups': 100,
  'user-groups': 255,
  'approval-groups': 255,
  'account-groups': 255,
};
const COLLECTION_NOUN: Record<CollectionField, string> = {
  roles: 'role',
  'content-groups': 'content group',
  'user-groups': 'user group',
  'approval-groups': 'approval group',
  'account-groups': 'account group',
};

/** Input limits of a row (config hr), beyond Coupa's own. */
export interface RowRules {
  /** The cell that clears a field (config hr.clearToken, default `--NULL--`). */
  clearToken?: string;
  /** Most names in one collection cell (config hr.limits.maxListItems). */
  maxListItems?: number;
  /**
   * The manager column names the manager by this key (config hr.fields.manager.matchOn): other than
   * `login`, the record carries it as `managerRef` for the planner to resolve, not `fields.manager`.
   */
  managerMatchOn?: 'login' | 'employee-number' | 'email';
}

const DEFAULT_MAX_LIST_ITEMS = 100;

/**
 * A collection cell: comma-separated names, each trimmed; empty entries dropped, repeats kept once.
 * Names are not quoted in messages (a shifted column could put personal data here).
 */
function parseNameList(column: CollectionField, value: string, maxItems: number): { names: string[] } | { error: string } {
  const names = [...new Set(value.split(',').map((n) => n.trim()).filter((n) => n !== ''))];
  if (names.length === 0) {
    return {
      error:
        `field "${column}": the cell holds no ${COLLECTION_NOUN[column]} name (leave it empty to leave Coupa's ` +
        `${column} alone, or list the ${column} the user should have)`,
    };
  }
  if (names.length > maxItems) {
    return { error: `field "${column}": ${names.length} names, more than hr.limits.maxListItems (${maxItems})` };
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
export function shown(value: string): string {
  return /^[A-Za-z0-9_.-]{1,20}$/.test(value) ? `"${value}"` : 'the value';
}

export type RowValidation = { ok: true; record: HrRecord } | { ok: false; login: string; errors: string[] };

/** The login cell's problem, or undefined (a valid login is kept on a rejected row: the person is present). */
function loginProblem(login: string): string | undefined {
  if (login === '') return 'required (the Coupa login is the match key)';
  const characters = cellCharacterProblem(login);
  if (characters) return characters;
  if (login.length > MAX_LENGTH.login) return `${login.length} characters, Coupa allows at most ${MAX_LENGTH.login}`;
  if (login.length < 2) return `"${login}" is shorter than 2 characters`;
  return undefined;
}

/** One field's value, or the text after `field "x": ` saying what is wrong with it. */
type Checked = { value: string | boolean | string[] } | { error: string };

function checkValue(column: string, value: string, rules: RowRules): Checked {
  if (isCollectionField(column)) {
    const parsed = parseNameList(column, value, rules.maxListItems ?? DEFAULT_MAX_LIST_ITEMS);
    return 'error' in parsed ? { error: parsed.error.slice(`field "${column}": `.length) } : { value: parsed.names };
  }
  if (BOOLEAN_COLUMNS.has(column)) {
    const lowered = value.toLowerCase();
    if (TRUE.has(lowered)) return { value: true };
    if (FALSE.has(lowered)) return { value: false };
    return { error: `${shown(value)} is not true or false` };
  }
  if (column === 'email' || (column === 'manager' && rules.managerMatchOn === 'email')) {
    return EMAIL.test(value) ? { value } : { error: 'the value is not an e-mail address' };
  }
  if (column === 'authentication-method' && !AUTH_METHODS.has(value)) {
    return { error: `${shown(value)} is not one of coupa_credentials, ldap, saml (case-sensitive)` };
  }
  if (column === 'default-currency' && !/^[A-Z]{3}$/.test(value)) return { error: `${shown(value)} is not a 3-letter ISO currency code` };
  if (column === 'country-of-residence' && !/^[A-Z]{2}$/.test(value)) return { error: `${shown(value)} is not a 2-letter ISO country code` };
  if ((column === 'phone-work' || column === 'phone-mobile') && !PHONE.test(value)) {
    return { error: 'the value is not a phone number (digits, spaces, - ( ) . and a leading +, e.g. +1 415-555-0100)' };
  }
  if (APPROVAL_LIMITS.has(column) && /^\d/.test(value) && !LIMIT_AMOUNT.test(value)) {
    return { error: 'an approval limit is an amount and a currency code ("1000.00 USD") or the name of a limit in Coupa' };
  }
  return { value };
}

export function validateRow(row: number, cells: Record<string, string>, rules: RowRules = {}): RowValidation {
  const errors: string[] = [];
  const login = (cells[KEY_COLUMN] ?? '').trim();
  const badLogin = loginProblem(login);
  if (badLogin) errors.push(`field "login": ${badLogin}`);

  const fields: UserFields = {};
  const set = fields as Record<string, unknown>;
  const custom: Record<string, string | null> = {};
  let action: HrAction | undefined;
  let managerRef: HrRecord['managerRef'];

  for (const [column, raw] of Object.entries(cells)) {
    const value = raw.trim();
    if (column === KEY_COLUMN || value === '') continue;
    const problem = cellCharacterProblem(value);
    if (problem) {
      errors.push(`field "${column}": ${problem}`);
      continue;
    }
    const customName = column.startsWith(`${CUSTOM_FIELDS}.`) ? column.slice(CUSTOM_FIELDS.length + 1) : undefined;
    if (rules.clearToken !== undefined && value === rules.clearToken) {
      if (NOT_CLEARABLE.has(column)) errors.push(`field "${column}": holds the clear token, but Coupa's ${column} cannot be cleared`);
      else if (customName !== undefined) custom[customName] = null;
      else set[column] = isCollectionField(column) ? [] : null;
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
      continue;
    }
    const checked = checkValue(column, value, rules);
    if ('error' in checked) errors.push(`field "${column}": ${checked.error}`);
    else if (customName !== undefined) custom[customName] = value;
    else if (column === 'manager' && rules.managerMatchOn && rules.managerMatchOn !== 'login') {
      managerRef = { matchOn: rules.managerMatchOn, value };
    } else set[column] = checked.value;
  }
  if (Object.keys(custom).length > 0) fields[CUSTOM_FIELDS] = custom;

  if (action === 'deactivate' && fields.active === true) {
    errors.push(`field "active": true contradicts action "deactivate"`);
  }
  if (action === 'create') {
    const missing = REQUIRED_TO_CREATE.filter((f) => fields[f] === undefined);
    if (missing.length > 0) errors.push(`action "create" needs ${missing.map((f) => `"${f}"`).join(', ')}`);
  }
  if (errors.length > 0) return { ok: false, login: badLogin ? '' : login, errors };
  return { ok: true, record: { row, login, ...(action ? { action } : {}), fields, ...(managerRef ? { managerRef } : {}) } };
}
