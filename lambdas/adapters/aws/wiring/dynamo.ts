/**
 * The run table's stores (docs/orchestration.md, "The table"). Loads @aws-sdk/client-dynamodb on
 * first use only; the table's name comes from RUN_TABLE, run items' retention from
 * storage.runsRetentionDays. Each builder is marked pure so a handler's bundle keeps only what it uses.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock } from '../../../core/ports';
import { DynamoAttemptLog } from '../dynamo-attempt-log';
import { DynamoDeadLetterMarks } from '../dynamo-dead-letter-marks';
import { DynamoRunBreakerStore } from '../dynamo-run-breaker';
import { DynamoRunLine } from '../dynamo-run-line';
import { DynamoRunRecords } from '../dynamo-run-records';
import { DynamoSettledLogins } from '../dynamo-settled-logins';
import { dynamoSdk } from '../sdk';
import { config, requireEnv, retryableOnce } from './runtime';

export const dynamoClient = /* @__PURE__ */ retryableOnce(async (): Promise<DynamoDBClient> => new (await dynamoSdk()).DynamoDBClient({}));

const table = () => requireEnv('RUN_TABLE');
const retention = () => ({ retentionDays: config().storage.runsRetentionDays });

/** Run records: phase, counters, approval token, once-only alert marks. */
export const runRecords = /* @__PURE__ */ retryableOnce(async () => new DynamoRunRecords(await dynamoClient(), table(), systemClock, retention()));
/** The lines of runs of the drop bucket (BUCKET_NAME): waiting entries and each lane's turn. */
export const runLine = /* @__PURE__ */ retryableOnce(async () => new DynamoRunLine(await dynamoClient(), table(), requireEnv('BUCKET_NAME')));
/** Failed attempts per run and login (the api-consumer's retry budget). */
export const attemptLog = /* @__PURE__ */ retryableOnce(async () => new DynamoAttemptLog(await dynamoClient(), table(), systemClock, retention()));
/** Which dead-lettered messages were recorded already (the dlq-notifier). */
export const deadLetterMarks = /* @__PURE__ */ retryableOnce(async () => new DynamoDeadLetterMarks(await dynamoClient(), table()));
/** The circuit breaker each run shares across api-consumer Lambdas (decided verdicts cached while warm). */
export const runBreakerStore = /* @__PURE__ */ retryableOnce(async () => new DynamoRunBreakerStore(await dynamoClient(), table(), systemClock, retention()));
/** The managers each csv batch settled per run, which reports in other batches wait for (core/csv/manager-order.ts). */
export const settledLogins = /* @__PURE__ */ retryableOnce(async () => new DynamoSettledLogins(await dynamoClient(), table(), systemClock, retention()));
