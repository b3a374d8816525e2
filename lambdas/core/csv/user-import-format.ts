/**
 * Coupa's Users flat-file (CSV) loader format: which column carries which user field.
 *
 * Spellings are the documented defaults (Users Import page, R35 CSV Import Formats). Whether an
 * instance's template marks required columns with `*` (`Login*`) is UNCERTAIN, so an instance's
 * own template can override the spelling (`headerNamesFromTemplate`).
 */
import { parse } from 'csv-parse/sync';
import { CSO_ONLY_FIELDS, CUSTOM_FIELDS, SYNC_FIELDS, type CsoOnlyField, type SyncField } from '../model';

/** A sync field the loader has a column of its own for (custom fields and CSO's fields have none). */
export type LoaderField = Exclude<SyncField, typeof CUSTOM_FIELDS | CsoOnlyField>;

/** A custom field's column: `custom-fields.<name>`, headed by the name (the loader wants the prompt name). */
export type CustomFieldColumn = `${typeof CUSTOM_FIELDS}.${string}`;

/** A column the sync writes: the match key `login`, a sync field (`active` → Status) or a custom field. */
export type ImportColumn = 'login' | LoaderField | CustomFieldColumn;

/** Every fixed column the sync can write, in the order they appear in a file (Login first); custom fields follow. */
export const IMPORT_COLUMNS: readonly ('login' | LoaderField)[] = [
  'login',
  ...SYNC_FIELDS.filter((f): f is LoaderField => f !== CUSTOM_FIELDS && !(CSO_ONLY_FIELDS as readonly string[]).includes(f)),
];

export const customFieldColumn = (name: string): CustomFieldColumn => `${CUSTOM_FIELDS}.${name}`;

/** The header of a column: the instance's spelling, else the documented one; a custom field's is its name. */
export function headerNameOf(column: ImportColumn, headerNames: Readonly<Record<string, string>>): string {
  return headerNames[column] ?? column.slice(CUSTOM_FIELDS.length + 1);
}

/**
 * Documented default header of each column (Users Import page, R35 CSV Import Formats). `Groups`
 * for user groups is the loader's "Groups" column; that it means user groups is UNCERTAIN.
 */
export const DEFAULT_HEADER_NAMES: Readonly<Record<'login' | LoaderField, string>> = {
  login: 'Login',
  email: 'Email',
  firstname: 'First Name',
  lastname: 'Last Name',
  middlename: 'Middle Name',
  active: 'Status',
  'employee-number': 'Employee Number',
  'sso-identifier': 'Sso Identifier',
  'authentication-method': 'Authentication Method',
  manager: 'Approver Login',
  'default-locale': 'Default Locale',
  'default-currency': 'Default Currency',
  'purchasing-user': 'Purchasing User',
  'expense-user': 'Expense User',
  'sourcing-user': 'Sourcing User',
  'inventory-user': 'Inventory User',
  'contracts-user': 'Contracts User',
  'analytics-user': 'Analytics User',
  'aic-user': 'AI Classification User',
  'spend-guard-user': 'Spend Guard User',
  'ccw-user': 'Contingent Workforce User',
  'clm-advanced-user': 'Does the user have a Contract Lifecycle Management Advanced License?',
  'supply-chain-user': 'Supply Chain User',
  'risk-assess-user': 'Risk Assess User',
  'travel-user': 'Travel User',
  'treasury-user': 'Treasury User',
  'invoicing-user': 'Invoicing User',
  roles: 'User Role Names',
  'content-groups': 'Content Groups',
  'user-groups': 'Groups',
  'approval-groups': 'Approval Group Names',
  'account-groups': 'Account Group Names',
  'phone-work': 'Phone Work',
  'phone-mobile': 'Phone Mobile',
  department: 'Department',
  'default-account-type': 'Default Chart of Accounts Name',
  'default-account': 'Default Account Code',
  'default-address': 'Default Address Location Code',
  'legal-entity': 'Legal Entity Name',
  'country-of-residence': 'Country Of Residence Code',
  'requisition-approval-limit': 'Requisition Approval Limit',
  'expense-approval-limit': 'Expense Approval Limit',
  'invoice-approval-limit': 'Invoice Approval Limit',
  'requisition-self-approval-limit': 'Requisition Self Approval Limit',
  'expense-self-approval-limit': 'Expense Self Approval Limit',
  'invoice-self-approval-limit': 'Invoice Self Approval Limit',
  'generate-password-and-notify': 'Generate Password And Notify User',
};

/**
 * The loader's "clear" marker: a cleared field (the HR clear token) is written as `--NULL--`, and for
 * `User Role Names` it is Coupa's documented way to remove every role (playbook 1.7). For the other
 * collections no clear marker is documented, so an empty list is not written (see user-import-row.ts).
 */
export const CSV_NULL = '--NULL--';

/**
 * Columns Coupa matches or resolves on: altering their text (e.g. a formula-neutralising `'`)
 * would point the change at another user, so rows whose values there look like formulas are
 * rejected instead (see csv-writer.ts).
 */
export const MATCH_KEY_COLUMNS: readonly ('login' | LoaderField)[] = [
  'login',
  'email',
  'employee-number',
  'sso-identifier',
  'manager',
];

/** Booleans as the loader documents them (it also accepts True/False, Y/N, T/F). */
export const csvBoolean = (value: boolean): string => (value ? 'Yes' : 'No');

/** `Status` cell: the loader's `active` / `inactive`. */
export const csvStatus = (active: boolean): string => (active ? 'active' : 'inactive');

/** Header comparison key: case, spaces and a trailing required-marker `*` do not matter. */
const headerKey = (name: string): string => name.replace(/\*\s*$/, '').replace(/\s+/g, '').toLowerCase();

/**
 * Reads an instance's user-import template (its header row) and returns, for every column, the
 * template's own spelling (`Login*` where the template says so). Columns the template does not
 * have keep the documented spelling. A template without a Login column cannot be right: error.
 */
export function headerNamesFromTemplate(csvText: string, fileName = 'user-import template'): Record<'login' | LoaderField, string> {
  const rows = parse(csvText, { bom: true, to_line: 1, relax_column_count: true, skip_empty_lines: true }) as string[][];
  const templateHeaders = rows[0] ?? [];
  const byKey = new Map(templateHeaders.map((h) => [headerKey(h), h.trim()]));
  if (!byKey.has(headerKey(DEFAULT_HEADER_NAMES.login))) {
    throw new Error(
      `${fileName}: the user-import template has no Login column (its header row is: ${templateHeaders.join(', ') || '(empty)'})`,
    );
  }
  const names = { ...DEFAULT_HEADER_NAMES };
  for (const column of IMPORT_COLUMNS) {
    const spelled = byKey.get(headerKey(DEFAULT_HEADER_NAMES[column]));
    if (spelled) names[column] = spelled;
  }
  return names;
}
