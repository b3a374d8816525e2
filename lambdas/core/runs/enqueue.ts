/**
 * Enqueue: the changes go to the channel's queue, each once, in apply order (managers' levels first:
 * the queue adapter sends level by level). In chunks whose progress is recorded on the run record:
 * a retried enqueue (a step that died, a throttled queue) carries on from the last recorded chunk
 * and resends at most the one chunk in flight — which the FIFO queue's deduplication (run + login)
 * drops within its 5 minutes, and which the consumers confirm against Coupa after that.
 */
import type { PlannedChange } from '../model';
import type { StoredPlan as KeptPlan } from '../ports';
import { changeMessages } from '../sync/enqueue';
import { approvedKey, planKey } from '../sync/run-layout';
import type { EnqueueResult, RunState } from './contract';
import type { RunStepDeps } from './deps';
import { readVerified } from './integrity';
import { requireTurn } from './turns';

/** Messages per recorded step of progress: a retry resends at most this many. */
export const ENQUEUE_CHUNK = 500;

type EnqueueDeps = Pick<RunStepDeps, 'records' | 'line' | 'objects' | 'queue' | 'log' | 'monitor'>;

/** The plan's changes to apply now: all of them but those a held run keeps staged. */
export function toApplyNow(plan: KeptPlan): PlannedChange[] {
  const staged = new Set(plan.staged.map((c) => c.login.toLowerCase()));
  return plan.changes.filter((c) => !staged.has(c.login.toLowerCase()));
}

export async function enqueue(state: RunState, source: 'plan' | 'approved', deps: EnqueueDeps): Promise<EnqueueResult> {
  const { runId } = state.run;
  await requireTurn(state, deps);
  const changes =
    source === 'plan'
      ? toApplyNow(await readVerified<KeptPlan>(deps.objects, planKey(runId), state.plan?.planSha256))
      : await readVerified<PlannedChange[]>(deps.objects, approvedKey(runId), state.recheck?.approvedSha256);
  const messages = changeMessages(state.run, changes);
  // Coupa's integration run goes to `run` as changes start to go out (again after an approval).
  const monitor = await deps.monitor?.(state.channel);
  if (source === 'approved') await monitor?.approved(runId);
  else await monitor?.applying(runId);
  let done = (await deps.records.get(runId))?.enqueued?.[source] ?? 0;
  while (done < messages.length) {
    const chunk = messages.slice(done, done + ENQUEUE_CHUNK);
    await deps.queue(state.channel).send(chunk);
    if (await deps.records.addQueued(runId, source, done, done + chunk.length)) done += chunk.length;
    // Another attempt recorded progress meanwhile: carry on from where it got.
    else done = (await deps.records.get(runId))?.enqueued?.[source] ?? done;
  }
  await deps.records.update(runId, { phase: 'applying' });
  deps.log('changes queued', { source, queued: messages.length });
  return { queued: messages.length };
}

