/**
 * HR-owned roles end to end: an HR file with a `roles` column through splitter → memory queue →
 * consumer → real HTTP → emulator, with coupa.ownedCollections = ['roles'], in XML and JSON.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { runLocalPipeline } from '../../lambdas/adapters/local/local-pipeline';
import { createUserDirectory } from '../../lambdas/adapters/coupa';
import { HrFileError } from '../../lambdas/core/hr/read-hr-file';
import { testConfig } from '../support/factories';

const HR_FILE = 'login,lastname,roles\n' + 'steady.state,Steady,"User, Buyer"\n' + 'mgr.jones,Jones,\n';

const rolesOf = (emulator: RunningEmulator, login: string) =>
  ((emulator.users().find((u) => u.login === login)?.roles as Array<{ name: string }> | undefined) ?? []).map((r) => r.name);

describe.each(['xml', 'json'] as const)('local pipeline with HR-owned roles (%s)', (format) => {
  let dir: string;
  let file: string;
  let emulator: RunningEmulator;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'owned-roles-'));
    file = join(dir, 'hr-roles.csv');
    await writeFile(file, HR_FILE);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    emulator = await startEmulator({
      seed: [
        { login: 'steady.state', email: 'steady@example.com', firstname: 'Sam', lastname: 'Steady', roles: ['User'] },
        { login: 'mgr.jones', email: 'mgr.jones@example.com', firstname: 'Maria', lastname: 'Jones', roles: ['Approver'] },
      ],
    });
  });
  afterEach(async () => {
    await emulator.close();
  });

  const run = (ownedCollections: string[]) => {
    const config = testConfig({ coupa: { format, ownedCollections } });
    const directory = createUserDirectory({ baseUrl: emulator.url, config: config.coupa, credentials: emulator.credentials });
    return runLocalPipeline({ file, config, directory, notifier: new ConsoleNotifier(() => {}) });
  };

  it('gives a user the Buyer role, leaves a user with an empty roles cell alone, and is unchanged when run again', async () => {
    // Act
    const first = await run(['roles']);
    const second = await run(['roles']);
    // Assess
    expect(first.report.rows.map((r) => [r.row, r.login, r.outcome, r.changedFields])).toEqual([
      [1, 'steady.state', 'updated', ['roles']],
      [2, 'mgr.jones', 'unchanged', undefined],
    ]);
    expect(rolesOf(emulator, 'steady.state')).toEqual(['User', 'Buyer']);
    expect(rolesOf(emulator, 'mgr.jones')).toEqual(['Approver']);
    expect(second.report.totals).toMatchObject({ rows: 2, unchanged: 2, updated: 0 });
  });

  it('refuses the whole file, changing nothing, when the config does not own roles', async () => {
    // Prepare
    emulator.resetLog();
    // Act
    const error = await run([]).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(HrFileError);
    expect((error as Error).message).toContain('Add "roles" to coupa.ownedCollections');
    expect(emulator.requests).toEqual([]);
    expect(rolesOf(emulator, 'steady.state')).toEqual(['User']);
  });
});
