/**
 * The run state machine's tasks other than planning (lambdas/core/runs/contract.ts functionOf): admit,
 * turns, enqueue, progress, the approval wait, reports and endings. It only wires: the run table
 * (DynamoDB), the bucket (S3), the queues (SQS), the topic (SNS) and Coupa's integration monitoring.
 * The planning tasks are lambdas/run-plan.ts's.
 */
import type { Context } from 'aws-lambda';
import type { StepDeps } from './core/runs/deps';
import { runTask } from './core/runs/run-task';
import { S3OutcomeLog } from './adapters/aws/s3-outcome-ledger';
import { listKeys } from './adapters/aws/s3-list';
import { onCoupaRequest } from './adapters/aws/wiring/coupa';
import { runBreakerStore } from './adapters/aws/wiring/dynamo';
import { countCoupaRequest } from './adapters/aws/wiring/metrics';
import { requireEnv } from './adapters/aws/wiring/runtime';
import { runStepHandler, sharedRunDeps } from './adapters/aws/wiring/run-steps';
import { reportingStateStore } from './adapters/aws/wiring/reports';
import { s3Client } from './adapters/aws/wiring/s3';
import { notifier } from './adapters/aws/wiring/sns';
import { recordQueue } from './adapters/aws/wiring/sqs';

onCoupaRequest(countCoupaRequest);

/** The commands an operator runs to approve or reject a held run of this stack (the held alert names them). */
export function approvalCommands(table: string): StepDeps['commands'] {
  return {
    approve: (runId) => `npx coupa-sync approve ${runId} --table ${table}`,
    reject: (runId) => `npx coupa-sync reject ${runId} --table ${table}`,
  };
}

async function stepDeps(context: Context): Promise<StepDeps> {
  const bucket = requireEnv('BUCKET_NAME');
  const shared = await sharedRunDeps(context);
  const s3 = await s3Client();
  const breakers = await runBreakerStore();
  return {
    ...shared,
    state: await reportingStateStore(),
    outcomes: new S3OutcomeLog(shared.objects, (prefix) => listKeys(s3, bucket, prefix)),
    queue: recordQueue,
    notifier: await notifier(),
    breakerVerdict: (runId) => breakers.verdict(runId),
    commands: approvalCommands(requireEnv('RUN_TABLE')),
  };
}

export const handler = runStepHandler(runTask, stepDeps);
