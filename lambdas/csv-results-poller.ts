/** Every 5 minutes: reads Coupa's loader verdict on delivered files into the run ledgers (one pass, no waiting). */
import middy from '@middy/core';
import type { ScheduledEvent } from 'aws-lambda';
import { systemClock } from './core/ports';
import { collectCsvResults } from './core/csv/results';
import type { DataFileSourceReader } from './core/ports';
import { M } from './adapters/aws/metric-names';
import { dataFileSourceReader, onCoupaRequest } from './adapters/aws/wiring/coupa';
import { count, countCoupaRequest, countingLedger, observed, setChannel } from './adapters/aws/wiring/metrics';
import { logger } from './adapters/aws/wiring/runtime';
import { manifests } from './adapters/aws/wiring/s3';
import { settlingLedger } from './adapters/aws/wiring/settling';
import { notifier } from './adapters/aws/wiring/sns';
import { transferTracker } from './adapters/aws/wiring/transfer';

onCoupaRequest(countCoupaRequest);

/** Counts each file Coupa's loader finished with: loaded (Done) or failed. */
function countingReader(reader: DataFileSourceReader): DataFileSourceReader {
  return {
    async findByFileName(fileName) {
      const result = await reader.findByFileName(fileName);
      const status = result?.status.toLowerCase();
      if (status === 'done') count(M.csvFilesLoaded);
      else if (status === 'failed') count(M.csvFilesFailed);
      return result;
    },
  };
}

export const handler = middy<ScheduledEvent>()
  .use(observed())
  .handler(async () => {
    setChannel('csv');
    const pending = await (await manifests()).pending();
    if (pending.length === 0) return { settled: 0, pending: 0 };
    const deps = {
      reader: countingReader(await dataFileSourceReader()),
      manifests: await manifests(),
      ledger: countingLedger(await settlingLedger()),
      notifier: await notifier(),
      clock: systemClock,
      // A transfer that failed is sent again (up to 3 times), then its rows fail with the reason.
      transfers: await transferTracker(),
    };
    const result = await collectCsvResults(pending, deps, {
      timeoutSeconds: 0,
      pollSeconds: 0,
      onProgress: (msg) => logger.info(msg),
    });
    logger.info('loader results collected', { settled: result.outcomes.length, stillPending: result.pending.length });
    return { settled: result.outcomes.length, pending: result.pending.length };
  });
