/**
 * The api-consumer's core: a batch of queued changes → Coupa, each outcome recorded as soon as it
 * is known (a Lambda that dies mid-batch loses no record of what it applied).
 *
 * A redelivered change (SQS hands it out again after a timeout or crash) is checked against Coupa
 * first: if its user already holds what the change sets — the first delivery applied it but died
 * before recording — it is recorded with its planned outcome and not sent again, so a create never
 * fails with "Login has already been taken" and the audit keeps "created", not "unchanged".
 *
 * A change redriven from the dead-letter queue (hours or days later) is checked in full, as an
 * approval re-checks a held run: already held → its planned outcome; Coupa changed the user since
 * the plan → `skipped` with the reason (an old change never overwrites a newer one); else applied.
 */
import type { CoupaAuthError } from '../coupa-errors';
import type { ChangeMessage, PlannedChange, RunRef } from '../model';
import type { Notifier, OutcomeLedger, UserDirectory } from '../ports';
import { coupaLoginOf, recheck } from '../run/approve';
import { applyChanges, plannedOf } from './apply-changes';
import { OUTCOME_OF, resultOf, rowOutcomesOf } from './outcomes';
import { RunBreakers, type RunBreakersDeps } from './run-breaker';

export interface ConsumeDeps {
  directory: UserDirectory;
  ledger: OutcomeLedger;
  maxInFlight: number;
  /** Asked before each change: true hands the rest back (out of time). */
  shouldStop?: () => boolean;
  /** The circuit breaker each run shares with the other consumers; its "stopped" alert goes to `notifier`. */
  breaker?: RunBreakersDeps & { notifier: Notifier };
  /** Has a run reported again (its report and digest were written before a redriven change settled). */
  reportAgain?: (run: RunRef) => Promise<void>;
}

export interface ConsumeResult {
  /** The same message objects to hand back to the queue. */
  retry: ChangeMessage[];
  retryReason?: string;
  /**
   * The messages of `retry` whose change Coupa failed this time (with the error): genuine failed
   * attempts. The rest of `retry` was not tried (out of time, waiting for a level, credentials).
   */
  failedAttempts: Map<ChangeMessage, string>;
  fatal?: CoupaAuthError;
  applied: number;
  /** The shared breaker's tally could not be updated after the batch (S3 trouble): the next batch of the run counts again. */
  breakerProblem?: string;
  /** A run with a redriven change settled could not be marked to be reported again (S3 trouble). */
  reportAgainProblem?: string;
}


const CONFIRMED = 'confirmed after a redelivery: an earlier delivery had applied it';

export interface QueuedChange {
  message: ChangeMessage;
  receiveCount: number;
  /** Moved back from the dead-letter queue by an operator: a new message to SQS, but old news. */
  redriven?: boolean;
}

export async function consumeChanges(batch: QueuedChange[], deps: ConsumeDeps): Promise<ConsumeResult> {
  const result: ConsumeResult = { retry: [], failedAttempts: new Map(), applied: 0 };
  const messageOf = new Map<PlannedChange, ChangeMessage>(batch.map(({ message }) => [message.change, message]));
  const redriven = new Set(batch.filter((b) => b.redriven).map((b) => b.message.change));
  const redelivered = batch.filter((b) => b.receiveCount > 1 || b.redriven).map((b) => b.message.change);
  const done = new Set<PlannedChange>();
  let breakers: RunBreakers | undefined;
  try {
    breakers = deps.breaker && (await RunBreakers.open(batch.map((b) => b.message.runId), deps.breaker));
  } catch (err) {
    return { retry: batch.map((b) => b.message), retryReason: (err as Error).message, failedAttempts: new Map(), applied: 0 };
  }
  const runOf = (change: PlannedChange) => messageOf.get(plannedOf(change))!.runId;
  const record = (change: PlannedChange, outcomes: ReturnType<typeof rowOutcomesOf>) => {
    const message = messageOf.get(plannedOf(change))!;
    return deps.ledger.record({ runId: message.runId, file: message.file }, outcomes);
  };

  if (redelivered.length > 0) {
    let current;
    try {
      current = await deps.directory.findByLogins([...new Set(redelivered.map(coupaLoginOf))]);
    } catch (err) {
      // The confirmation read is the redelivered changes' attempt: it failed. The others were not tried.
      const reason = (err as Error).message;
      const failedAttempts = new Map(redelivered.map((c) => [messageOf.get(c)!, reason]));
      return { retry: batch.map((b) => b.message), retryReason: reason, failedAttempts, applied: 0 };
    }
    for (const change of redelivered) {
      const user = current.get(coupaLoginOf(change));
      const why = recheck(change, user);
      const already = change.kind === 'create' ? user !== undefined : user !== undefined && why?.startsWith('Coupa already holds');
      if (already) {
        await record(change, rowOutcomesOf(resultOf(change, OUTCOME_OF[change.kind], undefined, [CONFIRMED])));
        done.add(change);
      } else if (why && redriven.has(change)) {
        await record(change, rowOutcomesOf({ change, outcome: 'skipped', errors: [`redriven from the dead-letter queue: ${why}`] }));
        done.add(change);
      }
    }
  }

  // One user may come twice in a batch (two runs changed it): its changes must not race, so the batch
  // is applied in rounds, a change in the round after every earlier change of the same user (same
  // Coupa id, login, or login before a rename), in queue order.
  const rounds: PlannedChange[][] = [];
  const lastRound = new Map<string, number>();
  for (const change of batch.map((b) => b.message.change).filter((c) => !done.has(c))) {
    const keys = [`login:${change.login.toLowerCase()}`, `login:${coupaLoginOf(change).toLowerCase()}`, ...(change.id ? [`id:${change.id}`] : [])];
    const round = Math.max(-1, ...keys.map((k) => lastRound.get(k) ?? -1)) + 1;
    for (const k of keys) lastRound.set(k, round);
    (rounds[round] ??= []).push(change);
  }
  for (const [i, round] of rounds.entries()) {
    const applied = await applyChanges(round, {
      directory: deps.directory,
      maxInFlight: deps.maxInFlight,
      shouldStop: deps.shouldStop,
      ...(breakers ? { breakerOf: (c: PlannedChange) => breakers.of(runOf(c)) } : {}),
      onResult: async (r) => {
        result.applied += 1;
        await record(r.change, rowOutcomesOf(r));
      },
    });
    if (applied.retryReason) result.retryReason = applied.retryReason;
    for (const [change, reason] of applied.attemptsFailed) result.failedAttempts.set(messageOf.get(plannedOf(change))!, reason);
    if (applied.fatal) result.fatal = applied.fatal;
    if (applied.retry.length > 0 || applied.fatal) {
      // A later round may change a user this one did not finish: it waits for the redelivery too.
      result.retry = [...applied.retry, ...rounds.slice(i + 1).flat()].map((c) => messageOf.get(plannedOf(c))!);
      break;
    }
  }
  if (breakers && deps.breaker) {
    const fileOf = new Map(batch.map(({ message }) => [message.runId, message.file]));
    try {
      for (const alert of await breakers.close((runId) => fileOf.get(runId)!)) await deps.breaker.notifier.publish(alert);
    } catch (err) {
      // What was applied is recorded; a batch of the run that opens later sees the tally and decides.
      result.breakerProblem = (err as Error).message;
    }
  }
  const retried = new Set(result.retry);
  const settledRedriven = batch.filter((b) => b.redriven && !retried.has(b.message)).map((b) => b.message);
  const runs = new Map(settledRedriven.map((m) => [m.runId, { runId: m.runId, file: m.file }]));
  for (const run of runs.values()) {
    try {
      await deps.reportAgain?.(run);
    } catch (err) {
      // The outcomes are recorded and the breaker tallied: throwing would replay the whole batch
      // (Coupa writes and tallies again). The run's report simply lacks the redriven rows' new outcome.
      result.reportAgainProblem = `run ${run.runId} not marked for a new report: ${(err as Error).message}`;
    }
  }
  return result;
}
