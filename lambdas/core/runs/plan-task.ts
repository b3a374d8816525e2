/** The planning function's core: read Coupa, plan, re-check an approved run (contract.ts PLANNING_TASKS). */
import { misrouted, type TaskRequest } from './contract';
import type { PlanningDeps } from './deps';
import { recheck } from './recheck';
import { plan } from './plan';
import { readCoupa } from './read-coupa';

export async function runPlanningTask(request: TaskRequest, deps: PlanningDeps): Promise<unknown> {
  const { state, task } = request;
  switch (task) {
    case 'read-coupa':
      return readCoupa(state, deps);
    case 'plan':
      return plan(state, deps);
    case 'recheck':
      return recheck(state, deps);
    default:
      throw new Error(misrouted(task, 'run-plan'));
  }
}
