/**
 * The dead-letter queues are looked at, never drained: a dead message stays in its DLQ until an
 * operator has fixed the cause and redrives it (README runbook), or SQS's retention ends. Each one
 * is recorded once — its row `failed` in its run, unless the api-consumer dead-lettered it and
 * recorded it already with Coupa's error — and counted once, so the DeadLetters alarm fires once
 * per new dead message, not each time the notifier looks again.
 */
import { resultOf, rowOutcomesOf } from '../apply/outcomes';
import type { ChangeMessage } from '../model';
import type { DeadLetterMarks, OutcomeLedger } from '../ports';

export interface DeadLetter {
  queue: string;
  messageId: string;
  message: ChangeMessage;
  /** The api-consumer dead-lettered it and recorded its row with this reason. */
  recordedAs?: string;
}

export interface DeadLetterDeps {
  ledger: OutcomeLedger;
  marks: DeadLetterMarks;
  /** The Lambda whose logs say why (the queue's consumer). */
  consumerOf: (queue: string) => string;
  /** Messages recorded at once (each is an S3 read and one or two writes). */
  concurrency?: number;
  /** Asked before each message: true leaves the rest unmarked for the next look (the Lambda runs out of time). */
  shouldStop?: () => boolean;
}

export interface DeadLetterResult {
  /** Dead messages seen for the first time (each counted once). */
  newlyDead: number;
  /** Rows recorded failed here (the others the api-consumer had recorded). */
  recorded: number;
  problems: string[];
}

export async function recordDeadLetters(dead: readonly DeadLetter[], deps: DeadLetterDeps): Promise<DeadLetterResult> {
  const result: DeadLetterResult = { newlyDead: 0, recorded: 0, problems: [] };
  let next = 0;
  const worker = async () => {
    while (next < dead.length && !deps.shouldStop?.()) {
      const d = dead[next++];
      try {
        if (await deps.marks.seen(d.queue, d.messageId)) continue;
        if (!d.recordedAs) {
          const why = `not applied: its message is in the dead-letter queue ${d.queue} (see the ${deps.consumerOf(d.queue)} logs); redrive it once the cause is fixed`;
          await deps.ledger.record(d.message, rowOutcomesOf(resultOf(d.message.change, 'failed', [why])));
          result.recorded += 1;
        }
        // Marked after recording: a crash in between records the row again next time (harmless, the last outcome wins).
        if (await deps.marks.mark(d.queue, d.messageId)) result.newlyDead += 1;
      } catch (err) {
        // Left unmarked: the next look records it.
        result.problems.push(`${d.queue}/${d.messageId} (run ${d.message.runId}): ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency ?? 1, dead.length)) }, worker));
  return result;
}
