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
  // Phones as the CSV loader writes them ("+aa xxx-yyy-zzzz"); Coupa's API input shape is undocumented.
  'phone-work',
  'phone-mobile',
] as const;
export type StringField = (typeof STRING_FIELDS)[number];

/**
 * Reference fields, each held as the natural key Coupa resolves (the record must already exist in
 * Coupa): `manager` is the manager's login, `default-currency` a currency code, `department`,
 * `legal-entity` and `default-account-type` (chart of accounts) names, `default-account` an account
 * code (within the user's chart of accounts), `default-address` a ship-to address's location code,
 * `country-of-residence` an ISO country code.
 */
export const REFERENCE_FIELDS = [
  'manager',
  'default-currency',
  'department',
  'default-account-type',
  'default-account',
  'default-address',
  'legal-entity',
  'country-of-residence',
] as const;
export type ReferenceField = (typeof REFERENCE_FIELDS)[number];

/**
 * Collections, each held as a list of names (case-sensitive, order does not matter). Coupa replaces
 * the whole set on PUT, so one is only ever read, compared or written when config
 * `coupa.ownedCollections` lists it (HR owns it); an HR file carrying an unowned one is refused.
 */
export const COLLECTION_FIELDS = ['roles', 'content-groups', 'user-groups', 'approval-groups', 'account-groups'] as const;
export type CollectionField = (typeof COLLECTION_FIELDS)[number];

/**
 * Approval limits, each held as the CSV loader writes one: an amount and a currency code
 * ("1000.00 USD") or the name of a limit that exists in Coupa ("Director").
 */
export const APPROVAL_LIMIT_FIELDS = [
  'requisition-approval-limit',
  'expense-approval-limit',
  'invoice-approval-limit',
  'requisition-self-approval-limit',
  'expense-self-approval-limit',
  'invoice-self-approval-limit',
] as const;
export type ApprovalLimitField = (typeof APPROVAL_LIMIT_FIELDS)[number];

/**
 * Sent on create only: Coupa never shows them back (`generate-password-and-notify` invites a new
 * non-SSO user to set a password), so they are never compared or sent on update.
 */
export const CREATE_ONLY_FIELDS = ['generate-password-and-notify'] as const;
export type CreateOnlyField = (typeof CREATE_ONLY_FIELDS)[number];

/** Custom fields, by their API name: `custom-fields: { "cost-centre-code": "CC-100" }`. */
export const CUSTOM_FIELDS = 'custom-fields';
export type CustomFieldValues = Record<string, string | null>;

/**
 * Fields only Coupa Sourcing Optimization (CSO) has, under CSO's own names (its Users API). Core
 * users have none of them (a core config that maps one is refused).
 */
export const CSO_ONLY_FIELDS = ['street', 'zip-code', 'city', 'country', 'company-id'] as const;
export type CsoOnlyField = (typeof CSO_ONLY_FIELDS)[number];

/** The sync fields a CSO user has (cso-mapping.ts maps them to CSO's names; `active` is its state). */
export const CSO_SYNC_FIELDS = ['active', 'firstname', 'lastname', 'email', 'phone-work', 'phone-mobile', ...CSO_ONLY_FIELDS] as const;

/** Every field a sync may write (besides `login`, the match key); collections only when owned. */
export const SYNC_FIELDS = [
  ...STRING_FIELDS,
  'active',
  ...REFERENCE_FIELDS,
  ...APPROVAL_LIMIT_FIELDS,
  ...LICENCE_FIELDS,
  ...COLLECTION_FIELDS,
  ...CREATE_ONLY_FIELDS,
  CUSTOM_FIELDS,
  ...CSO_ONLY_FIELDS,
] as const;
export type SyncField = (typeof SYNC_FIELDS)[number];

/** Desired (HR) or actual (Coupa) values of the sync fields. Absent = not owned / not known. */
export type UserFields = { [K in StringField | ReferenceField | ApprovalLimitField | CsoOnlyField]?: string | null } & {
  [K in LicenceField | CreateOnlyField]?: boolean;
} & { active?: boolean } & { [K in CollectionField]?: string[] } & { [CUSTOM_FIELDS]?: CustomFieldValues };

/** Fields a core (non-CSO) Coupa user has. */
export function isCoreField(field: string): boolean {
  return (SYNC_FIELDS as readonly string[]).includes(field) && !(CSO_ONLY_FIELDS as readonly string[]).includes(field);
}

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
  /**
   * The manager named by another key than the login (config hr.fields.manager.matchOn): the
   * planner resolves it to a login, against the same file first, then Coupa, and sets
   * `fields.manager`. Unresolved, the user is synced without a manager change and the row warns.
   */
  managerRef?: { matchOn: 'employee-number' | 'email'; value: string };
}

/** A Coupa user as read back: the id (a string, CSO ids do not fit a JS number), login and fields. */
export interface CoupaUser {
  id: string;
  login: string;
  fields: UserFields;
  /** Coupa's read-only `api-user` flag: an integration account, never deactivated as an absentee. */
  apiUser?: boolean;
  /** Coupa's `updated-at` (ISO), when read: a kept snapshot is refreshed from the newest one. */
  updatedAt?: string;
}

export const OUTCOMES = [
  'created',
  'updated',
  'deactivated',
  'reactivated',
  'unchanged',
  'applied',
  'submitted',
  'held',
  'skipped',
  'rejected',
  'failed',
] as const;
/**
 * `reactivated`: an inactive Coupa user made active again (with any other changes of the row).
 * `applied`: sent through the CSV channel and accepted by Coupa's loader (which reports counts,
 * not per-row create/update). `submitted`: delivered to Coupa's sFTP, the loader's verdict not
 * read back yet (`--wait-results` ran out or was 0). `held`: staged in a run a guard held, waiting
 * for approval. `skipped`: a staged change that no longer applied when the run was approved (Coupa
 * changed meanwhile), never forced; or a row the config leaves out (`skippedBy`: a skip rule, a duplicate row). `rejected`: bad input, never sent. `failed`: Coupa refused it,
 * it could not be delivered, or the circuit breaker stopped the run before it.
 */
export type Outcome = (typeof OUTCOMES)[number];

/** A field's value before and after a change, as the report shows it (`undefined`: not set). */
export type FieldValue = string | boolean | string[] | Record<string, unknown> | null;

export interface FieldChange {
  field: string;
  before?: FieldValue;
  after?: FieldValue;
}

export interface RowOutcome {
  row: number;
  login: string;
  outcome: Outcome;
  /** Names of the fields sent (before → after in `changes`). */
  changedFields?: string[];
  changes?: FieldChange[];
  /** Why the row was not applied as asked (rejected, failed, skipped, held). */
  errors?: string[];
  /** Applied, but not all of it: e.g. a manager that exists nowhere was left out. */
  warnings?: string[];
  /** Ledger only: a full-roster absentee (row 0); the report lists it under `absentees`. */
  absent?: boolean;
  /**
   * A `skipped` row left out on purpose by the config, not a failure: by a skip rule (hr.rows.skip),
   * or as a duplicate of another row of its login (hr.duplicates). Such rows do not make the exit status 1.
   */
  skippedBy?: 'hr.rows.skip' | 'hr.duplicates';
}

/** A full-roster absentee: an active Coupa user the file no longer lists. */
export interface AbsenteeOutcome {
  login: string;
  outcome: Outcome;
  changes?: FieldChange[];
  errors?: string[];
}

/**
 * Counts per outcome over the file's rows AND the absentees; `rows` + `absentees` is their sum.
 */
export type Totals = { rows: number; absentees: number } & Record<Outcome, number>;

/** What one planned change does to Coupa. */
export type ChangeKind = 'create' | 'update' | 'deactivate' | 'reactivate';

/**
 * One user's change, with everything the apply stage needs: the Coupa id (no lookup again), the
 * exact fields to send, their before → after, the HR rows it settles and its dependency level.
 */
export interface PlannedChange {
  /** The login as HR has it (a user matched on the fallback key is renamed to it). */
  login: string;
  kind: ChangeKind;
  /** Coupa id; absent for a create. */
  id?: string;
  /** Exactly what is sent to Coupa (a rename carries `login`). */
  send: UserFields & { login?: string };
  changes: FieldChange[];
  /** HR data rows this change settles (several rows of one login fold into one change); [] for an absentee. */
  rows: number[];
  /** A full-roster absentee deactivation. */
  absent?: boolean;
  /** Applied after every change of a lower level: a report waits for the manager created or reactivated in the same run. */
  level: number;
  /** The manager (login) this change waits for: created or reactivated by the same run. */
  dependsOn?: string;
  warnings?: string[];
}

/** A guard's verdict on a plan (before anything is written). */
export interface GuardVerdict {
  guard: 'deactivation' | 'completeness';
  held: boolean;
  /** Plain words with the figures, e.g. "would deactivate 140 users, more than roster.maxDeactivations (100)". */
  detail: string;
}

/**
 * `complete`: applied (or nothing to do). `planned`: a dry run, nothing written. `held`: a guard
 * held it, nothing written (or, with roster.onHold "apply-rest", all but the deactivations), waiting
 * for `coupa-sync approve`. `stopped`: stopped part-way, by the circuit breaker or a delta file that
 * broke (the rows after the break were not read). `expired`: held and
 * not approved in time. `rejected`: held and refused by an operator.
 */
export type RunStatus = 'complete' | 'planned' | 'held' | 'stopped' | 'expired' | 'rejected';

/** Identifies one run of one HR file: the same id in every message, log line and report. */
export interface RunRef {
  runId: string;
  file: string;
}

export interface RunReport extends RunRef {
  status: RunStatus;
  /** True when nothing was written: outcomes say what a real run would do. */
  dryRun?: boolean;
  roster: { mode: 'delta' | 'full'; rows: number; logins: number };
  startedAt: string;
  finishedAt: string;
  totals: Totals;
  guards: GuardVerdict[];
  /** Why the run was held or stopped, and how to go on. */
  reason?: string;
  rows: RowOutcome[];
  absentees: AbsenteeOutcome[];
  /** A held run: the commands that approve or reject it, as the channel that ran it can give them whole. */
  commands?: { approve: string; reject: string };
  /** The Coupa integration run this sync run was reported as (coupa.monitoring.enabled). */
  coupaMonitoring?: CoupaMonitoringSummary;
}

/** Where a run shows in Coupa's integration monitoring, and what it raised there. */
export interface CoupaMonitoringSummary {
  /** Coupa's integration run id (absent when it could not be created). */
  integrationRunId?: string;
  status?: 'pending' | 'running' | 'paused' | 'successful' | 'failed';
  /** Integration errors raised for this run's failed rows, and earlier errors resolved by it. */
  raised: number;
  resolved: number;
  /** The run's page in Coupa. */
  url?: string;
  /** Why monitoring could not write (e.g. the scope to grant): the sync itself was not affected. */
  warning?: string;
}

/**
 * What the planner puts on a queue: one user's planned change in one run. `group` is the login at
 * the top of its chain of new managers: a FIFO queue delivers a group in order, so a manager
 * created in the run is applied before the reports that wait for it.
 */
export interface ChangeMessage extends RunRef {
  change: PlannedChange;
  group: string;
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
