/**
 * Every few minutes: looks at the dead-letter queues (never consuming them, so dead messages stay
 * redrivable) and records each new dead message once: its row `failed` in its run — unless the
 * api-consumer dead-lettered it and recorded it already with Coupa's error — and one DeadLetters
 * count, which the alarm watches. People are told without a storm: the alarm fires once and the
 * run's single digest lists every failed row.
 */
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { recordDeadLetters, type DeadLetterResult } from './core/sync/dead-letters';
import { M } from './adapters/aws/metric-names';
import { queueNameOf, readChangeMessages, reportUnreadable } from './adapters/aws/sqs-messages';
import { peekQueue } from './adapters/aws/sqs-dlq-peek';
import { count, countingLedger, flushMetrics, observed, setChannel } from './adapters/aws/wiring/metrics';
import { logger, requireEnv } from './adapters/aws/wiring/runtime';
import { deadLetterMarks } from './adapters/aws/wiring/dynamo';
import { settlingLedger } from './adapters/aws/wiring/settling';
import { notifier } from './adapters/aws/wiring/sns';
import { sqsClient } from './adapters/aws/wiring/sqs';

/** The api queue and its DLQ are FIFO; the csv ones are standard. */
const consumerOf = (queue: string) => (queue.endsWith('.fifo') ? 'api-consumer' : 'csv-batcher');
/** Dead messages looked at per queue and invocation; the rest wait for the next look. */
const MAX_PER_QUEUE = 1000;
/** Time kept back for recording what was seen (what is not recorded by then waits for the next look). */
const RESERVE_MS = 20_000;
/** Records in flight while recording: 1,000 dead messages in about 10 s instead of a minute. */
const RECORDING_CONCURRENCY = 8;

export const handler = middy<ScheduledEvent, DeadLetterResult[]>()
  .use(observed())
  .handler(async (_event, context: Context) => {
    const queueUrls = JSON.parse(requireEnv('DLQ_URLS')) as string[];
    const marks = await deadLetterMarks();
    const results: DeadLetterResult[] = [];
    for (const url of queueUrls) {
      const records = await peekQueue(await sqsClient(), url, { max: MAX_PER_QUEUE, shouldStop: () => context.getRemainingTimeInMillis() < RESERVE_MS });
      if (records.length === 0) continue;
      const queue = queueNameOf(records[0]);
      const channel = consumerOf(queue) === 'api-consumer' ? 'api' : 'csv';
      setChannel(channel);
      const { received, unreadable } = readChangeMessages(records);
      // An unreadable body is reported once, like a dead change is recorded once.
      const newUnreadable = [];
      for (const r of unreadable) if (!(await marks.seen(queue, r.messageId)) && (await marks.mark(queue, r.messageId))) newUnreadable.push(r);
      await reportUnreadable(newUnreadable, notifier);
      const result = await recordDeadLetters(
        received.map((r) => ({ queue, messageId: r.messageId, message: r.message, ...(r.deadLettered ? { recordedAs: r.deadLettered } : {}) })),
        { ledger: countingLedger(await settlingLedger()), marks, consumerOf, concurrency: RECORDING_CONCURRENCY, shouldStop: () => context.getRemainingTimeInMillis() < RESERVE_MS / 2 },
      );
      setChannel(channel); // again: Powertools flushes (and forgets dimensions) every 100 values of a metric
      count(M.deadLetters, result.newlyDead + newUnreadable.length);
      flushMetrics(); // the next queue is another channel
      if (result.problems.length) logger.error('dead messages not recorded (next look retries)', { queue, problems: result.problems });
      if (result.newlyDead) logger.warn('new dead messages', { queue, count: result.newlyDead, recordedHere: result.recorded });
      results.push(result);
    }
    return results;
  });
