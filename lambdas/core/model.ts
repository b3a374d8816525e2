/**
 * The domain vocabulary shared by every stage: HR records in, row outcomes out.
 * Field names are Coupa user element names (hyphenated, as in the Users API), so the
 * canonical HR file, the API payloads and the diff all speak one language.
 */

/** Licence flags a sync may set (writable booleans of the Coupa Users API). */
export const LICENCE_FIELDS = [
  'purchasing-user',
  'expense-user',
  'sourcing-user',
  'inventory-user',
  'contracts-user',
  'analytics-user',
  'aic-user',
  'spend-guard-user',
  'ccw-user',
  'clm-advanced-user',
  'supply-chain-user',
  'risk-assess-user',
  'travel-user',
  'treasury-user',
  'invoicing-user',
] as const;
export type LicenceField = (typeof LICENCE_FIELDS)[number];

/** Plain string fields of a Coupa user that HR may own. */
export const STRING_FIELDS = [
  'email',
  'firstname',
  'lastname',
  'middlename',
  'employee-number',
  'sso-identifier',
  'authentication-method',
  'default-locale',
] as const;
export type StringField = (typeof STRING_FIELDS)[number];

/**
 * Reference fields, each held as the natural key Coupa resolves:
 * `manager` is the manager's login, `default-currency` a currency code.
 */
export const REFERENCE_FIELDS = ['manager', 'default-currency'] as const;
export type ReferenceField = (typeof REFERENCE_FIELDS)[number];

/**
 * Collections, each held as a list of names (case-sensitive, order does not matter). Coupa replaces
 * the whole set on PUT, so one is only ever read, compared or written when config
 * `coupa.ownedCollections` lists it (HR owns it); an HR file carrying an unowned one is refused.
 */
export const COLLECTION_FIELDS = ['roles', 'content-groups'] as const;
export type CollectionField = (typeof COLLECTION_FIELDS)[number];

/** Every field a sync may write (besides `login`, the match key); collections only when owned. */
export const SYNC_FIELDS = [...STRING_FIELDS, 'active', ...REFERENCE_FIELDS, ...LICENCE_FIELDS, ...COLLECTION_FIELDS] as const;
export type SyncField = (typeof SYNC_FIELDS)[number];

/** Desired (HR) or actual (Coupa) values of the sync fields. Absent = not owned / not known. */
export type UserFields = { [K in StringField | ReferenceField]?: string | null } & {
  [K in LicenceField]?: boolean;
} & { active?: boolean } & { [K in CollectionField]?: string[] };

export function isCollectionField(field: string): field is CollectionField {
  return (COLLECTION_FIELDS as readonly string[]).includes(field);
}

/** `fields` without the collections HR does not own (never compared, never sent). */
export function withoutUnownedCollections(fields: UserFields, owned: readonly CollectionField[]): UserFields {
  if (COLLECTION_FIELDS.every((c) => fields[c] === undefined || owned.includes(c))) return fields;
  const out: UserFields = { ...fields };
  for (const c of COLLECTION_FIELDS) if (!owned.includes(c)) delete out[c];
  return out;
}

export type HrAction = 'create' | 'update' | 'deactivate';

/** One valid data row of an HR file. `row` is the 1-based data row number (header excluded). */
export interface HrRecord {
  row: number;
  login: string;
  action?: HrAction;
  fields: UserFields;
}

/** A Coupa user as read back: the id (a string, CSO ids do not fit a JS number), login and fields. */
export interface CoupaUser {
  id: string;
  login: string;
  fields: UserFields;
}

export const OUTCOMES = [
  'created',
  'updated',
  'deactivated',
  'unchanged',
  'applied',
  'submitted',
  'rejected',
  'failed',
] as const;
/**
 * `applied`: sent through the CSV channel and accepted by Coupa's loader (which reports counts,
 * not per-row create/update). `submitted`: delivered to Coupa's sFTP, the loader's verdict not
 * read back yet (`--wait-results` ran out or was 0). `rejected`: bad input, never sent.
 * `failed`: Coupa refused it or it could not be delivered.
 */
export type Outcome = (typeof OUTCOMES)[number];

export interface RowOutcome {
  row: number;
  login: string;
  outcome: Outcome;
  changedFields?: string[];
  errors?: string[];
}

export type Totals = { rows: number } & Record<Outcome, number>;

/** Identifies one run of one HR file: the same id in every message, log line and report. */
export interface RunRef {
  runId: string;
  file: string;
}

export interface RunReport extends RunRef {
  /** True when nothing was written: outcomes say what a real run would do. */
  dryRun?: boolean;
  startedAt: string;
  finishedAt: string;
  totals: Totals;
  rows: RowOutcome[];
}

/** What the splitter puts on a queue: one record of one run. */
export interface SyncMessage extends RunRef {
  record: HrRecord;
}

/** Fields Coupa requires to create a user (besides the login). */
export const REQUIRED_TO_CREATE = ['email', 'firstname', 'lastname'] as const;

/** The record asks for the user to be inactive: `action=deactivate` or `active=false`. */
export function deactivates(record: Pick<HrRecord, 'action' | 'fields'>): boolean {
  return record.action === 'deactivate' || record.fields.active === false;
}

/** Logins the sync never changes; compared case-insensitively, as Coupa compares logins. */
export function isProtectedLogin(login: string, protectedLogins: readonly string[]): boolean {
  const lowered = login.toLowerCase();
  return protectedLogins.some((p) => p.toLowerCase() === lowered);
}
