/**
 * SQS FIFO batch of planned changes → Coupa Users API. The batch's outcomes are written at its end,
 * one record per run (BufferedLedger); retryable changes go back to the queue. Never throws for a
 * Coupa or credentials problem: what was applied and recorded stays applied (and is not
 * redelivered), everything else is handed back — including the changes of a run whose outcome
 * record could not be written: their redelivery is confirmed against Coupa, not written again.
 */
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { UserDirectory } from './core/ports';
import { BufferedLedger } from './core/apply/buffered-ledger';
import { consumeChanges } from './core/apply/consume-changes';
import { spendRetryBudget } from './core/apply/retry-budget';
import { CREDENTIALS_REFUSED_LOG, worstCaseRequestMs } from './adapters/aws/api-consumer-limits';
import { forgetCoupaClient, onCoupaRequest, userDirectory } from './adapters/aws/wiring/coupa';
import { attemptLog, runBreakerStore, runLine } from './adapters/aws/wiring/dynamo';
import { countCoupaRequest, countingLedger, observed, setChannel } from './adapters/aws/wiring/metrics';
import { config, logger } from './adapters/aws/wiring/runtime';
import { deadLetters } from './adapters/aws/wiring/retries';
import { settlingLedger } from './adapters/aws/wiring/settling';
import { notifier } from './adapters/aws/wiring/sns';
import { SecretNotReadyError } from './adapters/aws/secrets';
import { readChangeMessages, reportUnreadable } from './adapters/aws/sqs-messages';
import { comeBackSooner } from './adapters/aws/sqs-visibility';
import { sqsClient } from './adapters/aws/wiring/sqs';
import { consumerShare } from './core/rate-shares';

/** Bad credentials or an unfilled secret: say so once per batch (an alarm counts it) and re-read the secret next time. */
function credentialsUnusable(err: Error, handedBack: number): void {
  // The messages name the Coupa URL or the secret and what to fix, never a credential.
  logger.error(CREDENTIALS_REFUSED_LOG, { error: err.message, handedBack });
  forgetCoupaClient();
}

onCoupaRequest(countCoupaRequest);

/**
 * The batch's share of the Coupa rate budget (rate-shares.ts): the turn-holding run's consumers
 * take `consumer`, any other batch `strayConsumer`. One read of the apply lane's turn per batch;
 * if it fails, the small share (slower, never over the budget).
 */
async function rateShareOf(runIds: string[]): Promise<'consumer' | 'strayConsumer'> {
  try {
    return consumerShare(runIds, (await (await runLine()).holder('apply'))?.runId);
  } catch (err) {
    logger.warn('apply turn not read: this batch runs at the stray consumers\' share', { problem: (err as Error).message });
    return 'strayConsumer';
  }
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(observed())
  .handler(async (event, context) => {
    setChannel('api');
    const { received, unreadable } = readChangeMessages(event.Records);
    await reportUnreadable(unreadable, notifier);
    if (received.length === 0) return { batchItemFailures: [] };
    const idOf = new Map(received.map((r) => [r.message, r.messageId]));
    const handBack = (messages: Iterable<(typeof received)[number]['message']>): SQSBatchResponse => ({
      batchItemFailures: [...messages].map((m) => ({ itemIdentifier: idOf.get(m)! })),
    });
    const runIds = [...new Set(received.map((r) => r.message.runId))];
    logger.appendKeys({ runIds });

    let directory: UserDirectory;
    try {
      directory = await userDirectory(await rateShareOf(runIds));
    } catch (err) {
      if (!(err instanceof SecretNotReadyError)) throw err;
      credentialsUnusable(err, idOf.size);
      return handBack(idOf.keys());
    }
    const cfg = config();
    // A change is started only while one more worst-case request still fits before the timeout.
    const reserveMs = worstCaseRequestMs(cfg.coupa);
    const recorded = countingLedger(await settlingLedger());
    const outcomes = new BufferedLedger(recorded);
    const result = await consumeChanges(received.map((r) => ({ ...r, redriven: r.deadLettered !== undefined })), {
      directory,
      ledger: outcomes,
      maxInFlight: cfg.coupa.maxInFlight,
      shouldStop: () => context.getRemainingTimeInMillis() < reserveMs,
      breaker: { store: await runBreakerStore(), options: cfg.apply, now: () => new Date(), notifier: await notifier() },
    });
    if (result.breakerProblem) logger.warn('circuit breaker tally not updated', { problem: result.breakerProblem });
    // Only genuine failed attempts count toward api.maxReceiveCount (see retry-budget.ts). A dead-lettered
    // change is recorded at once, not buffered: its row must be failed before its copy is in the DLQ.
    const { handBack: budgeted, deadLettered, problems } = result.failedAttempts.size
      ? await spendRetryBudget(result.retry, result.failedAttempts, {
          attempts: await attemptLog(), deadLetters: deadLetters(), ledger: recorded, maxFailures: cfg.api.maxReceiveCount,
        })
      : { handBack: result.retry, deadLettered: [], problems: [] };
    if (deadLettered.length) logger.warn('changes dead-lettered after api.maxReceiveCount failed attempts', { count: deadLettered.length });
    if (problems.length) logger.error('failed attempts not counted or dead-lettered (handed back; the redrive backstop holds)', { problems });
    const unwritten = await outcomes.flush();
    const unrecorded = received
      .map((r) => r.message)
      .filter((m) => unwritten.has(m.runId) && !budgeted.includes(m) && !deadLettered.includes(m));
    if (unrecorded.length) {
      logger.error('outcomes not recorded: their changes are handed back, and the redelivery confirms them against Coupa', {
        count: unrecorded.length,
        problems: [...unwritten].map(([runId, problem]) => `${runId}: ${problem}`),
      });
    }
    const retry = [...budgeted, ...unrecorded];
    if (result.fatal) credentialsUnusable(result.fatal, retry.length);
    else if (retry.length) {
      logger.warn('changes sent back for retry', { count: retry.length, reason: result.retryReason });
      // Transient trouble: back in 30 s, 1, 2, 4… min instead of the queue's half-hour visibility timeout.
      const records = new Map(event.Records.map((r) => [r.messageId, r]));
      const backoff = await comeBackSooner(await sqsClient(), retry.map((m) => records.get(idOf.get(m)!)!));
      if (backoff) logger.warn('retry backoff not set; the queue timeout applies', { problem: backoff });
    }
    logger.info('batch applied', { applied: result.applied, retry: retry.length });
    return handBack(retry);
  });
