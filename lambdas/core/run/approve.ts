/**
 * `coupa-sync approve <runId>`: applies a held run's staged changes. Each is checked against Coupa
 * as it is now: a change whose fields no longer hold the values the plan saw (someone changed the
 * user meanwhile), or that is already done, is reported `skipped` — never forced.
 */
import { type CoupaUser, type FieldChange, type PlannedChange, type RowOutcome, type RunReport, type SyncField } from '../model';
import { sameValue } from '../plan/diff';
import { rowOutcomesOf } from '../apply/outcomes';
import { holdsPlannedValues } from '../apply/taken-login';
import type { UserDirectory } from '../ports';
import { buildReport } from '../sync/report';
import { runDigest } from '../sync/notify';
import type { RunDeps } from './run-sync';
import { exemptNow, exemptionRulesOf, type ExemptionRules } from './exempt-now';

export class ApprovalError extends Error {
  override name = 'ApprovalError';
}

/** Why a staged change no longer applies, or undefined when it still does. */
export function recheck(change: PlannedChange, current: CoupaUser | undefined): string | undefined {
  if (change.kind === 'create') return current ? `a Coupa user "${current.login}" exists now: not created again` : undefined;
  if (!current || current.id !== change.id) return `the Coupa user (id ${change.id}) is no longer under this login`;
  const valueOf = (c: FieldChange) => (c.field === 'login' ? current.login : current.fields[c.field as SyncField]);
  if (holdsPlannedValues(change, current)) return 'Coupa already holds these values: nothing left to apply';
  const drifted = change.changes.filter((c) => !sameValue(c.field as SyncField, c.after, valueOf(c)) && !sameValue(c.field as SyncField, c.before ?? null, valueOf(c)));
  if (drifted.length > 0) return `Coupa changed ${drifted.map((c) => c.field).join(', ')} since the plan: not forced (run the file again for a fresh plan)`;
  return undefined;
}

/** The login a change's user has in Coupa now: a rename's old login, else the login. */
export const coupaLoginOf = (c: PlannedChange): string => String(c.changes.find((f) => f.field === 'login')?.before ?? c.login);

/**
 * Each staged change checked against today's config (a login protected or exempt since the hold)
 * and Coupa as it is now: the ones that still apply, and a `skipped` outcome (with the reason) for
 * each row of the others. One bulk lookup.
 */
export async function recheckStaged(
  staged: PlannedChange[],
  directory: UserDirectory,
  rules: ExemptionRules,
): Promise<{ toApply: PlannedChange[]; skipped: RowOutcome[] }> {
  const current = await directory.findByLogins([...new Set(staged.map(coupaLoginOf))]);
  const skipped: RowOutcome[] = [];
  const toApply: PlannedChange[] = [];
  for (const change of staged) {
    const why = exemptNow(change, [change.login, coupaLoginOf(change)], rules) ?? recheck(change, current.get(coupaLoginOf(change)));
    if (why) skipped.push(...rowOutcomesOf({ change, outcome: 'skipped', errors: [why] }));
    else toApply.push(change);
  }
  return { toApply, skipped };
}

/** Longest `--why` kept: it goes into the report and the digest. */
const MAX_WHY = 500;

/**
 * `coupa-sync reject <runId> [--why TEXT]`: a held run is refused. Nothing of its staged changes is
 * written, it can no longer be approved, its report says `rejected` with the why, one digest.
 */
export async function rejectRun(runId: string, why: string | undefined, deps: Pick<RunDeps, 'runs' | 'notifier' | 'clock'>): Promise<RunReport> {
  const plan = await deps.runs.loadPlan(runId);
  if (!plan) throw new ApprovalError(`no run ${runId} is kept here (see --state-dir); reject the run id printed by the held run`);
  if (plan.status !== 'held') throw new ApprovalError(`run ${runId} is not held (it is ${plan.status}): nothing to reject`);
  const at = deps.clock.now();
  const said = why?.replace(/\s+/g, ' ').trim().slice(0, MAX_WHY);
  const reason = `rejected at ${at.toISOString()}${said ? `: ${said}` : ''} (${plan.reason ?? 'held'}); none of its held changes was written`;
  await deps.runs.savePlan({ ...plan, status: 'rejected', reason, staged: [] });
  const held = await deps.runs.loadReport(runId);
  const report: RunReport = held
    ? { ...held, status: 'rejected', reason, finishedAt: at.toISOString() }
    : buildReport(plan.run, new Date(plan.createdAt), at, [], { status: 'rejected', mode: plan.mode, guards: plan.guards, reason });
  delete report.commands;
  await deps.notifier.publish(runDigest(report, await deps.runs.saveReport(report)));
  return report;
}

export async function approveRun(runId: string, deps: RunDeps): Promise<RunReport> {
  const startedAt = deps.clock.now();
  const plan = await deps.runs.loadPlan(runId);
  if (!plan) throw new ApprovalError(`no run ${runId} is kept here (see --state-dir); approve the run id printed by the held run`);
  if (plan.status === 'rejected') throw new ApprovalError(`run ${runId} was rejected (${plan.reason ?? 'no reason given'}): nothing to approve; run the file again for a fresh plan`);
  if (plan.status !== 'held') throw new ApprovalError(`run ${runId} is not held (it is ${plan.status}): nothing to approve`);
  const held = await deps.runs.loadReport(runId);
  const heldHours = (startedAt.getTime() - Date.parse(plan.createdAt)) / 3_600_000;
  if (heldHours > deps.config.approval.expireAfterHours) {
    // Coupa has moved on since the plan: expire it rather than apply a picture days old.
    const reason = `expired: held ${Math.floor(heldHours)} h, more than approval.expireAfterHours (${deps.config.approval.expireAfterHours}); nothing of its staged changes was written. Run the file again for a fresh plan.`;
    await deps.runs.savePlan({ ...plan, status: 'expired', reason });
    if (held) {
      const expired: RunReport = { ...held, status: 'expired', reason };
      const coupaMonitoring = await deps.monitor?.ended(expired, plan.changes);
      await deps.runs.saveReport(coupaMonitoring ? { ...expired, coupaMonitoring } : expired);
    }
    throw new ApprovalError(`run ${runId} ${reason}`);
  }

  await deps.monitor?.approved(runId);
  const { toApply, skipped } = await recheckStaged(plan.staged, deps.directory, exemptionRulesOf(deps.config));
  const outcomes: RowOutcome[] = [...skipped];
  const { stopped } = toApply.length
    ? await deps.applier.apply(toApply, (r) => outcomes.push(...rowOutcomesOf(r))).catch(async (err: unknown) => {
        await deps.monitor?.broken(runId, (err as Error).message);
        throw err;
      })
    : {};

  const status = stopped ? 'stopped' : 'complete';
  if (stopped) await deps.notifier.publish({ kind: 'stopped', severity: 'failure', subject: `Coupa user sync stopped: ${plan.run.file}`, message: stopped, run: plan.run });
  await deps.runs.savePlan({ ...plan, status, staged: [] });
  if (plan.mode === 'full' && status === 'complete') await deps.runs.acceptRoster({ runId, logins: plan.rosterLogins, at: deps.clock.now().toISOString() });

  // The held run's report, with its staged rows replaced by what approval did.
  const earlier = held ? [...held.rows, ...held.absentees.map((a) => ({ ...a, row: 0, absent: true }))] : [];
  const report = buildReport(plan.run, held ? new Date(held.startedAt) : startedAt, deps.clock.now(), [...earlier, ...outcomes], {
    status,
    mode: plan.mode,
    guards: plan.guards,
    reason: [`approved at ${startedAt.toISOString()} (${plan.reason ?? 'held'})`, stopped].filter(Boolean).join('; '),
  });
  const coupaMonitoring = await deps.monitor?.ended(report, plan.changes);
  if (coupaMonitoring) report.coupaMonitoring = coupaMonitoring;
  // One digest for the approval, as for any run.
  await deps.notifier.publish(runDigest(report, await deps.runs.saveReport(report)));
  return report;
}
