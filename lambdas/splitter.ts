/**
 * The planner Lambda (S3 ObjectCreated):
 * - incoming/… : claims the run once, reads exactly the uploaded version, plans it against Coupa,
 *   keeps the plan (runs/<runId>/plan.json), records the rows it settles, and queues only the
 *   changes — or holds the run for approval;
 * - plan/…     : the same, but stops at the plan and its report (nothing is written to Coupa);
 * - approvals/<runId> : approves a held run: each staged change is re-checked against Coupa and
 *   queued, or reported skipped;
 * - continue/<runId> : (written by this Lambda only) carries on a run whose read of Coupa's users
 *   did not fit the invocation before, from where that one stopped;
 * - runs/start/<key> : the turn of a run (or approval) that waited for an earlier run (run-queue.ts).
 */
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import type { WaitingRun } from './core/ports';
import { HrFileError } from './core/hr/read-hr-file';
import { channelFor, runIdFor } from './core/sync/route';
import { planRun as planRunInAws, approveHeldRun } from './core/sync/aws-plan';
import { readContinuation, readTimeLeft } from './core/sync/continuation';
import { CONTINUE_PREFIX, START_RUNS_PREFIX } from './core/sync/run-layout';
import { RunLine } from './core/sync/run-queue';
import { M } from './adapters/aws/metric-names';
import { onCoupaRequest, referenceReader, userDirectory } from './adapters/aws/wiring/coupa';
import { S3ReferenceListStore } from './adapters/aws/s3-reference-list-store';
import { count, countCoupaRequest, countingLedger, flushMetrics, observed, setChannel } from './adapters/aws/wiring/metrics';
import { config, logger } from './adapters/aws/wiring/runtime';
import { ledger, objectStore, runTurnStore, stateStore } from './adapters/aws/wiring/s3';
import { notifier } from './adapters/aws/wiring/sns';
import { recordQueue } from './adapters/aws/wiring/sqs';
import { objectKeyOf, objectVersionOf } from './adapters/aws/s3-event';
import { splitKey } from './adapters/aws/s3-run-store';

export const APPROVALS_PREFIX = 'approvals/';
export const PLAN_PREFIX = 'plan/';

onCoupaRequest(countCoupaRequest);

export const handler = middy<S3Event>()
  .use(observed())
  .handler(async (event, context) => {
    // A full read of Coupa stops in time for the planning that follows it; a fresh invocation continues it.
    const readUntil = readTimeLeft(() => context.getRemainingTimeInMillis());
    for (const record of event.Records) {
      const key = objectKeyOf(record);
      const clock = { now: () => new Date(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
      const log = (message: string, data?: Record<string, unknown>) => logger.info(message, data ?? {});
      const deps = {
        objects: await objectStore(),
        state: await stateStore(),
        checkpoints: await stateStore(),
        ledger: countingLedger(await ledger()),
        notifier: await notifier(),
        queue: recordQueue,
        directory: userDirectory,
        references: async () => {
          const reader = await referenceReader();
          return reader && { reader, kept: new S3ReferenceListStore(await objectStore()) };
        },
        config: config(),
        clock,
        log,
        bucket: record.s3.bucket.name,
        line: new RunLine({ turns: await runTurnStore(), clock, log }),
      };
      // Runs write to Coupa one at a time: a file or approval may wait for its turn (S3's event time orders the line).
      let arrival = { arrivedAt: record.eventTime, resumed: false };
      let resumed: WaitingRun | undefined;
      if (key.startsWith(START_RUNS_PREFIX)) {
        const entry = await deps.line.entryOf(key.slice(START_RUNS_PREFIX.length));
        if (!entry) {
          logger.info('start of a run no longer waiting: ignored', { key });
          continue;
        }
        arrival = { arrivedAt: entry.arrivedAt, resumed: true };
        if (entry.action === 'approve') {
          logger.appendKeys({ runId: entry.run.runId });
          await approveHeldRun(entry.run.runId, deps, arrival);
          flushMetrics();
          continue;
        }
        resumed = entry;
      }
      if (key.startsWith(APPROVALS_PREFIX)) {
        const runId = key.slice(APPROVALS_PREFIX.length);
        logger.appendKeys({ runId });
        const approved = await approveHeldRun(runId, deps, arrival);
        if (approved) {
          setChannel(approved.channel);
          count(M.changesQueued, approved.queued);
        }
        flushMetrics();
        continue;
      }
      const continued = key.startsWith(CONTINUE_PREFIX) ? await readContinuation(deps.objects, key, record.s3.object.versionId) : undefined;
      const file = resumed?.run.file ?? continued?.file ?? key;
      const run = resumed?.run ?? { runId: continued?.runId ?? runIdFor(record.s3.bucket.name, key, objectVersionOf(record)), file };
      logger.appendKeys({ runId: run.runId });
      const channel = resumed?.channel ?? channelFor(file.replace(PLAN_PREFIX, 'incoming/'), config());
      setChannel(channel);
      try {
        const request = {
          run,
          version: resumed ? resumed.version : continued ? continued.version : record.s3.object.versionId,
          channel,
          dryRun: file.startsWith(PLAN_PREFIX),
          readTimeLeft: readUntil,
          ...(continued ? { continuation: continued.step, continuationRequestedAt: continued.requestedAt } : {}),
          ...arrival,
        };
        const planned = await planRunInAws(request, deps);
        if (planned) {
          count(M.filesReceived);
          count(M.rowsRead, planned.rows);
          count(M.changesQueued, planned.queued);
          count(M.planSize, planned.planned);
          count(M.runsHeld, planned.status === 'held' ? 1 : 0);
        }
      } catch (err) {
        // Other errors (S3, SQS, Coupa unreachable) are transient: rethrow so Lambda retries the event.
        if (!(err instanceof HrFileError)) throw err;
        // A file that cannot be read will not read better on retry: report it and stop.
        await deps.objects.put(splitKey(run.runId), JSON.stringify({ run, error: err.message, splitAt: new Date().toISOString() }), 'application/json');
        await deps.notifier.publish({ kind: 'file-rejected', subject: `Coupa user sync: ${file} was not processed`, message: err.message, severity: 'failure', run });
        logger.error('HR file rejected', { error: err.message });
        count(M.filesReceived);
        count(M.filesRejected);
      } finally {
        flushMetrics();
      }
    }
  });
