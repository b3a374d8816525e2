/**
 * `coupa-sync approve|reject <runId> --table NAME` for a run the deployed stack holds: the run's
 * record (the run table) holds the task token its WaitForApproval state waits on; approving sends it
 * back with who approved (SendTaskSuccess), rejecting fails it with why (SendTaskFailure, error
 * "Rejected"). The RunApprover role may do exactly that. An approval after approval.expireAfterHours
 * is impossible: the state's timeout ended the wait (the run expired, with its report and alert).
 */
import { userInfo } from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { RUN_ERRORS } from '../../lambdas/core/runs/contract';
import type { RunRecord } from '../../lambdas/core/ports';
import { UsageError } from './usage';

export class AwsApprovalError extends Error {
  override name = 'AwsApprovalError';
}

export interface AwsClients {
  dynamo: DynamoDBClient;
  sfn: SFNClient;
}

async function defaultClients(): Promise<AwsClients> {
  const [{ DynamoDBClient }, { SFNClient }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('@aws-sdk/client-sfn')]);
  return { dynamo: new DynamoDBClient({}), sfn: new SFNClient({}) };
}

/** The held run's token, or why it cannot be approved or rejected now. */
async function heldToken(runId: string, table: string, clients: AwsClients, now: Date): Promise<{ record: RunRecord; token: string }> {
  if (!/^[\w.-]+$/.test(runId)) throw new UsageError(`not a run id: ${JSON.stringify(runId)}`);
  const record = await new DynamoRunRecords(clients.dynamo, table).get(runId);
  if (!record) throw new AwsApprovalError(`no run ${runId} in the run table ${table} (check the run id in the held alert, and the table: the stack's RunTableName output)`);
  if (record.phase !== 'held' || !record.approval) {
    const why =
      record.phase === 'held' ? 'it is held but not waiting for approval yet (its other changes are still being applied): try again in a few minutes' : `it is ${record.phase}`;
    throw new AwsApprovalError(`run ${runId} cannot be approved or rejected: ${why}`);
  }
  if (Date.parse(record.approval.expiresAt) <= now.getTime()) {
    throw new AwsApprovalError(`run ${runId} expired at ${record.approval.expiresAt} (approval.expireAfterHours): upload the file again for a fresh plan`);
  }
  return { record, token: record.approval.token };
}

/** What Step Functions answers for a token no longer waited on. */
function answeredAlready(err: unknown, runId: string): never {
  const name = (err as Error).name;
  if (name === 'TaskTimedOut' || name === 'TaskDoesNotExist' || name === 'InvalidToken') {
    throw new AwsApprovalError(`run ${runId} is no longer waiting for approval (it expired, or was approved or rejected already)`);
  }
  throw err;
}

export async function approveInAws(runId: string, table: string, out: (line: string) => void, clients?: AwsClients, now = new Date()): Promise<void> {
  const aws = clients ?? (await defaultClients());
  const { record, token } = await heldToken(runId, table, aws, now);
  const { SendTaskSuccessCommand } = await import('@aws-sdk/client-sfn');
  const output = JSON.stringify({ approvedBy: userInfo().username, approvedAt: now.toISOString() });
  await aws.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output })).catch((err: unknown) => answeredAlready(err, runId));
  out(`Run ${runId} (${record.run.file}) approved: it waits for its turn, re-checks each staged change against Coupa, applies what still applies, and reports.`);
}

export async function rejectInAws(runId: string, table: string, why: string | undefined, out: (line: string) => void, clients?: AwsClients, now = new Date()): Promise<void> {
  const aws = clients ?? (await defaultClients());
  const { record, token } = await heldToken(runId, table, aws, now);
  const { SendTaskFailureCommand } = await import('@aws-sdk/client-sfn');
  const cause = `${why?.trim() || 'no reason given'} (rejected by ${userInfo().username} at ${now.toISOString()})`;
  await aws.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: RUN_ERRORS.rejected, cause: cause.slice(0, 32_000) })).catch((err: unknown) => answeredAlready(err, runId));
  out(`Run ${runId} (${record.run.file}) rejected: nothing of its staged changes is written; its report says so.`);
}
