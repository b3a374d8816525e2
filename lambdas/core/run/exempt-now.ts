/**
 * Approval happens hours after the plan, and the config may have changed meanwhile: a login added
 * to `coupa.protectedLogins`, or a pattern to `roster.exempt`, must win over a staged change, as it
 * would had the file been planned today. The rules are the planner's (plan-user.ts, reconcile.ts):
 * a protected login is never changed at all; `roster.exempt` spares only absentees of a full roster
 * (a row that says `active=false` for an exempt login is still deactivated by a fresh plan, so it is
 * by approval too).
 */
import type { SyncConfig } from '../config';
import { isProtectedLogin, type PlannedChange } from '../model';
import { globMatcher } from '../plan/glob';

export type ExemptionRules = Pick<SyncConfig['coupa'], 'protectedLogins'> & Pick<SyncConfig['roster'], 'exempt'>;

export function exemptionRulesOf(config: Pick<SyncConfig, 'coupa' | 'roster'>): ExemptionRules {
  return { protectedLogins: config.coupa.protectedLogins, exempt: config.roster.exempt };
}

/**
 * Why today's config forbids the staged change (`<login> is protected now: not deactivated`), or
 * undefined when it still may go. `logins`: the change's login and, for a rename, its Coupa login.
 */
export function exemptNow(change: PlannedChange, logins: readonly string[], rules: ExemptionRules): string | undefined {
  const what = change.kind === 'deactivate' ? 'not deactivated' : 'not changed';
  const protectedLogin = logins.find((l) => isProtectedLogin(l, rules.protectedLogins));
  if (protectedLogin) return `${protectedLogin} is protected now: ${what}`;
  if (!change.absent || change.kind !== 'deactivate') return undefined;
  // The first pattern that matches, named: the operator sees which line of the config spared the user.
  const pattern = rules.exempt.find((p) => globMatcher([p])(change.login));
  return pattern === undefined ? undefined : `${change.login} matches roster.exempt "${pattern}" now: ${what}`;
}
