/**
 * The run state machine's planning tasks (lambdas/core/runs/contract.ts PLANNING_TASKS): read Coupa,
 * plan, re-check an approved run. It only wires: the run table (DynamoDB), the bucket (S3: the HR file
 * as versioned, plans, the kept snapshot) and Coupa (at the lane's share of the rate budget). The
 * other tasks are lambdas/run-task.ts's.
 */
import type { Context } from 'aws-lambda';
import type { PlanningDeps } from './core/runs/deps';
import { runPlanningTask } from './core/runs/plan-task';
import { S3ReferenceListStore } from './adapters/aws/s3-reference-list-store';
import { onCoupaRequest, referenceReader, userDirectory } from './adapters/aws/wiring/coupa';
import { countCoupaRequest } from './adapters/aws/wiring/metrics';
import { runStepHandler, sharedRunDeps } from './adapters/aws/wiring/run-steps';
import { stateStore } from './adapters/aws/wiring/s3';

onCoupaRequest(countCoupaRequest);

async function planningDeps(context: Context): Promise<PlanningDeps> {
  const shared = await sharedRunDeps(context);
  return {
    ...shared,
    state: await stateStore(),
    directory: (lane) => userDirectory(lane === 'preview' ? 'preview' : 'turn'),
    references: async (lane) => {
      const reader = await referenceReader(lane === 'preview' ? 'preview' : 'turn');
      return reader && { reader, kept: new S3ReferenceListStore(shared.objects) };
    },
  };
}

export const handler = runStepHandler(runPlanningTask, planningDeps);
