/**
 * A create delivered twice (queued again after a planner died, or its answer lost) against the
 * emulator over real HTTP: the second delivery meets Coupa's "Login has already been taken",
 * re-reads the user and reports `created` (confirmed) — one user, no failure. Both flavours:
 * Core's POST (the core's re-read, with its warning) and CSO's lenient bulk POST (which answers
 * "added 0" without a reason: its adapter re-reads the short count itself and passes a user that
 * holds what was sent as created, so no warning is added there).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { createUserDirectory, type UserDirectory } from '../../lambdas/adapters/coupa';
import { applyChanges } from '../../lambdas/core/apply/apply-changes';
import type { ChangeResult } from '../../lambdas/core/apply/outcomes';
import { CONFIRMED_EXISTING } from '../../lambdas/core/apply/taken-login';
import { parseConfig } from '../../lambdas/core/config';
import type { PlannedChange } from '../../lambdas/core/model';
import { plannedChange } from '../support/factories';

const create = (login: string, email = `${login}@example.com`): PlannedChange =>
  plannedChange({ login, kind: 'create', send: { email, firstname: 'Dup', lastname: 'Licate' } });

describe.each(['core', 'cso'] as const)('a create delivered twice, against the emulator (%s)', (flavor) => {
  let emulator: RunningEmulator;
  let directory: UserDirectory;

  beforeAll(async () => {
    emulator = await startEmulator({ flavor, seed: 'none' });
    const config = parseConfig({ coupa: { flavor } }).coupa;
    directory = createUserDirectory({ baseUrl: emulator.url, config: { ...config, requestTimeoutMs: 5000 }, credentials: emulator.credentials });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  async function apply(change: PlannedChange) {
    const results: ChangeResult[] = [];
    await applyChanges([change], { directory, maxInFlight: 1, onResult: (r) => void results.push(r) });
    return results.map((r) => ({ outcome: r.outcome, errors: r.errors, warnings: r.warnings }));
  }

  it('reports the second delivery created (confirmed): one user in Coupa', async () => {
    // Prepare: the first delivery created the user.
    expect(await apply(create('dup.user'))).toEqual([{ outcome: 'created', errors: undefined, warnings: undefined }]);
    // Act: the same change again
    const again = await apply(create('dup.user'));
    // Assess
    expect(again).toEqual([{ outcome: 'created', errors: undefined, warnings: flavor === 'core' ? [CONFIRMED_EXISTING] : undefined }]);
    expect(await directory.findBy('login', ['dup.user'])).toHaveLength(1);
  });

  it('fails with Coupa\'s message when the login is held with other values', async () => {
    // Prepare
    await apply(create('taken.user', 'first@example.com'));
    // Act
    const again = await apply(create('taken.user', 'second@example.com'));
    // Assess
    expect(again).toHaveLength(1);
    expect(again[0].outcome).toBe('failed');
    expect(again[0].errors?.join(' ')).toMatch(flavor === 'core' ? /^Login has already been taken$/ : /^CSO did not create taken.user/);
    expect((await directory.findByLogins(['taken.user'])).get('taken.user')?.fields.email).toBe('first@example.com');
  });
});
