/**
 * Recheck (the planning function): a held run, approved and holding the turn again, has each staged
 * change checked against Coupa as it is then: what still applies is kept (approved.json, its SHA-256
 * carried on) and queued; what no longer does is reported `skipped`, never forced.
 */
import { recheckStaged } from '../run/approve';
import { exemptionRulesOf } from '../run/exempt-now';
import type { StoredPlan } from '../ports';
import { approvedKey, planKey } from '../sync/run-layout';
import type { RecheckResult, RunState } from './contract';
import type { RunStepDeps } from './deps';
import { putHashed, readVerified } from './integrity';
import { requireTurn } from './turns';

type RecheckDeps = Pick<RunStepDeps, 'records' | 'line' | 'objects' | 'ledger' | 'directory' | 'config' | 'log'>;

export async function recheck(state: RunState, deps: RecheckDeps): Promise<RecheckResult> {
  const { runId } = state.run;
  await requireTurn(state, deps);
  const plan = await readVerified<StoredPlan>(deps.objects, planKey(runId), state.plan?.planSha256);
  const { toApply, skipped } = await recheckStaged(plan.staged, await deps.directory('apply'), exemptionRulesOf(deps.config));
  if (skipped.length > 0) await deps.ledger.record(state.run, skipped);
  await deps.records.update(runId, {
    phase: 'applying',
    ...(state.approval ? { approvedAt: state.approval.approvedAt, approvedBy: state.approval.approvedBy } : {}),
  });
  deps.log('held run approved and re-checked', { toApply: toApply.length, skipped: skipped.length });
  if (toApply.length === 0) return { toApply: 0, skipped: skipped.length };
  const approvedSha256 = await putHashed(deps.objects, approvedKey(runId), toApply);
  return { toApply: toApply.length, skipped: skipped.length, approvedSha256 };
}
