/**
 * The plan stage in AWS (the planner Lambda): a dropped file is planned exactly once, its plan and
 * the rows it settles are recorded before anything is queued, and only changes are queued — one
 * message per login and run. A held run queues nothing and waits for `approvals/<runId>`.
 *
 * Claiming: an S3 event can arrive twice, hours apart (SQS-style 5-minute deduplication does not
 * help there). The first delivery creates runs/<runId>/claim.json with a conditional write; a later
 * one finds it and stops — unless the claim is a planning attempt that died (older than a Lambda
 * can live), which it takes over.
 */
import type { Readable } from 'node:stream';
import type { SyncConfig } from '../config';
import type { RunRef } from '../model';
import type { Clock, Notifier, ObjectStore, OutcomeLedger, RecordQueue, RunStore, SnapshotStore, StoredPlan, UserDirectory } from '../ports';
import { HrFileError } from '../hr/read-hr-file';
import { recheckStaged } from '../run/approve';
import { heldAlert, planFile } from '../run/run-sync';
import { changeMessages } from './enqueue';
import { runDigest } from './notify';
import type { ReportDetails } from './report';
import type { Channel } from './route';
import { claimKey, heldMarkerKey, pendingMarkerKey, splitKey } from './run-layout';

export interface AwsPlanDeps {
  objects: ObjectStore;
  state: RunStore & SnapshotStore;
  ledger: OutcomeLedger;
  notifier: Notifier;
  queue: (channel: Channel) => RecordQueue;
  directory: () => Promise<UserDirectory>;
  config: SyncConfig;
  clock: Clock;
  log: (message: string, data?: Record<string, unknown>) => void;
  /** The bucket approvals go to: the held alert names the exact command. */
  bucket?: string;
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
 * event: the retry takes the run over); `planned`, `rejected` (the file cannot be read): done.
 */
type ClaimState = 'planning' | 'failed' | 'planned' | 'rejected';

function claimBody(run: RunRef, version: string | undefined, state: ClaimState, deps: AwsPlanDeps): string {
  return JSON.stringify({ state, file: run.file, ...(version ? { version } : {}), at: deps.clock.now().toISOString() });
}

async function claim(run: RunRef, version: string | undefined, deps: AwsPlanDeps): Promise<boolean> {
  if (await deps.objects.create(claimKey(run.runId), claimBody(run, version, 'planning', deps))) return true;
  const earlier = JSON.parse(await readAll(await deps.objects.get(claimKey(run.runId)))) as { state: ClaimState; at: string };
  const died = earlier.state === 'planning' && deps.clock.now().getTime() - Date.parse(earlier.at) > STALE_CLAIM_MS;
  if (earlier.state === 'failed' || died) {
    await deps.objects.put(claimKey(run.runId), claimBody(run, version, 'planning', deps), 'application/json');
    return true;
  }
  return false;
}

async function wasApproved(runId: string, deps: AwsPlanDeps): Promise<boolean> {
  const split = JSON.parse(await readAll(await deps.objects.get(splitKey(runId)))) as SplitRecord;
  return split.approvedAt !== undefined;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
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

export async function planRun(
  request: { run: RunRef; version?: string; channel: Channel; dryRun: boolean },
  deps: AwsPlanDeps,
): Promise<PlanRunResult | undefined> {
  const { run } = request;
  if (!(await claim(run, request.version, deps))) {
    deps.log('S3 event for a run already planned: ignored', { file: run.file });
    return undefined;
  }
  try {
    return await planClaimed(request, deps);
  } catch (err) {
    // A file that cannot be read is done with (the caller reports it); anything else is transient:
    // the claim is let go, so Lambda's retry of the event plans the run instead of ignoring it.
    const state: ClaimState = err instanceof HrFileError ? 'rejected' : 'failed';
    await deps.objects.put(claimKey(run.runId), claimBody(run, request.version, state, deps), 'application/json').catch(() => undefined);
    throw err;
  }
}

async function planClaimed(request: { run: RunRef; version?: string; channel: Channel; dryRun: boolean }, deps: AwsPlanDeps): Promise<PlanRunResult> {
  const { run, channel } = request;
  const planned = await planFile(
    {
      run,
      input: await deps.objects.get(run.file, request.version),
      read: { ownedCollections: deps.config.coupa.ownedCollections, hr: deps.config.hr },
      dryRun: request.dryRun,
    },
    { directory: await deps.directory(), runs: deps.state, snapshots: deps.state, clock: deps.clock, config: deps.config },
  );
  // Held rows are recorded `held`: final for a run that is not approved (the report says so), replaced
  // by what approval does (the reporter waits for them once split.json says approvedAt). A plan-only
  // run records nothing: its report is written below, and its "created" rows were never applied
  // (the outcome metrics count what the ledger records).
  if (!planned.dryRun) await deps.ledger.record(run, planned.outcomes.all());
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
export async function approveHeldRun(runId: string, deps: AwsPlanDeps): Promise<{ channel: Channel; queued: number; skipped: number } | undefined> {
  const plan = await deps.state.loadPlan(runId);
  if (plan && plan.status !== 'held' && (await wasApproved(runId, deps))) {
    // S3 delivered the approvals/<runId> event again: the run was approved already.
    deps.log('approval for a run approved already: ignored', { status: plan.status });
    return undefined;
  }
  if (!plan || plan.status !== 'held') {
    await deps.notifier.publish({
      kind: 'approval-ignored',
      severity: 'failure',
      subject: `Coupa user sync: approval for run ${runId} ignored`,
      message: plan ? `Run ${runId} is ${plan.status}, not held: nothing to approve.` : `No run ${runId} was planned in this bucket.`,
    });
    return undefined;
  }
  const split = JSON.parse(await readAll(await deps.objects.get(splitKey(runId)))) as SplitRecord;
  const { toApply: toQueue, skipped } = await recheckStaged(plan.staged, await deps.directory());
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
  return { channel: split.channel, queued: toQueue.length, skipped: skipped.length };
}
