/**
 * Small interfaces between the pure core and the outside world. AWS adapters
 * (lambdas/adapters/aws) and local adapters (lambdas/adapters/local) implement them;
 * the core never imports an SDK.
 */
import type { Readable } from 'node:stream';
import type { CoupaUser, GuardVerdict, PlannedChange, RowOutcome, RunRef, RunReport, RunStatus, ChangeMessage, UserFields } from './model';

/** Reads and writes whole objects (S3 locally a folder). */
export interface ObjectStore {
  /** The object, or exactly one version of it (an HR file overwritten meanwhile must not be read instead). */
  get(key: string, version?: string): Promise<Readable>;
  put(key: string, body: string | Buffer, contentType?: string): Promise<void>;
  /** Writes only if the key does not exist yet; false when it did (a run is claimed once). */
  create(key: string, body: string, contentType?: string): Promise<boolean>;
}

/** Sends change messages to a queue, in batches the adapter sizes itself. */
export interface RecordQueue {
  send(messages: ChangeMessage[]): Promise<void>;
}

export type Severity = 'info' | 'failure';

/**
 * What a notification is about, so subscribers can filter (an SNS message attribute `kind`):
 * `digest` the one report of a finished run; `held` a guard held a run for approval; `stopped` a run
 * broke off; `expired` a held run nobody approved; `approval-ignored` an approval of no held run;
 * `file-rejected` an HR file that could not be read; `unreadable` queue messages that were not
 * change messages; `failures` rows not applied (local runs); `csv-load-failed` Coupa's loader failed rows.
 */
export const NOTIFICATION_KINDS = [
  'digest',
  'held',
  'stopped',
  'expired',
  'approval-ignored',
  'file-rejected',
  'unreadable',
  'failures',
  'csv-load-failed',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export interface Notification {
  kind: NotificationKind;
  subject: string;
  message: string;
  severity: Severity;
  run?: RunRef;
  /** The user(s) the notification concerns (logins only: no other personal data). */
  logins?: string[];
}

/** Tells people what happened (SNS in AWS, console/file locally). */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/** Where every row's final outcome is recorded (the run report is built from it). */
export interface OutcomeLedger {
  record(run: RunRef, outcomes: RowOutcome[]): Promise<void>;
}

/** Delivers a finished file to Coupa's sFTP folder (Transfer Family connector or direct SFTP). */
export interface FileDrop {
  /** Uploads `body` as `remoteDir/name`; returns an id to correlate the transfer. */
  deliver(name: string, body: Buffer, remoteDir: string): Promise<{ transferId: string }>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * What the sync needs from Coupa, whatever the flavour (Core XML/JSON or CSO) and transport.
 * The HTTP client in lambdas/adapters/coupa implements it; unit tests use an in-memory fake.
 */
export interface UserDirectory {
  /**
   * Looks users up by login (in bulk where the API allows). Returns only the logins found;
   * a login absent from the map does not exist in Coupa.
   */
  findByLogins(logins: string[]): Promise<Map<string, CoupaUser>>;
  /** Creates a user with `login` and `fields`; returns it as Coupa stored it. */
  create(login: string, fields: UserFields): Promise<CoupaUser>;
  /** Sends only `changes` to the user with `id`; returns it as Coupa stored it. */
  update(id: string, login: string, changes: UserFields): Promise<CoupaUser>;
  /**
   * config.coupa.matchFallback: finds users unknown by login by employee number or e-mail,
   * keyed by the HR login (only unambiguous matches). Absent where the flavour cannot (CSO).
   */
  findByFallback?(records: Array<{ login: string; employeeNumber?: string; email?: string }>): Promise<Map<string, CoupaUser>>;
  /**
   * Bulk writes where the flavour has them (CSO's lenient POST/PUT /api/users): one result per
   * item, in order, with the user as stored or why that item did not apply.
   */
  createMany?(items: Array<{ login: string; fields: UserFields }>): Promise<BulkItemResult[]>;
  updateMany?(items: Array<{ id: string; login: string; changes: UserFields }>): Promise<BulkItemResult[]>;
  /**
   * Every user, page by page in id order (a full roster's snapshot). With `updatedSince` (ISO),
   * only users changed at or after it — where the flavour can (`canListUpdatedSince`).
   */
  listUsers(options?: { updatedSince?: string }): AsyncIterable<CoupaUser[]>;
  /** True when listUsers honours `updatedSince` (Core's `updated_at[gt_or_eq]`; CSO documents no such filter). */
  readonly canListUpdatedSince: boolean;
  /**
   * Users whose employee number, e-mail or login is one of `values` (bulk, matched ignoring case,
   * as Coupa does): `login` finds a user whose login differs from HR's only in letter case.
   */
  findBy(key: 'employee-number' | 'email' | 'login', values: string[]): Promise<CoupaUser[]>;
}

export interface BulkItemResult {
  login: string;
  user?: CoupaUser;
  error?: string;
}

/** One Coupa CSV load (`GET /api/data_file_sources`), reduced to what the read-back needs. */
export interface DataFileSourceResult {
  fileName: string;
  /** Coupa's status: Done, Failed, Retrying, Loading, Pending, … */
  status: string;
  recordsCreated: number;
  recordsUpdated: number;
  /** Coupa's `result-text` (a summary, or why a whole file failed), when it gives one. */
  resultText?: string;
  /** `row` as Coupa reports it: the file's line number with the header as line 1. */
  errors: Array<{ row: number; field: string; value: string; messages: string[] }>;
}

/** Reads the loader's verdict on a file Coupa picked up from /Incoming/Users. */
export interface DataFileSourceReader {
  /** The latest load of `fileName` (source_for=User), or undefined while Coupa has not seen it. */
  findByFileName(fileName: string): Promise<DataFileSourceResult | undefined>;
}

/**
 * Where the last full read of Coupa's users is kept between runs (a local file, an S3 object), so
 * the next run refreshes it with `updated_at` instead of paging every user again. Lines of text:
 * the core writes and reads the format (plan/snapshot.ts).
 */
export interface SnapshotStore {
  read(): Promise<AsyncIterable<string> | undefined>;
  write(lines: Iterable<string>): Promise<void>;
}

/** A plan kept for later: a held run waits here for `coupa-sync approve`. */
export interface StoredPlan {
  run: RunRef;
  /** The Coupa instance it was planned against (approval must go to the same one). */
  instance?: string;
  createdAt: string;
  mode: 'delta' | 'full';
  status: RunStatus;
  guards: GuardVerdict[];
  reason?: string;
  /** Logins the file lists (the completeness guard's figure, accepted on approval). */
  rosterLogins: number;
  /** Every planned change, in apply order. */
  changes: PlannedChange[];
  /** The changes a held run did not apply: what approval applies. */
  staged: PlannedChange[];
}

/**
 * An append-only list of text lines kept outside memory (a file), read back by index: where a run's
 * row outcomes wait for its report, so a million unchanged rows are not a million objects. Sync,
 * because outcomes are settled from synchronous callbacks; the adapter buffers and reads in blocks.
 */
export interface LineSpool {
  /** Appends one line (it must hold no line break); returns its index (0, 1, 2, …). */
  append(line: string): number;
  /** The lines at `indexes`, in the order asked; every line appended so far can be read. */
  read(indexes: Iterable<number>): Iterable<string>;
}

/** Where runs are kept (a local state folder, or S3): plans, reports and the last accepted full roster. */
export interface RunStore {
  /**
   * Where the run's row outcomes are spooled while it runs (a file in the run's folder). Absent:
   * the outcomes are kept in memory (the AWS planner, whose report of a plan is small or queued).
   */
  outcomeSpool?(runId: string): LineSpool;
  savePlan(plan: StoredPlan): Promise<void>;
  loadPlan(runId: string): Promise<StoredPlan | undefined>;
  /** Writes the report (in each format the store keeps); returns where, the page people open first. */
  saveReport(report: RunReport): Promise<string[]>;
  loadReport(runId: string): Promise<RunReport | undefined>;
  acceptedRoster(): Promise<AcceptedRoster | undefined>;
  acceptRoster(accepted: AcceptedRoster): Promise<void>;
}

export interface AcceptedRoster {
  runId: string;
  logins: number;
  at: string;
}

/**
 * How a file handed to the sFTP connector fared, and handing it over again (AWS Transfer Family's
 * transfers finish after the call that started them; a failed one is otherwise only an event).
 */
export interface TransferTracker {
  status(transfer: { fileName: string; transferId: string }): Promise<{ state: 'pending' | 'completed' | 'failed'; reason?: string }>;
  resend(transfer: { fileName: string; remoteDirectory: string }): Promise<{ transferId: string }>;
}
