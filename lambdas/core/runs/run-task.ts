/**
 * The run-task function's core: one task of the state machine, by name (contract.ts), to its step —
 * every task but the planning ones (plan-task.ts).
 */
import { misrouted, type TaskRequest } from './contract';
import type { StepDeps } from './deps';
import { admit } from './admit';
import { awaitApproval } from './approval';
import { expire, fail, refuseFile, reject, stale } from './endings';
import { enqueue } from './enqueue';
import { checkApply } from './progress';
import { report } from './report';
import { releaseTurn, takeTurn } from './turns';

export async function runTask(request: TaskRequest, deps: StepDeps): Promise<unknown> {
  const { state } = request;
  switch (request.task) {
    case 'admit':
      return admit(state, deps);
    case 'take-turn':
      return takeTurn(state, deps);
    case 'release-turn':
      await releaseTurn(state, deps);
      return {};
    case 'enqueue':
      return enqueue(state, request.source ?? 'plan', deps);
    case 'check-apply':
      return checkApply(state, deps);
    case 'report':
      return report(state, 'final', deps);
    case 'report-held':
      return report(state, 'held', deps);
    case 'await-approval':
      if (!request.token) throw new Error('await-approval needs the task token');
      await awaitApproval(state, request.token, deps);
      return {};
    case 'fail':
      await fail(state, deps);
      return {};
    case 'expire':
      await expire(state, deps);
      return {};
    case 'reject':
      await reject(state, deps);
      return {};
    case 'refuse-file':
      await refuseFile(state, deps);
      return {};
    case 'stale':
      await stale(state, deps);
      return {};
    default:
      throw new Error(misrouted(request.task, 'run-task'));
  }
}
