/**
 * A held run waits for an operator (WaitForApproval, a task token): `coupa-sync approve <runId>`
 * sends the token back with who approved, `coupa-sync reject <runId>` fails it with why, and the
 * state's timeout (approval.expireAfterHours) expires it — an approval after that is impossible.
 * Approved, the run lines up for the turn again, then Recheck (recheck.ts) checks each staged
 * change against Coupa as it is then.
 */
import type { RunState } from './contract';
import type { RunStepDeps } from './deps';

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
