/**
 * The outcome ledger of the consumers of queued changes (api-consumer, csv-batcher,
 * csv-results-poller, dlq-notifier): outcome records in S3, settled in the run table, and a
 * report-again execution for a run already reported (settling-ledger.ts). Loads
 * @aws-sdk/client-sfn only when a run has to be reported again.
 */
import type { RunStarter } from '../../../core/ports';
import { SettlingLedger } from '../settling-ledger';
import { SfnRunStarter } from '../sfn-run-starter';
import { sfnSdk } from '../sdk';
import { runRecords } from './dynamo';
import { requireEnv, retryableOnce } from './runtime';
import { ledger } from './s3';

export const sfnClient = /* @__PURE__ */ retryableOnce(async () => new (await sfnSdk()).SFNClient({}));
const sfnRunStarter = /* @__PURE__ */ retryableOnce(async () => new SfnRunStarter(await sfnClient(), requireEnv('STATE_MACHINE_ARN')));

/** Report-again executions on the run state machine (STATE_MACHINE_ARN), built when the first is needed. */
export const runStarter: RunStarter = { reportAgain: async (record) => (await sfnRunStarter()).reportAgain(record) };

/** Outcomes of queued changes: written, then settled in the run's record. */
export const settlingLedger = /* @__PURE__ */ retryableOnce(async () => new SettlingLedger(await ledger(), { records: await runRecords(), starter: runStarter }));
