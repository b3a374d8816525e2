/**
 * The run state machine's tasks (lambdas/core/runs/contract.ts): one handler, dispatched by `task`.
 * (Being built: the steps are wired in as they land.)
 */
import type { TaskRequest } from './core/runs/contract';

export const handler = async (request: TaskRequest): Promise<unknown> => {
  throw new Error(`run task ${request.task} is not wired yet`);
};
