/**
 * S3 ObjectCreated under incoming/ → one queue message per valid HR row; summary in runs/<runId>/split.json
 * and a marker runs/pending/<runId> that tells the run-reporter the run waits for its report.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { S3Event } from 'aws-lambda';
import { HrFileError } from './core/hr/read-hr-file';
import { channelFor, runIdFor } from './core/sync/route';
import { SplitStoppedError, splitHrFile, type SplitSummary } from './core/sync/split';
import type { RunRef } from './core/model';
import { config, ledger, logger, notifier, objectStore, recordQueue } from './adapters/aws/context';
import { objectKeyOf, objectVersionOf } from './adapters/aws/s3-event';
import { pendingMarkerKey, splitKey } from './adapters/aws/s3-run-store';

const json = (value: unknown) => JSON.stringify({ ...(value as object), splitAt: new Date().toISOString() });

/** split.json, then the marker the run-reporter lists (it reads split.json first). */
async function recordSplit(run: RunRef, summary: SplitSummary & { channel: string; error?: string }): Promise<void> {
  await objectStore().put(splitKey(run.runId), json(summary), 'application/json');
  await objectStore().put(pendingMarkerKey(run.runId), JSON.stringify(run), 'application/json');
}

export const handler = middy<S3Event>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    for (const record of event.Records) {
      const key = objectKeyOf(record);
      const channel = channelFor(key, config());
      const run = { runId: runIdFor(record.s3.bucket.name, key, objectVersionOf(record)), file: key };
      const summaryKey = splitKey(run.runId);
      logger.appendKeys({ runId: run.runId });
      try {
        const deps = { queue: recordQueue(channel), ledger: ledger(), notifier: notifier() };
        const summary = await splitHrFile(await objectStore().get(key), run, deps, {
          ownedCollections: config().coupa.ownedCollections,
          hr: config().hr,
        });
        await recordSplit(run, { ...summary, channel });
        logger.info('HR file split', { channel, rows: summary.rows, queued: summary.queued, rejected: summary.rejected.length });
      } catch (err) {
        // Other errors (S3, SQS) are transient: rethrow so Lambda retries the event.
        if (!(err instanceof HrFileError)) throw err;
        if (err instanceof SplitStoppedError) {
          // Broken part-way: the rows read before the break are queued and get their run report.
          const { rows, queued } = err.summary;
          await recordSplit(run, { ...err.summary, channel, error: err.message });
          const message = `${err.message}\nThe first ${rows} data row(s) were read (${queued} queued, they will be applied and reported); the rest was not. Fix the file and upload it again: rows already applied will come out unchanged.`;
          await notifier().publish({ subject: `Coupa user sync: ${key} was read only in part`, message, severity: 'failure', run });
          logger.error('HR file read only in part', { rows, queued });
          continue;
        }
        // A file that cannot be read will not read better on retry: report it and stop.
        await objectStore().put(summaryKey, json({ run, channel, error: err.message }), 'application/json');
        await notifier().publish({ subject: `Coupa user sync: ${key} was not processed`, message: err.message, severity: 'failure', run });
        logger.error('HR file rejected', { error: err.message });
      }
    }
  });
