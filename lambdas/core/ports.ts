/**
 * Small interfaces between the pure core and the outside world. AWS adapters
 * (lambdas/adapters/aws) and local adapters (lambdas/adapters/local) implement them;
 * the core never imports an SDK.
 */
import type { Readable } from 'node:stream';
import type { CoupaUser, GuardVerdict, Outcome, PlannedChange, RowOutcome, RunRef, RunReport, RunStatus, ChangeMessage, UserFields } from './model';

/** Reads and writes whole objects (S3 locally a folder). */
export interface ObjectStore {
  /** The object, or exactly one version of it (an HR file overwritten meanwhile must not be read instead). */
  get(key: string, version?: string): Promise<Readable>;
  put(key: string, body: string | Buffer, contentType?: string): Promise<void>;
  /**
   * Uploads a local file as it is read (a report of a million rows is never one string in memory).
   * Only adapters call it (the core touches no file); absent, they put the file's text instead.
   */
  putFile?(key: string, path: string, contentType?: string): Promise<void>;
  /** Writes only if the key does not exist yet; false when it did (a run is claimed once). */
  create(key: string, body: string, contentType?: string): Promise<boolean>;
  /** Deletes the current version (a versioned bucket keeps the older ones until its lifecycle rules drop them). */
  delete?(key: string): Promise<void>;
}

/**
 * The logins the csv-batcher settled (delivered in a file, or rejected) per run, for the managers
 * created or reactivated in a run: a report in another batch waits until its manager is in here.
 */
export interface SettledLogins {
  /**
   * Which of `logins` were settled so far in the run, lower-cased. A batch asks only about the
   * managers it waits for: a run may settle 100,000 managers, and no batch needs them all.
   */
  settledOf(runId: string, logins: string[]): Promise<Set<string>>;
  /** Records one batch's settled logins; `tag` names the batch, so a retried batch overwrites its record. */
  add(runId: string, tag: string, logins: string[]): Promise<void>;
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
 * change messages; `failures` rows not applied (local runs); `csv-load-failed` Coupa's loader failed rows;
 * `waiting` a run has waited for an earlier run of the bucket longer than reports.reportAfterHours;
 * `overdue` a run's queued changes are not all settled after reports.reportAfterHours (it keeps its
 * turn); `stale` a file that arrived before a newer one already applied was not applied.
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
  'waiting',
  'overdue',
  'stale',
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

/**
 * Failed attempts of one run's change of one login (AWS: a small object per run and login, written
 * only when an attempt fails, so the healthy path costs nothing).
 */
export interface AttemptLog {
  /** Adds one failed attempt; returns how many there are now. */
  addFailure(run: RunRef, login: string, reason: string): Promise<number>;
  /** Starts the count again (a dead-lettered change redriven later gets a fresh budget). */
  forget(run: RunRef, login: string): Promise<void>;
}

/** Where a change goes that will not be applied: kept there, redrivable, never consumed. */
export interface DeadLetterQueue {
  send(message: ChangeMessage, reason: string): Promise<void>;
}

/** Which dead messages were already recorded (AWS: one marker object per DLQ message id). */
export interface DeadLetterMarks {
  seen(queue: string, messageId: string): Promise<boolean>;
  /** Marks it; false when another caller marked it first. */
  mark(queue: string, messageId: string): Promise<boolean>;
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
   * only users changed at or after it — where the flavour can (`canListUpdatedSince`). With
   * `fromOffset`, the listing starts that many users in (a read continued where it stopped).
   */
  listUsers(options?: { updatedSince?: string; fromOffset?: number }): AsyncIterable<CoupaUser[]>;
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

/**
 * The lists of records a user's elements name (plan/preflight.ts checks a plan against them):
 * departments, charts of accounts (`account-types`), accounts, ship-to addresses, legal entities,
 * currencies, roles, content groups, user / approval / account groups.
 */
export const REFERENCE_KINDS = [
  'departments', 'account-types', 'accounts', 'addresses', 'legal-entities', 'currencies',
  'roles', 'content-groups', 'user-groups', 'approval-groups', 'account-groups',
] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];

/** One record of a reference list: the natural key a user names it by, and an account's chart of accounts. */
export interface ReferenceRecord {
  key: string;
  within?: string;
}

/** Reads one reference list whole, page by page, only the key fields (the Coupa client: `GET /api/departments` …). */
export interface ReferenceReader {
  readList(kind: ReferenceKind): Promise<ReferenceRecord[]>;
}

/**
 * Where read reference lists are kept between runs, beside the users' snapshot (the state folder;
 * S3 `state/references/<kind>.ndjson`). Lines of text: the core writes and reads the format
 * (plan/reference-lists.ts).
 */
export interface ReferenceListStore {
  read(kind: ReferenceKind): Promise<AsyncIterable<string> | undefined>;
  write(kind: ReferenceKind, lines: Iterable<string>): Promise<void>;
}

/**
 * A full read of Coupa's users that one planner invocation could not finish, kept for the next
 * invocation of the same run to continue (an S3 object per run). Lines of text: the core writes
 * and reads the format (plan/checkpointed-read.ts).
 */
export interface ReadCheckpointStore {
  readCheckpoint(runId: string): Promise<AsyncIterable<string> | undefined>;
  writeCheckpoint(runId: string, lines: Iterable<string>): Promise<void>;
  removeCheckpoint(runId: string): Promise<void>;
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

/** A run's circuit-breaker verdict, once decided: stays as it is for the rest of the run. */
export interface BreakerVerdict {
  state: 'tripped' | 'passed';
  /** The window's tally when it was decided. */
  writes: number;
  failures: number;
  at: string;
  /** Tripped: why, in the words the report and the alert use. */
  reason?: string;
}

/**
 * The circuit breaker's tally for one run, shared by every process applying it (AWS: concurrent
 * api-consumer Lambdas). Each adds what it counted; the verdict is decided once.
 */
export interface RunBreakerStore {
  /** The run's verdict, or undefined while the window is open. Cheap (one small read; adapters may cache a decided one). */
  verdict(runId: string): Promise<BreakerVerdict | undefined>;
  /** Every process's counted writes of the run so far, summed. */
  tally(runId: string): Promise<{ writes: number; failures: number }>;
  /** Adds one process's writes of the window (each call is kept on its own: concurrent adds never overwrite). */
  add(runId: string, counted: { writes: number; failures: number }): Promise<void>;
  /** Records the verdict unless one exists: true for the one caller that decided it (it alone alerts). */
  decide(runId: string, verdict: BreakerVerdict): Promise<boolean>;
}

/** A run (or the approval of a held run) waiting for its turn to write to Coupa (AWS: runs/waiting/<key>). */
export interface WaitingRun {
  action: 'plan' | 'approve';
  run: RunRef;
  /** The HR file's object version (plan). */
  version?: string;
  channel?: 'api' | 'csv';
  /** When S3 saw the file or the approval (the S3 event's time): the line's order, the same on a redelivered event. */
  arrivedAt: string;
  /** Set once the "still waiting" alert went out. */
  alertedAt?: string;
  /** Times the reporter started it again after its planner died or failed (bounded: see MAX_LINE_RESTARTS). */
  restarts?: number;
}

/** Who writes to Coupa now: one run (or approval) of the bucket at a time. */
export interface RunTurn {
  /** The waiting entry's key (runQueueKey): a run's plan and its later approval are two turns. */
  key: string;
  runId: string;
  at: string;
}

/**
 * The line of runs of one bucket (AWS): a run queues its changes only in its turn, so two runs'
 * changes of one user never race in the FIFO queue. The turn is one object created once.
 */
export interface RunTurnStore {
  /** Adds (or re-adds, unchanged) an entry to the line. */
  enter(key: string, entry: WaitingRun): Promise<void>;
  /** The line, oldest first, with each entry's key. */
  waiting(): Promise<Array<{ key: string; entry: WaitingRun }>>;
  entry(key: string): Promise<WaitingRun | undefined>;
  update(key: string, entry: WaitingRun): Promise<void>;
  leave(key: string): Promise<void>;
  holder(): Promise<RunTurn | undefined>;
  /** Takes the turn if nobody holds it: true when this caller got it. */
  take(turn: RunTurn): Promise<boolean>;
  release(): Promise<void>;
  /** Whether the run is applying (it has a pending marker: queued changes not all reported yet). */
  pending(runId: string): Promise<boolean>;
  /** The run's claim (runs/<runId>/claim.json): whether a planner is still at it. */
  claim(runId: string): Promise<{ state: string; at: string } | undefined>;
  /** Asks the planner to go on with this entry (AWS: runs/start/<key>, which S3 hands to the planner). */
  start(key: string, entry: WaitingRun): Promise<void>;
}

/**
 * How a file handed to the sFTP connector fared, and handing it over again (AWS Transfer Family's
 * transfers finish after the call that started them; a failed one is otherwise only an event).
 */
export interface TransferTracker {
  status(transfer: { fileName: string; transferId: string }): Promise<{ state: 'pending' | 'completed' | 'failed'; reason?: string }>;
  resend(transfer: { fileName: string; remoteDirectory: string }): Promise<{ transferId: string }>;
}

/* ─── Coordination state of runs (AWS: one DynamoDB table; see lambdas/core/runs/contract.ts) ─── */

/** Where a run stands, as its record says. */
export type RunPhase =
  | 'admitted'
  | 'planning'
  | 'held'
  | 'applying'
  | 'reported'
  | 'failed'
  | 'expired'
  | 'rejected'
  | 'refused'
  | 'stale';

/** What the plan step keeps for the report (the old split summary). */
export interface RunPlanSummary {
  /** When planning began (the report's start). */
  startedAt: string;
  /** Data rows read (valid or not). */
  rows: number;
  /** Full-roster absentees queued for deactivation. */
  absentees: number;
  /** Status, mode, guards and reason for the report. */
  details: { status?: RunStatus; dryRun?: boolean; mode?: 'delta' | 'full'; guards?: GuardVerdict[]; reason?: string };
  /** SHA-256 (hex) of runs/<runId>/plan.json as written. */
  planSha256: string;
  toApply: number;
  staged: number;
  rosterLogins: number;
}

/** One run's coordination record (the run table's `run#<runId>` / `run` item). */
export interface RunRecord {
  run: RunRef;
  version?: string;
  channel: 'api' | 'csv';
  dryRun: boolean;
  arrivedAt: string;
  bucket: string;
  phase: RunPhase;
  admittedAt: string;
  plan?: RunPlanSummary;
  /** Changes on the queue (counted once each, whatever the retries: see addQueued). */
  queued: number;
  /** Queued changes with an outcome recorded (once per login): final, or (CSV) `submitted`. */
  settled: number;
  /** Of those, failed. */
  failed: number;
  /** Of the settled, CSV changes delivered to Coupa's loader whose verdict is not read yet (settled − submitted are final). */
  submitted: number;
  /** Per list of changes (`plan`, `approved`): how many the queue accepted so far. */
  enqueued?: Record<string, number>;
  /** While held: the token `coupa-sync approve|reject` sends back, and until when. */
  approval?: { token: string; heldAt: string; expiresAt: string };
  approvedBy?: string;
  approvedAt?: string;
  /** Set once each: one alert per run for each of these. */
  overdueAlertedAt?: string;
  failureAlertedAt?: string;
  reportedAt?: string;
  /** A change settled after the report (redriven from the DLQ): a report-again execution was started. */
  reportAgainAt?: string;
}

/** The run records (AWS: DynamoDB, read strongly consistently). */
export interface RunRecordStore {
  /** Creates the record unless it exists: true when this call created it. */
  create(record: RunRecord): Promise<boolean>;
  get(runId: string): Promise<RunRecord | undefined>;
  /** Sets these attributes (only those given). */
  update(runId: string, patch: Partial<Omit<RunRecord, 'run' | 'queued' | 'settled' | 'failed' | 'submitted' | 'enqueued'>>): Promise<void>;
  /**
   * Counts `to - from` more changes of list `source` as queued, if that list's progress is still
   * `from` (a retried enqueue carries on where the last attempt's progress was recorded): false
   * when it was not (another attempt moved it), and nothing is counted.
   */
  addQueued(runId: string, source: string, from: number, to: number): Promise<boolean>;
  /**
   * Records that these logins' queued changes have an outcome: `submitted` (CSV, handed to Coupa's
   * loader) or final (anything else). Each login counts once as settled (and once as submitted),
   * however often it is recorded; a failed final outcome counts in `failed`.
   */
  settle(runId: string, outcomes: ReadonlyArray<{ login: string; outcome: Outcome }>): Promise<void>;
  /** Sets the attribute to `at` unless it is set: true for the one caller that set it. */
  markOnce(runId: string, attribute: 'overdueAlertedAt' | 'failureAlertedAt' | 'reportAgainAt', at: string): Promise<boolean>;
}

/** One run waiting in a lane's line. */
export interface LineEntry {
  runId: string;
  file: string;
  arrivedAt: string;
  /** Set once the "still waiting" alert went out. */
  alertedAt?: string;
}

/** Who holds a lane's turn. */
export interface TurnHolder {
  runId: string;
  arrivedAt: string;
  takenAt: string;
}

/**
 * The lines of runs of one bucket (AWS: one DynamoDB partition per bucket), one per lane: waiting
 * entries sorted by arrival then run id, and the one turn.
 */
export interface RunLineStore {
  /** Adds the run to the lane's line (again: unchanged). */
  enter(lane: 'apply' | 'preview', entry: LineEntry): Promise<void>;
  /** The lane's line, oldest first (arrival, then run id), read strongly consistently. */
  waiting(lane: 'apply' | 'preview'): Promise<LineEntry[]>;
  holder(lane: 'apply' | 'preview'): Promise<TurnHolder | undefined>;
  /**
   * Takes the lane's turn if nobody holds it (a conditional write) and records the holder's arrival
   * as the lane's latest start: true for the one caller that took it.
   */
  take(lane: 'apply' | 'preview', holder: TurnHolder): Promise<boolean>;
  /** The arrival of the latest run that took the lane's turn (a file older than that, arriving later, is stale). */
  latestStart(lane: 'apply' | 'preview'): Promise<string | undefined>;
  /**
   * Gives the turn back if `runId` holds it (a conditional delete naming the holder), and takes the
   * run's entry out of the line: true when it held the turn.
   */
  release(lane: 'apply' | 'preview', runId: string): Promise<boolean>;
  /** Takes the run's entry out of the line (it leaves without the turn: stale, refused, failed). */
  leave(lane: 'apply' | 'preview', entry: Pick<LineEntry, 'runId' | 'arrivedAt'>): Promise<void>;
  /** Marks the entry alerted unless it is: true for the one caller that marked it. */
  markAlerted(lane: 'apply' | 'preview', entry: Pick<LineEntry, 'runId' | 'arrivedAt'>, at: string): Promise<boolean>;
}

/** Starts a report-again execution of a run (AWS: Step Functions StartExecution); false when one exists. */
export interface RunStarter {
  /** The record gives what a run's start carries (file, version, channel, bucket, arrival). */
  reportAgain(record: Pick<RunRecord, 'run' | 'version' | 'channel' | 'dryRun' | 'arrivedAt' | 'bucket'>): Promise<boolean>;
}

/** One record() call's outcomes as a ledger kept them, with when. */
export interface RecordedOutcomes {
  recordedAt: string;
  outcomes: RowOutcome[];
}

/** A run's recorded outcomes, read back in the order they were recorded (the report is built from them). */
export interface OutcomeLog {
  read(runId: string): AsyncIterable<RecordedOutcomes>;
}

/** The integration a sync reports into (Coupa: /api/integrations). */
export interface IntegrationSpec {
  code: string;
  name: string;
  endSystem: string;
  /** `api` for the Users API channel, `flat_file` for the CSV channel. */
  integrationType: 'api' | 'flat_file';
}

/** The status actions of a Coupa integration run. */
export type IntegrationRunAction = 'run' | 'pause' | 'success' | 'fail';

/**
 * Coupa's own integration monitoring (integrations, integration runs, integration errors), through
 * the same transport and rate budget as the users. Ids are Coupa's, as text.
 */
export interface IntegrationMonitoring {
  /** Scopes the OAuth token was taken without, because Coupa refused them (monitoring cannot write). */
  scopesRefused(): readonly string[];
  findIntegration(code: string): Promise<string | undefined>;
  createIntegration(spec: IntegrationSpec): Promise<string>;
  /** A new run (Coupa creates it pending). `flow` is the run's free text: see docs/monitoring.md. */
  createRun(integrationId: string, fields: { startTime: string; flow: string }): Promise<string>;
  updateRun(runId: string, fields: { flow?: string; endTime?: string }): Promise<void>;
  setRunStatus(runId: string, action: IntegrationRunAction): Promise<void>;
  /** One error on a Coupa user; `alert` raises it through create_alert (Coupa e-mails the integration's contacts). */
  raiseError(error: { runId: string; userId: string; message: string; alert: boolean }): Promise<string>;
  resolveError(errorId: string): Promise<void>;
}

/** What the sync remembers of Coupa's monitoring between runs and processes (MonitoringState in core/monitoring). */
export interface MonitoringStateStore {
  integrationId(code: string): Promise<string | undefined>;
  saveIntegrationId(code: string, id: string): Promise<void>;
  /** The Coupa integration run of a sync run, and what it has raised and resolved so far. */
  runRecord(runId: string): Promise<MonitoredRun | undefined>;
  saveRunRecord(runId: string, record: MonitoredRun): Promise<void>;
  /** Open errors raised per login (lower case): error ids. */
  openErrors(): Promise<Record<string, string[]>>;
  saveOpenErrors(errors: Record<string, string[]>): Promise<void>;
}

export interface MonitoredRun {
  /** Absent when the run could not be created in Coupa (see `warning`). */
  coupaRunId?: string;
  integrationId?: string;
  status?: 'pending' | 'running' | 'paused' | 'successful' | 'failed';
  startedAt: string;
  raised: number;
  resolved: number;
  /** Failed rows of known users the end step has raised errors for so far (a retried step skips them). */
  failedRowsSeen?: number;
  /** Why monitoring could not write for this run; `scopeRefused` stops its later phases asking again. */
  warning?: string;
  scopeRefused?: boolean;
}
