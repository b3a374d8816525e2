/**
 * Carrying a run on in a fresh planner invocation when its full read of Coupa's users does not fit
 * one (plan/checkpointed-read.ts keeps the read's progress; aws-plan.ts claims the run for it).
 *
 * The planner asks for a continuation by writing `continue/<runId>` to the bucket, whose
 * ObjectCreated event starts the planner again, as `approvals/<runId>` does. Chosen over an
 * asynchronous self-invoke because the continuation then arrives exactly as the first event did:
 * an S3 event with Lambda's retries and the same on-failure queue and alarm (SplitFailedEvents),
 * no lambda:InvokeFunction grant on itself, and one more versioned object that says what was asked
 * and when. Over Step Functions because the design card is S3 → Lambda → SQS and a state machine
 * would have to re-host the claim, the approval and the failure path that S3 events already carry.
 *
 * Each continuation names its step; the run's claim waits for exactly that step, and a gate object
 * per step lets one of two deliveries in. A stale or duplicated continuation event is ignored.
 */
import { text as readAll } from 'node:stream/consumers';
import type { RunRef } from '../model';
import type { Notification, ObjectStore } from '../ports';
import type { ReadAbandoned } from '../plan/checkpointed-read';
import { continueKey } from './run-layout';

/** What `continue/<runId>` holds: enough to plan the same run again. */
export interface ContinuationRequest {
  runId: string;
  /** The HR file's key (incoming/… or plan/…). */
  file: string;
  /** Exactly the version the run plans (as the first event named it). */
  version?: string;
  /** 1 for the first continuation; the claim waits for this number. */
  step: number;
  requestedAt: string;
}

/**
 * Of the time an invocation has when it starts, the share kept for what follows the read of
 * Coupa: the `updated_at` refresh, keeping the snapshot, planning, guards, recording the settled
 * rows and queueing the changes. A third (5 of Lambda's 15 minutes) is several times what the CLI
 * bench measured for planning 500,000 users (95 s including an unthrottled read), and still holds
 * a page request that is retried to its worst (coupa.requestTimeoutMs + maxRetryMs, 90 s by
 * default) when the deadline comes.
 */
export const PLANNING_SHARE = 1 / 3;

/**
 * How long the read may still go on, from the invocation's remaining time (Lambda's
 * `context.getRemainingTimeInMillis`): the time left less PLANNING_SHARE of what there was at first.
 */
export function readTimeLeft(remainingMs: () => number): () => number {
  const reserve = remainingMs() * PLANNING_SHARE;
  return () => remainingMs() - reserve;
}

export async function requestContinuation(objects: ObjectStore, request: ContinuationRequest): Promise<void> {
  await objects.put(continueKey(request.runId), JSON.stringify(request), 'application/json');
}

/** The continuation exactly this version of `key` asks for (only the planner may write continue/). */
export async function readContinuation(objects: ObjectStore, key: string, version: string | undefined): Promise<ContinuationRequest> {
  const request = JSON.parse(await readAll(await objects.get(key, version))) as ContinuationRequest;
  if (key !== continueKey(request.runId) || typeof request.file !== 'string' || !Number.isInteger(request.step) || request.step < 1) {
    throw new Error(`${key} is not a continuation the planner wrote`);
  }
  return request;
}

/** The alert of a run whose read of Coupa used every continuation allowed. */
export function abandonedAlert(run: RunRef, abandoned: ReadAbandoned): Notification {
  return {
    kind: 'stopped',
    severity: 'failure',
    subject: `Coupa user sync stopped: ${run.file} (reading Coupa took too long)`,
    message:
      `Run ${run.runId}: ${abandoned.message}. Coupa answered too slowly for the users it holds ` +
      '(see Limits in the README): upload the file again when Coupa is less busy, or raise roster.maxReadContinuations.',
    run,
  };
}

