/**
 * Everything the handlers can be wired from, in one place for tests and tools. Handlers do NOT
 * import this module: each imports only the wiring modules of the services it calls
 * (wiring/s3.ts, sns.ts, sqs.ts, transfer.ts, coupa.ts), and those load their AWS SDK package on
 * first use, so a cold start pays for no SDK client the invocation does not call.
 */
export { config, logger, requireEnv } from './wiring/runtime';
export { ledger, manifests, objectStore, stateStore } from './wiring/s3';
export { notifier } from './wiring/sns';
export { recordQueue } from './wiring/sqs';
export { fileDrop } from './wiring/transfer';
export {
  RESULTS_SCOPE,
  coupaCredentials,
  dataFileSourceReader,
  forgetCoupaClient,
  onCoupaRequest,
  resultsReaderConfig,
  userDirectory,
} from './wiring/coupa';
import { resetBuilt } from './wiring/runtime';
import './wiring/s3';
import './wiring/sns';
import './wiring/sqs';
import './wiring/transfer';
import './wiring/coupa';

/** Tests only: drop everything built so far (the next call reads the environment again). */
export function resetAwsContext(): void {
  resetBuilt();
}
