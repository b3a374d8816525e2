/**
 * The contract of a run's state machine (defined in lib/constructs/run-machine.ts):
 * the data an execution carries, the task each Task state asks a run function for, and the
 * error names its Retry/Catch rules match. One module, shared by the handlers that do the work
 * (lambdas/run-plan.ts, lambdas/run-task.ts: functionOf), the CDK definition that routes between the
 * steps, and the tests.
 *
 * An execution's data (`$`) is a RunState. Each Task state invokes its function with
 * `{ task, state: $ }` (plus the extra fields a few tasks take, see TaskRequest) and puts what it
 * returns at the ResultPath named in RESULT_PATH. Nothing here names an AWS service: the words are
 * the run's.
 */
import type { RunRef } from '../model';

export type Channel = 'api' | 'csv';

/**
 * The two lanes of runs. `apply`: runs that write to Coupa take turns, one at a time per bucket, in
 * arrival order. `preview`: plan-only files (plan/) never wait for an applying run, but take turns
 * among themselves, so their reads of Coupa stay within the preview share of the rate budget.
 */
export type Lane = 'apply' | 'preview';

/** What the splitter starts an execution with (the execution is named by run.runId). */
export interface RunStart {
  run: RunRef;
  /** The HR file's object version (exactly this one is read). */
  version?: string;
  channel: Channel;
  /** A plan/ file: plan and report only, nothing written to Coupa. */
  dryRun: boolean;
  /** When the file arrived (the storage event's time): the line's order. */
  arrivedAt: string;
  /** The bucket the file arrived in (one line per bucket). */
  bucket: string;
  /**
   * `run` (default): an HR file. `report-again`: a reported run one of whose changes settled later
   * (redriven from the dead-letter queue): its report and digest are written again, nothing else.
   */
  mode?: 'run' | 'report-again';
}

/** admit: the run record is created (once); the lane the run takes. */
export interface AdmitResult {
  lane: Lane;
}

/** take-turn: the lane's turn, or how long to wait before asking again. */
export interface TurnResult {
  status: 'taken' | 'waiting' | 'stale';
  /** Seconds the WaitForTurn state waits before asking again (grows while waiting: the execution history stays small). */
  waitSeconds: number;
  /** The run holding the turn (waiting), or the newer run already applied (stale). */
  behind?: string;
}

/** read-coupa: a full read of Coupa's users, in as many invocations as it takes (a cursor kept by the store). */
export interface ReadResult {
  done: boolean;
  /** Invocations used so far (the cursor's step); the next read-coupa carries on from it. */
  step: number;
  usersRead: number;
  /** Set by the state machine when plan asked for a full read (a guard needs every user). */
  force?: boolean;
}

/** plan: the plan is kept (runs/<runId>/plan.json) with its SHA-256; what comes next. */
export interface PlanResult {
  /**
   * `apply`: changes to queue. `held`: a guard held the run (with `toApply` > 0 under
   * roster.onHold "apply-rest": the rest is queued first). `nothing`: nothing to change. `planned`: a
   * plan-only run. `needs-full-read`: a guard needs every user and only the file's were read.
   */
  outcome: 'apply' | 'held' | 'nothing' | 'planned' | 'needs-full-read';
  planSha256?: string;
  toApply: number;
  staged: number;
  rows: number;
}

/** recheck: a held run, approved, checked against Coupa as it is now; what still applies is kept to queue. */
export interface RecheckResult {
  toApply: number;
  skipped: number;
  /** The SHA-256 of runs/<runId>/approved.json (the changes to queue), when toApply > 0. */
  approvedSha256?: string;
}

/** enqueue: the changes are on the channel's queue (once each, even when retried). */
export interface EnqueueResult {
  queued: number;
}

/** check-apply: whether every queued change has its outcome. */
export interface ApplyProgress {
  done: boolean;
  queued: number;
  settled: number;
  failed: number;
  /** Seconds the WaitForApply state waits before asking again. */
  waitSeconds: number;
}

/** What SendTaskSuccess hands the WaitForApproval state (coupa-sync approve). */
export interface ApprovalResult {
  approvedBy: string;
  approvedAt: string;
}

/** An error caught by a Catch rule (the state machine's own shape). */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** An execution's data: the start, then each step's result at its ResultPath. */
export interface RunState extends RunStart {
  admitted?: AdmitResult;
  turn?: TurnResult;
  read?: ReadResult;
  plan?: PlanResult;
  /** After approval: `approved` (the TakeTurn loop then leads to Recheck instead of ReadCoupa). */
  phase?: 'first' | 'approved';
  approval?: ApprovalResult;
  recheck?: RecheckResult;
  queued?: EnqueueResult;
  apply?: ApplyProgress;
  error?: CaughtError;
}

/** The tasks of a run (each done by one of its two functions: functionOf), by the name the state machine asks for. */
export const RUN_TASKS = [
  'admit',
  'take-turn',
  'release-turn',
  'read-coupa',
  'plan',
  'enqueue',
  'check-apply',
  'report',
  'report-held',
  'await-approval',
  'recheck',
  'fail',
  'expire',
  'reject',
  'refuse-file',
  'stale',
] as const;
export type RunTask = (typeof RUN_TASKS)[number];

/**
 * The tasks the planning function does (lambdas/run-plan.ts): reading Coupa, planning, re-checking an
 * approved run — the HR reader, the planner and pre-flight. Every other task is the run-task
 * function's (lambdas/run-task.ts): turns, queueing, progress, the approval wait, reports and endings.
 * Two functions, not one, so each bundle stays small (under 300 KB): the planning steps never carry
 * the report renderers, and the frequent light steps (a turn, a progress check) never load the planner.
 */
export const PLANNING_TASKS = ['read-coupa', 'plan', 'recheck'] as const satisfies readonly RunTask[];

/** The function a Task state invokes for `task`. */
export type RunFunction = 'run-plan' | 'run-task';
export const functionOf = (task: RunTask): RunFunction => ((PLANNING_TASKS as readonly RunTask[]).includes(task) ? 'run-plan' : 'run-task');

/** Why `function` refuses `task`: a definition that routes it elsewhere than functionOf says, or no such task. */
export function misrouted(task: string, here: RunFunction): string {
  if (!(RUN_TASKS as readonly string[]).includes(task)) return `unknown run task ${JSON.stringify(task)}`;
  return `run task "${task}" is done by ${functionOf(task as RunTask)}, not ${here}`;
}

/**
 * What a run function is invoked with. `source` (enqueue): which list of changes to queue, the
 * plan's (`plan`) or the approved one (`approved`). `token` (await-approval): the task token the
 * approval sends back.
 */
export interface TaskRequest {
  task: RunTask;
  state: RunState;
  source?: 'plan' | 'approved';
  token?: string;
}

/** Where each task's result goes in the execution's data. */
export const RESULT_PATH: Partial<Record<RunTask, keyof RunState>> = {
  admit: 'admitted',
  'take-turn': 'turn',
  'read-coupa': 'read',
  plan: 'plan',
  recheck: 'recheck',
  enqueue: 'queued',
  'check-apply': 'apply',
};

/**
 * Error names the tasks throw on purpose (a failed task's error type is the error's `name`), matched by
 * the state machine: none of them is retried.
 * - `HrFileError`: the HR file cannot be read (or is routed to a channel the stack lacks): refused, one alert.
 * - `PlanChanged`: plan.json (or approved.json) no longer has the SHA-256 the plan returned: stopped, one alert.
 * - `TurnLost`: a write step found its run no longer holds the turn (a redriven execution): back to WaitForTurn.
 * - `ReadAbandoned`: reading Coupa used roster.maxReadContinuations invocations: stopped, one alert.
 * - `Rejected`: the operator's `coupa-sync reject` (SendTaskFailure) on WaitForApproval.
 */
export const RUN_ERRORS = {
  fileRefused: 'HrFileError',
  planChanged: 'PlanChanged',
  turnLost: 'TurnLost',
  readAbandoned: 'ReadAbandoned',
  rejected: 'Rejected',
} as const;

/** Errors never retried by a Task state's Retry rule. */
export const NOT_RETRIED: readonly string[] = Object.values(RUN_ERRORS);

/** An error whose name the state machine routes on (see RUN_ERRORS). */
export class RunStepError extends Error {
  constructor(name: (typeof RUN_ERRORS)[keyof typeof RUN_ERRORS], message: string) {
    super(message);
    this.name = name;
  }
}
