/**
 * A held run waits for an operator (WaitForApproval, a task token): `coupa-sync approve <runId>`
 * sends the token back with who approved, `coupa-sync reject <runId>` fails it with why, and the
 * state's timeout (approval.expireAfterHours) expires it — an approval after that is impossible.
 * Approved, the run lines up for the turn again, then Recheck checks each staged change against
 * Coupa as it is then: what still applies is kept (approved.json, its SHA-256 carried on) and
 * queued; what no longer does is reported `skipped`, never forced.
 */
import { recheckStaged } from '../run/approve';
import { exemptionRulesOf } from '../run/exempt-now';
import type { StoredPlan } from '../ports';
import { approvedKey, planKey } from '../sync/run-layout';
import type { RecheckResult, RunState } from './contract';
import type { RunStepDeps } from './deps';
import { putHashed, readVerified } from './integrity';
import { requireTurn } from './turns';

/** WaitForApproval's task: keeps the token on the run record, then tells people how to approve or reject. */
export async function awaitApproval(state: RunState, token: string, deps: Pick<RunStepDeps, 'records' | 'notifier' | 'clock' | 'config' | 'commands' | 'monitor'>): Promise<void> {
  const { runId } = state.run;
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + deps.config.approval.expireAfterHours * 3_600_000).toISOString();
  // The token first: the alert's command must find it.
  await deps.records.update(runId, { phase: 'held', approval: { token, heldAt: now.toISOString(), expiresAt } });
  await (await deps.monitor?.(state.channel))?.held(runId);
  const record = await deps.records.get(runId);
  const how = deps.commands
    ? [`Approve: ${deps.commands.approve(runId)}`, `Reject:  ${deps.commands.reject(runId)} --why "…"`, `It expires at ${expiresAt} (approval.expireAfterHours).`]
    : [];
  await deps.notifier.publish({
    kind: 'held',
    severity: 'failure',
    subject: `Coupa user sync held: ${state.run.file}`,
    message: [record?.plan?.details.reason ?? 'held by a guard', ...how].join('\n'),
    run: state.run,
  });
}

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
