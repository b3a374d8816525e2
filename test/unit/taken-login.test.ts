import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../lambdas/core/apply/apply-changes';
import type { ChangeResult } from '../../lambdas/core/apply/outcomes';
import { CONFIRMED_EXISTING } from '../../lambdas/core/apply/taken-login';
import { CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import { FakeDirectory, coupaUser, plannedChange } from '../support/factories';

const create = (login: string) => plannedChange({ login, kind: 'create', send: { email: `${login}@example.com`, firstname: 'Ann', lastname: 'Lee' } });

async function apply(directory: FakeDirectory, ...changes: ReturnType<typeof create>[]) {
  const results: ChangeResult[] = [];
  const outcome = await applyChanges(changes, { directory, maxInFlight: 2, onResult: (r) => void results.push(r) });
  return { outcome, results: results.map((r) => [r.change.login, r.outcome, r.errors ?? [], r.warnings ?? []]) };
}

describe('a create refused because the login is taken', () => {
  it('is created (confirmed) when Coupa holds every planned value: an earlier delivery created it', async () => {
    // Prepare: the change was delivered once already (Coupa has the user as planned).
    const directory = new FakeDirectory();
    const change = create('ann.lee');
    await apply(directory, change);
    // Act: delivered again
    const { outcome, results } = await apply(directory, change);
    // Assess
    expect(results).toEqual([['ann.lee', 'created', [], [CONFIRMED_EXISTING]]]);
    expect(outcome.retry).toEqual([]);
    expect(directory.calls).toEqual(['create ann.lee', 'create ann.lee', 'find ann.lee']);
  });

  it('fails with Coupa\'s message when the existing user holds other values (someone else created it)', async () => {
    // Prepare: Coupa has ann.lee with another e-mail.
    const directory = new FakeDirectory(new Map([['ann.lee', coupaUser({ login: 'ann.lee', fields: { email: 'someone@example.com', firstname: 'Ann', lastname: 'Lee' } })]]));
    // Act
    const { results } = await apply(directory, create('ann.lee'));
    // Assess
    expect(results).toEqual([['ann.lee', 'failed', ['Login has already been taken'], []]]);
  });

  it('is tried again later (not failed) when the re-read itself fails', async () => {
    // Prepare: the user exists as planned, but the lookup times out.
    const directory = new FakeDirectory();
    await apply(directory, create('lookup.ann'));
    directory.findByLogins = async () => {
      throw new CoupaRetryableError('lookup timed out');
    };
    // Act
    const { outcome, results } = await apply(directory, create('lookup.ann'));
    // Assess
    expect(results).toEqual([]);
    expect(outcome.retry.map((c) => c.login)).toEqual(['lookup.ann']);
    expect([...outcome.attemptsFailed.values()]).toEqual(['lookup timed out']);
  });

  it('stays failed for any other refusal (no re-read)', async () => {
    // Prepare
    const directory = new FakeDirectory();
    directory.faults.set('ann.lee', 'reject');
    // Act
    const { results } = await apply(directory, create('ann.lee'));
    // Assess
    expect(results).toEqual([['ann.lee', 'failed', ['Email has already been taken'], []]]);
    expect(directory.calls).toEqual(['create ann.lee']);
  });
});
