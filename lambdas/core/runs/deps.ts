/** What the run's steps are given (lambdas/run-plan.ts and lambdas/run-task.ts wire their parts from the AWS adapters; tests from fakes and dynalite). */
import type { SyncConfig } from '../config';
import type {
  BreakerVerdict,
  Clock,
  Notifier,
  ObjectStore,
  OutcomeLedger,
  OutcomeLog,
  ReadCheckpointStore,
  RecordQueue,
  RunLineStore,
  RunRecordStore,
  RunStore,
  SnapshotStore,
  UserDirectory,
} from '../ports';
import type { RunMonitor } from '../monitoring/run-monitor';
import type { RunDeps } from '../run/run-sync';
import type { Channel, Lane } from './contract';

export interface RunStepDeps {
  records: RunRecordStore;
  line: RunLineStore;
  /** Raw objects: the HR file (exactly its version), plan.json and approved.json (hashed as stored). */
  objects: ObjectStore;
  /** Plans, reports, the accepted roster, the kept snapshot of Coupa's users and a full read's cursor. */
  state: RunStore & SnapshotStore & ReadCheckpointStore;
  /** The run's own records (rows the plan settles, skipped changes at approval): they never count as settled. */
  ledger: OutcomeLedger;
  /** Every outcome recorded for a run, in order (the report's source). */
  outcomes: OutcomeLog;
  queue: (channel: Channel) => RecordQueue;
  /** The Coupa client at the lane's share of the rate budget (rate-shares.ts). */
  directory: (lane: Lane) => Promise<UserDirectory>;
  notifier: Notifier;
  config: SyncConfig;
  clock: Clock;
  log: (message: string, data?: Record<string, unknown>) => void;
  /** Milliseconds this invocation may still run. */
  timeLeft: () => number;
  /** Pre-flight's reference lists and where they are kept between runs (absent: references are not checked). */
  references?: (lane: Lane) => Promise<RunDeps['references']>;
  /**
   * The run in Coupa's integration monitoring (coupa.monitoring.enabled), for the run's channel:
   * undefined when monitoring is off. Never fails the run (RunMonitor turns refusals into a warning).
   */
  monitor?: (channel: Channel) => Promise<RunMonitor | undefined>;
  /** The run's circuit-breaker verdict (the consumers decide it). */
  breakerVerdict?: (runId: string) => Promise<BreakerVerdict | undefined>;
  /** The exact commands that approve or reject a held run here (they name the run table). */
  commands?: { approve(runId: string): string; reject(runId: string): string };
}

/** What the planning function's tasks use (plan-task.ts: read-coupa, plan, recheck). */
export type PlanningDeps = Pick<RunStepDeps, 'records' | 'line' | 'objects' | 'state' | 'ledger' | 'directory' | 'references' | 'monitor' | 'clock' | 'config' | 'log' | 'timeLeft'>;

/** What the run-task function's tasks use (run-task.ts): no Coupa users client, no reference lists. */
export type StepDeps = Omit<RunStepDeps, 'directory' | 'references'>;
