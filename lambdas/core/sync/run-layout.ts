/**
 * Where a run's records live in the bucket (AWS). One place, shared by the planner, the reporter
 * and their stores. `pending` and `held` cannot clash with a run id, which always ends in
 * `-<12 hex>` (runIdFor).
 */
export const PENDING_RUNS_PREFIX = 'runs/pending/';
export const HELD_RUNS_PREFIX = 'runs/held/';
export const pendingMarkerKey = (runId: string) => `${PENDING_RUNS_PREFIX}${runId}`;
export const heldMarkerKey = (runId: string) => `${HELD_RUNS_PREFIX}${runId}`;
export const splitKey = (runId: string) => `runs/${runId}/split.json`;
export const claimKey = (runId: string) => `runs/${runId}/claim.json`;
/** A run's circuit-breaker verdict (created once: tripped or passed) and the tallies concurrent consumers add. */
export const breakerVerdictKey = (runId: string) => `runs/${runId}/breaker.json`;
export const breakerTallyPrefix = (runId: string) => `runs/${runId}/breaker/`;
/**
 * The line of runs (run-queue.ts): waiting entries (the key sorts by arrival), the one turn, and the
 * start requests S3 hands to the planner. `waiting`, `start` and `turn.json` cannot clash with a run id.
 */
export const WAITING_RUNS_PREFIX = 'runs/waiting/';
export const START_RUNS_PREFIX = 'runs/start/';
export const RUN_TURN_KEY = 'runs/turn.json';
/** `continue/<runId>`: the planner asks itself to carry on a run's unfinished read of Coupa (continuation.ts). */
export const CONTINUE_PREFIX = 'continue/';
export const continueKey = (runId: string) => `${CONTINUE_PREFIX}${runId}`;
/** Created once per continuation step: of two deliveries of one continuation event, one carries on. */
/**
 * One gate per continuation request (its step and when it was asked for): both deliveries of one
 * `continue/` event share it, while a run that read afresh (after a failure) and asks for step 1 again
 * gets a new one instead of finding the first read's gate taken.
 */
export const continuationGateKey = (runId: string, step: number, requestedAt: string) =>
  `runs/${runId}/continuations/${step}-${requestedAt.replace(/[^0-9A-Za-z]/g, '')}.json`;
/** The logins each csv batch settled in a run (S3SettledLogins): runs/<runId>/csv-settled/<batchTag>.json. */
export const csvSettledPrefix = (runId: string) => `runs/${runId}/csv-settled/`;

/** A run's plan as the plan step kept it (its SHA-256 is in the run record). */
export const planKey = (runId: string) => `runs/${runId}/plan.json`;
/** The changes a held run still applies once approved and re-checked (its SHA-256 is in the execution's data). */
export const approvedKey = (runId: string) => `runs/${runId}/approved.json`;
