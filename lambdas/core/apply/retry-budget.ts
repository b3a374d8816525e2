/**
 * Which handed-back changes go back to the queue and which are dead: only genuine failed attempts
 * (Coupa was asked and failed) count toward `api.maxReceiveCount`. A change handed back untried —
 * the Lambda ran out of time during a long Coupa slowdown, it waits for its manager's level, the
 * credentials were refused — costs nothing, however often it happens.
 *
 * SQS cannot tell the two apart (every receive counts), so the consumer keeps the count itself and
 * dead-letters a change on its own: the row is recorded `failed` with the real last error, then the
 * message is copied to the dead-letter queue (where it stays, redrivable) and deleted from the api
 * queue by not handing it back. It is never deleted and re-sent to the tail of the queue instead: the
 * FIFO group keeps a manager before its reports, and a re-sent message would land behind them.
 */
import type { ChangeMessage } from '../model';
import type { AttemptLog, DeadLetterQueue, OutcomeLedger } from '../ports';
import { resultOf, rowOutcomesOf } from './outcomes';

export interface RetryBudgetDeps {
  attempts: AttemptLog;
  deadLetters: DeadLetterQueue;
  ledger: OutcomeLedger;
  /** Failed attempts after which a change is dead (api.maxReceiveCount). */
  maxFailures: number;
}

export interface RetrySettlement {
  /** Back to the queue for another try, in the order given. */
  handBack: ChangeMessage[];
  /** Recorded failed and copied to the dead-letter queue: delete them from the queue. */
  deadLettered: ChangeMessage[];
  /** What could not be counted or dead-lettered (those changes are handed back: the queue's backstop still holds). */
  problems: string[];
}

export async function spendRetryBudget(
  retry: readonly ChangeMessage[],
  failedAttempts: ReadonlyMap<ChangeMessage, string>,
  deps: RetryBudgetDeps,
): Promise<RetrySettlement> {
  const settlement: RetrySettlement = { handBack: [], deadLettered: [], problems: [] };
  const dead = new Set<ChangeMessage>();
  await Promise.all(
    retry.map(async (message) => {
      const error = failedAttempts.get(message);
      if (error === undefined) return;
      const { change } = message;
      try {
        const failures = await deps.attempts.addFailure(message, change.login, error);
        if (failures < deps.maxFailures) return;
        const why = `not applied after ${failures} failed attempts: ${error}`;
        // Recorded first: a copy in the DLQ always has its row failed in the run (recording twice is harmless, the last outcome wins).
        await deps.ledger.record(message, rowOutcomesOf(resultOf(change, 'failed', [why])));
        await deps.deadLetters.send(message, why);
      } catch (err) {
        settlement.problems.push(`${change.login}: ${(err as Error).message}`);
        return;
      }
      dead.add(message);
      // A redrive later starts a fresh count; failing to reset only makes a redriven change die sooner.
      await deps.attempts.forget(message, change.login).catch((err: Error) => settlement.problems.push(`${change.login}: ${err.message}`));
    }),
  );
  settlement.handBack = retry.filter((m) => !dead.has(m));
  settlement.deadLettered = retry.filter((m) => dead.has(m));
  return settlement;
}
