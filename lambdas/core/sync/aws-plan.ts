/**
 * The plan stage in AWS (the planner Lambda): a dropped file is planned exactly once, its plan and
 * the rows it settles are recorded before anything is queued, and only changes are queued — one
 * message per login and run. A held run queues nothing and waits for `approvals/<runId>`.
 *
 * Claiming: an S3 event can arrive twice, hours apart (SQS-style 5-minute deduplication does not
 * help there). The first delivery creates runs/<runId>/claim.json with a conditional write; a later
 * one finds it and stops — unless the claim is a planning attempt that died (older than a Lambda
 * can live), which it takes over. A run whose read of Coupa does not fit one invocation is carried
 * on by `continue/<runId>` events (continuation.ts): the claim then waits for exactly that step.
 */
import { text as readAll } from 'node:stream/consumers';
import type { SyncConfig } from '../config';
import type { RowOutcome, RunRef } from '../model';
import type { StateDeps } from '../plan/read-coupa-state';
import type { Clock, Notifier, ObjectStore, OutcomeLedger, ReadCheckpointStore, RecordQueue, RunStore, SnapshotStore, StoredPlan, UserDirectory, WaitingRun } from '../ports';
import { HrFileError } from '../hr/read-hr-file';
import { ReadAbandoned, ReadSuspended, readEveryUserCheckpointed } from '../plan/checkpointed-read';
import { abandonedAlert, requestContinuation } from './continuation';
import { recheckStaged } from '../run/approve';
import { exemptionRulesOf } from '../run/exempt-now';
import { heldAlert, planFile, type RunDeps } from '../run/run-sync';
import { changeMessages } from './enqueue';
import { runDigest } from './notify';
import type { ReportDetails } from './report';
import { undeployedChannelReason, type Channel } from './route';
import { LOST_CONTINUATION_MS, type RunLine } from './run-queue';
import { claimKey, continuationGateKey, heldMarkerKey, pendingMarkerKey, splitKey } from './run-layout';

export interface AwsPlanDeps {
  objects: ObjectStore;
  state: RunStore & SnapshotStore;
  ledger: OutcomeLedger;
  notifier: Notifier;
  queue: (channel: Channel) => RecordQueue;
  directory: () => Promise<UserDirectory>;
  /** Pre-flight's reference lists and where they are kept (S3 state/references/); without it references are not checked. */
  references?: () => Promise<RunDeps['references']>;
  config: SyncConfig;
  clock: Clock;
  log: (message: string, data?: Record<string, unknown>) => void;
  /** The bucket approvals go to: the held alert names the exact command. */
  bucket?: string;
  /** Where a full read of Coupa that does not fit one invocation keeps its progress (with `readTimeLeft`). */
  checkpoints?: ReadCheckpointStore;
  /** Runs take turns writing to Coupa (run-queue.ts); without it (tests of one run) every run goes at once. */
  line?: RunLine;
}

/** A file to plan: `arrivedAt` orders the line of runs; `resumed` when its turn came after waiting. */
export interface PlanRequest {
  run: RunRef;
  version?: string;
  channel: Channel;
  dryRun: boolean;
  /** Milliseconds a full read of Coupa may still take in this invocation: past it, the read is continued later. */
  readTimeLeft?: () => number;
  /** The continuation step this invocation carries on (a `continue/<runId>` event). */
  continuation?: number;
  /** When that continuation was asked for (its request's `requestedAt`): names the step's gate. */
  continuationRequestedAt?: string;
  /** When S3 saw the file (the line of runs is ordered by it). */
  arrivedAt?: string;
  /** Its turn came after it waited in the line (a runs/start/ event). */
  resumed?: boolean;
}

/** What split.json holds: the reporter's view of the run. */
export interface SplitRecord {
  run: RunRef;
  channel: Channel;
  rows: number;
  absentees: number;
  splitAt: string;
  details: ReportDetails;
  /** Set once a held run is approved: its `held` outcomes then wait for what approval does. */
  approvedAt?: string;
  /** The file broke part-way (a delta file): the rows before the break were planned. */
  error?: string;
}

/** A planning attempt older than this died with its Lambda (15 minutes at most). */
const STALE_CLAIM_MS = 16 * 60_000;

/**
 * `planning`: an attempt is at it; `failed`: an attempt hit a transient error (Lambda retries the
 * event: the retry takes the run over); `waiting`: an earlier run is applying, its turn will start
 * it (run-queue.ts); `planned`, `rejected` (the file cannot be read): done; `continuing`: the read of
 * Coupa stopped, continuation `step` carries it on; `abandoned`: it gave up.
 */
type ClaimState = 'planning' | 'failed' | 'waiting' | 'planned' | 'rejected' | 'continuing' | 'abandoned';

function claimBody(run: RunRef, version: string | undefined, state: ClaimState, deps: AwsPlanDeps, step?: number): string {
  return JSON.stringify({ state, file: run.file, ...(version ? { version } : {}), ...(step ? { step } : {}), at: deps.clock.now().toISOString() });
}

/** True when this attempt may plan the run; else the state of the claim that stopped it. */
async function claim(run: RunRef, version: string | undefined, deps: AwsPlanDeps, resumed = false): Promise<true | ClaimState> {
  if (await deps.objects.create(claimKey(run.runId), claimBody(run, version, 'planning', deps))) return true;
  const earlier = JSON.parse(await readAll(await deps.objects.get(claimKey(run.runId)))) as { state: ClaimState; at: string };
  const died = earlier.state === 'planning' && deps.clock.now().getTime() - Date.parse(earlier.at) > STALE_CLAIM_MS;
  // A continuation whose event never came (Lambda gave it up after SPLITTER_MAX_EVENT_AGE): its turn starts the run afresh.
  const lost = earlier.state === 'continuing' && deps.clock.now().getTime() - Date.parse(earlier.at) > LOST_CONTINUATION_MS;
  if (earlier.state === 'failed' || died || (resumed && (earlier.state === 'waiting' || lost))) {
    await deps.objects.put(claimKey(run.runId), claimBody(run, version, 'planning', deps), 'application/json');
    return true;
  }
  return earlier.state;
}

/**
 * A continuation event carries the run on only when the claim waits for exactly its step (one of
 * two deliveries wins the step's gate), or when this step's attempt failed or died. An event of an
 * earlier step, or of a run planned meanwhile, is ignored.
 */
async function claimContinuation(run: RunRef, version: string | undefined, step: number, requestedAt: string, deps: AwsPlanDeps): Promise<boolean> {
  const earlier = JSON.parse(await readAll(await deps.objects.get(claimKey(run.runId)))) as { state: ClaimState; at: string; step?: number };
  if (earlier.step !== step) return false;
  const died = earlier.state === 'planning' && deps.clock.now().getTime() - Date.parse(earlier.at) > STALE_CLAIM_MS;
  const waiting = earlier.state === 'continuing' && (await deps.objects.create(continuationGateKey(run.runId, step, requestedAt), JSON.stringify({ step, at: deps.clock.now().toISOString() })));
  if (!waiting && earlier.state !== 'failed' && !died) return false;
  await deps.objects.put(claimKey(run.runId), claimBody(run, version, 'planning', deps, step), 'application/json');
  return true;
}

async function wasApproved(runId: string, deps: AwsPlanDeps): Promise<boolean> {
  const split = JSON.parse(await readAll(await deps.objects.get(splitKey(runId)))) as SplitRecord;
  return split.approvedAt !== undefined;
}

/**
 * Settled outcomes per ledger object: a million rejected rows are 200 objects of ~1 MB, never one
 * 150 MB body built in memory. The reporter reads every object of a run; a plan settles each row once,
 * so the chunks' order among themselves does not matter.
 */
export const OUTCOMES_PER_RECORD = 5_000;

async function recordInChunks(ledger: OutcomeLedger, run: RunRef, outcomes: Iterable<RowOutcome>): Promise<void> {
  let chunk: RowOutcome[] = [];
  let recorded = 0;
  for (const outcome of outcomes) {
    chunk.push(outcome);
    if (chunk.length === OUTCOMES_PER_RECORD) {
      await ledger.record(run, chunk);
      recorded += chunk.length;
      chunk = [];
    }
  }
  // The rest, or the one (empty) call a plan that settled no row always made.
  if (chunk.length > 0 || recorded === 0) await ledger.record(run, chunk);
}

/** What a planned file came to (the handler counts it): undefined when the run was planned before. */
export interface PlanRunResult {
  status: StoredPlan['status'];
  rows: number;
  /** Changes planned (applied now or staged in a held run). */
  planned: number;
  queued: number;
  staged: number;
  rejected: number;
}

export async function planRun(request: PlanRequest, deps: AwsPlanDeps): Promise<PlanRunResult | undefined> {
  const { run } = request;
  // Plan-only files write nothing to Coupa: they never wait for a turn.
  const line = request.dryRun ? undefined : deps.line;
  const entry: WaitingRun = { action: 'plan', run, ...(request.version ? { version: request.version } : {}), channel: request.channel, arrivedAt: request.arrivedAt ?? deps.clock.now().toISOString() };
  const claimed =
    request.continuation === undefined ? await claim(run, request.version, deps, request.resumed) : await claimContinuation(run, request.version, request.continuation, request.continuationRequestedAt ?? '', deps);
  if (claimed !== true) {
    // Its turn came for a run that is done (a start request repeated after the run passed its turn on).
    if (request.resumed && (claimed === 'planned' || claimed === 'rejected' || claimed === 'abandoned')) await passTurn(line, entry, deps);
    deps.log('S3 event for a run already planned: ignored', { file: run.file, claim: claimed, ...(request.continuation ? { continuation: request.continuation } : {}) });
    return undefined;
  }
  let planned: PlanRunResult;
  try {
    // Refused like an unreadable file (claimed as rejected, one alert), before it could wait for a
    // turn only to be refused: retrying cannot make the channel appear.
    const undeployed = undeployedChannelReason(request.channel, deps.config);
    if (undeployed) throw new HrFileError(run.file, undeployed);
    // A continuation carries on a run that holds its turn already.
    if (line && request.continuation === undefined && !(await line.waitTurn(entry))) {
      await deps.objects.put(claimKey(run.runId), claimBody(run, request.version, 'waiting', deps), 'application/json');
      return undefined;
    }
    planned = await planClaimed(request, deps);
  } catch (thrown) {
    let err = thrown;
    if (err instanceof ReadSuspended || err instanceof ReadAbandoned) {
      try {
        // A suspended read keeps the turn: its continuation goes on planning the run.
        if (err instanceof ReadSuspended) return await continueLater(request, err, deps);
        await giveUp(request, err, deps);
        await passTurn(line, entry, deps);
        return undefined;
      } catch (failed) {
        err = failed; // S3 or SNS trouble: as transient as any below
      }
    }
    // A file that cannot be read is done with (the caller reports it); anything else is transient:
    // the claim is let go, so Lambda's retry of the event plans the run instead of ignoring it.
    const state: ClaimState = err instanceof HrFileError ? 'rejected' : 'failed';
    await deps.objects.put(claimKey(run.runId), claimBody(run, request.version, state, deps, request.continuation), 'application/json').catch(() => undefined);
    if (err instanceof HrFileError) await passTurn(line, entry, deps);
    throw err;
  }
  await passTurn(line, entry, deps);
  return planned;
}

/**
 * The run's turn is done. A failure here must not fail (and so re-plan) a planned run: the reporter
 * finds the entry still in line, not applying, and starts it again, which then only passes the turn on.
 */
async function passTurn(line: RunLine | undefined, entry: WaitingRun, deps: AwsPlanDeps): Promise<void> {
  await line?.turnDone(entry).catch((err: unknown) => deps.log('turn not passed on: the run reporter will', { error: (err as Error).message }));
}

/** The read stopped at its deadline with its progress kept: the claim waits for the next step, which is asked for. */
async function continueLater(request: PlanRequest, suspended: ReadSuspended, deps: AwsPlanDeps): Promise<undefined> {
  const { run, version } = request;
  // The claim first: the continuation's event must find it waiting for its step.
  await deps.objects.put(claimKey(run.runId), claimBody(run, version, 'continuing', deps, suspended.step), 'application/json');
  await requestContinuation(deps.objects, { runId: run.runId, file: run.file, ...(version ? { version } : {}), step: suspended.step, requestedAt: deps.clock.now().toISOString() });
  deps.log("Coupa's users not all read yet: the run continues in a fresh invocation", { step: suspended.step, usersRead: suspended.usersRead });
  return undefined;
}

/** Every continuation used and the read still unfinished: one alert, and the run is done with. */
async function giveUp(request: PlanRequest, abandoned: ReadAbandoned, deps: AwsPlanDeps): Promise<undefined> {
  const { run, version } = request;
  await deps.notifier.publish(abandonedAlert(run, abandoned));
  await deps.objects.put(claimKey(run.runId), claimBody(run, version, 'abandoned', deps), 'application/json');
  await deps.checkpoints?.removeCheckpoint(run.runId);
  deps.log("reading Coupa's users given up", { continuations: abandoned.continuations, usersRead: abandoned.usersRead });
  return undefined;
}

async function planClaimed(request: PlanRequest, deps: AwsPlanDeps): Promise<PlanRunResult> {
  const { run, channel } = request;
  const { readTimeLeft, continuation } = request;
  const checkpoints = deps.checkpoints;
  const fullRead =
    readTimeLeft && checkpoints
      ? (d: StateDeps) => readEveryUserCheckpointed(d, { runId: run.runId, store: checkpoints, timeLeft: readTimeLeft, maxContinuations: deps.config.roster.maxReadContinuations })
      : undefined;
  if (continuation) deps.log("continuing the read of Coupa's users", { continuation });
  const planned = await planFile(
    {
      run,
      input: await deps.objects.get(run.file, request.version),
      read: { ownedCollections: deps.config.coupa.ownedCollections, hr: deps.config.hr },
      dryRun: request.dryRun,
      // Until the AWS path is reworked it keeps planning a broken delta file's rows read before the break.
      planBrokenDelta: true,
    },
    {
      directory: await deps.directory(),
      runs: deps.state,
      snapshots: deps.state,
      clock: deps.clock,
      config: deps.config,
      ...(fullRead ? { fullRead } : {}),
      ...(deps.references && deps.config.preflight.enabled ? { references: await deps.references() } : {}),
    },
  );
  // Held rows are recorded `held`: final for a run that is not approved (the report says so), replaced
  // by what approval does (the reporter waits for them once split.json says approvedAt). A plan-only
  // run records nothing: its report is written below, and its "created" rows were never applied
  // (the outcome metrics count what the ledger records).
  if (!planned.dryRun) await recordInChunks(deps.ledger, run, planned.outcomes.recorded());
  await deps.queue(channel).send(changeMessages(run, planned.toApply));

  const details: ReportDetails = { status: planned.status, dryRun: planned.dryRun, mode: planned.mode, guards: planned.guards, ...(planned.reason ? { reason: planned.reason } : {}) };
  const split: SplitRecord = {
    run,
    channel,
    rows: planned.rows,
    absentees: planned.toApply.filter((c) => c.absent).length,
    splitAt: planned.startedAt.toISOString(),
    details,
    ...(planned.broken ? { error: planned.broken } : {}),
  };
  await deps.objects.put(splitKey(run.runId), JSON.stringify(split), 'application/json');
  if (planned.broken) {
    // A delta file broken part-way: the rows before the break are planned (and queued); say how far it got.
    const fate = planned.dryRun ? 'planned only' : `${planned.toApply.length} change(s) queued, they will be applied and reported`;
    const message =
      `${planned.broken}\nThe first ${planned.rows} data row(s) were read (${fate}); the rest was not. ` +
      'Fix the file and upload it again: rows already applied will come out unchanged.';
    await deps.notifier.publish({ kind: 'file-rejected', subject: `Coupa user sync: ${run.file} was read only in part`, message, severity: 'failure', run });
  }
  if (planned.status === 'held') {
    await deps.objects.put(heldMarkerKey(run.runId), JSON.stringify(run), 'application/json');
    await deps.notifier.publish(
      heldAlert(planned, deps.bucket ? `In AWS, approve it with: npx coupa-sync approve ${run.runId} --bucket ${deps.bucket} (as the RunApprover role)` : undefined),
    );
  }
  if (planned.toApply.length > 0) {
    // The reporter assembles the report once every row has its outcome.
    await deps.objects.put(pendingMarkerKey(run.runId), JSON.stringify(run), 'application/json');
  } else {
    const report = planned.outcomes.report(run, planned.startedAt, deps.clock.now(), details);
    await deps.notifier.publish(runDigest(report, await deps.state.saveReport(report)));
  }
  await deps.objects.put(claimKey(run.runId), claimBody(run, request.version, 'planned', deps), 'application/json');
  deps.log('HR file planned', { status: planned.status, rows: planned.rows, queued: planned.toApply.length, staged: planned.staged.length });
  return {
    status: planned.status,
    rows: planned.rows,
    planned: planned.toApply.length + planned.staged.length,
    queued: planned.toApply.length,
    staged: planned.staged.length,
    rejected: planned.outcomes.count('rejected'),
  };
}

/**
 * `approvals/<runId>`: the held run's staged changes, each re-checked against Coupa now — queued
 * when it still applies, `skipped` when Coupa changed meanwhile or already holds it.
 */
export async function approveHeldRun(
  runId: string,
  deps: AwsPlanDeps,
  arrival: { arrivedAt?: string; resumed?: boolean } = {},
): Promise<{ channel: Channel; queued: number; skipped: number } | undefined> {
  const plan = await deps.state.loadPlan(runId);
  const entry = (run: RunRef): WaitingRun => ({ action: 'approve', run, arrivedAt: arrival.arrivedAt ?? deps.clock.now().toISOString() });
  if (plan && plan.status !== 'held' && (await wasApproved(runId, deps))) {
    // S3 delivered the approvals/<runId> event again: the run was approved already.
    if (arrival.resumed) await passTurn(deps.line, entry(plan.run), deps);
    deps.log('approval for a run approved already: ignored', { status: plan.status });
    return undefined;
  }
  if (!plan || plan.status !== 'held') {
    // Its turn came for an approval of a run no longer held (it expired while waiting): done with.
    if (plan && arrival.resumed) await passTurn(deps.line, entry(plan.run), deps);
    await deps.notifier.publish({
      kind: 'approval-ignored',
      severity: 'failure',
      subject: `Coupa user sync: approval for run ${runId} ignored`,
      message: plan ? `Run ${runId} is ${plan.status}, not held: nothing to approve.` : `No run ${runId} was planned in this bucket.`,
    });
    return undefined;
  }
  // Approval writes to Coupa: it waits for its turn like a run (and re-checks Coupa when it comes).
  if (deps.line && !(await deps.line.waitTurn(entry(plan.run)))) return undefined;
  const split = JSON.parse(await readAll(await deps.objects.get(splitKey(runId)))) as SplitRecord;
  const { toApply: toQueue, skipped } = await recheckStaged(plan.staged, await deps.directory(), exemptionRulesOf(deps.config));
  const approvedAt = deps.clock.now().toISOString();
  const details: ReportDetails = { ...split.details, status: 'complete', reason: `approved at ${approvedAt} (${plan.reason ?? 'held'})` };
  // Absentees queued when the run was planned (apply-rest queues none) and now: the same on a retry.
  const absentees = plan.changes.filter((c) => c.absent).length - plan.staged.filter((c) => c.absent).length + toQueue.filter((c) => c.absent).length;
  // The plan is marked approved last: until then a retry of this event (after S3, SQS or Coupa
  // trouble) approves it again instead of finding it "not held"; SQS drops the messages it already has.
  await deps.ledger.record(plan.run, skipped);
  await deps.queue(split.channel).send(changeMessages(plan.run, toQueue));
  await deps.objects.put(splitKey(runId), JSON.stringify({ ...split, absentees, approvedAt, details }), 'application/json');
  await deps.objects.put(pendingMarkerKey(runId), JSON.stringify(plan.run), 'application/json');
  await deps.state.savePlan({ ...plan, status: 'complete', staged: [] });
  if (plan.mode === 'full') await deps.state.acceptRoster({ runId, logins: plan.rosterLogins, at: approvedAt });
  deps.log('held run approved', { queued: toQueue.length, skipped: skipped.length });
  await passTurn(deps.line, entry(plan.run), deps);
  return { channel: split.channel, queued: toQueue.length, skipped: skipped.length };
}
