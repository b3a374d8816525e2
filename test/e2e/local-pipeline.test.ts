/**
 * The walking skeleton end to end: the example HR file through splitter → memory queue →
 * consumer → real HTTP → emulator, in XML and JSON, checked against the emulator's final state.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLocalPipeline } from '../../lambdas/adapters/local/local-pipeline';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { createUserDirectory } from '../../lambdas/adapters/coupa';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { testConfig } from '../support/factories';

const EXAMPLE = 'examples/hr-users.csv';

describe.each(['xml', 'json'] as const)('local pipeline on examples/hr-users.csv (%s)', (format) => {
  let emulator: RunningEmulator;
  beforeEach(async () => {
    emulator = await startEmulator({ seed: 'demo' });
  });
  afterEach(async () => {
    await emulator.close();
  });

  function userByLogin(login: string): Record<string, unknown> | undefined {
    return emulator.users().find((u) => u.login === login);
  }

  it('creates, modifies, deactivates, leaves alone and rejects in pre-flight, for every row', async () => {
    // Prepare
    const config = testConfig({ coupa: { format } });
    const { clientId, clientSecret } = emulator.credentials;
    const directory = createUserDirectory({ baseUrl: emulator.url, config: config.coupa, credentials: { clientId, clientSecret } });
    const notifier = new ConsoleNotifier(() => {});
    // Act
    const { report } = await runLocalPipeline({ file: EXAMPLE, config, directory, notifier });
    // Assess: the report
    expect(report.totals).toEqual({ rows: 6, absentees: 0, created: 1, updated: 1, deactivated: 1, reactivated: 0, unchanged: 1, applied: 0, submitted: 0, held: 0, skipped: 0, rejected: 2, failed: 0 });
    expect(report.rows.map((r) => [r.row, r.login, r.outcome])).toEqual([
      [1, 'new.hire', 'created'],
      [2, 'USER_TEST', 'updated'],
      [3, 'leaver.lee', 'deactivated'],
      [4, 'steady.state', 'unchanged'],
      [5, 'dup.email', 'rejected'],
      [6, 'bad.row', 'rejected'],
    ]);
    expect(report.rows[1].changedFields).toEqual(['email', 'lastname']);
    // Pre-flight: the e-mail is mgr.jones's in Coupa, so the create is never sent (Coupa would refuse it).
    expect(report.rows[4].errors).toEqual([
      'row 5: e-mail (column "email") belongs to Coupa user "mgr.jones" already: Coupa allows one user per e-mail (ignoring case); correct the HR file, or change that user\'s e-mail in Coupa first; nothing of this row was sent',
    ]);
    expect(report.rows[5].errors).toEqual([
      `${EXAMPLE}, row 6: field "email": the value is not an e-mail address`,
      `${EXAMPLE}, row 6: field "active": "maybe" is not true or false`,
    ]);
    // Assess: Coupa's final state, row by row
    expect(userByLogin('new.hire')).toMatchObject({ email: 'nina.hire@example.com', firstname: 'Nina', lastname: 'Hire', active: true, 'employee-number': 'E2001', 'purchasing-user': true, manager: { login: 'mgr.jones' } });
    expect(userByLogin('USER_TEST')).toMatchObject({ id: 281, email: 'user_test_newer_email@coupa.com', lastname: 'test newer lastname', active: true });
    expect(userByLogin('leaver.lee')).toMatchObject({ id: 283, active: false });
    expect(userByLogin('steady.state')).toMatchObject({ id: 284, active: true, lastname: 'Steady' });
    expect(userByLogin('dup.email')).toBeUndefined();
    expect(userByLogin('bad.row')).toBeUndefined();
    // Assess: failures were published with the user they concern
    const logins = notifier.sent.flatMap((n) => n.logins ?? []);
    expect(logins.sort()).toEqual(['bad.row', 'dup.email']);
    // Assess: only changed fields were sent; one bulk lookup of the file's logins, one of the e-mails it sends
    const writes = emulator.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/api/'));
    expect(writes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(['POST /api/users', 'PUT /api/users/281', 'PUT /api/users/283']);
    const reads = emulator.requests.filter((r) => r.method === 'GET' && r.path === '/api/users');
    expect(reads.map((r) => r.query.match(/^(login|email)\[in\]/)?.[1])).toEqual(['login', 'email']);
  });
});

describe('local pipeline with matchFallback = employee-number', () => {
  it('renames the Coupa user whose employee number matches instead of creating a duplicate', async () => {
    // Prepare
    const emulator = await startEmulator({ seed: 'demo' });
    try {
      const { mkdtemp, writeFile } = await import('node:fs/promises');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const file = join(await mkdtemp(join(tmpdir(), 'fallback-')), 'hr.csv');
      await writeFile(file, 'login,email,firstname,lastname,employee-number\nsam.steady,steady@example.com,Sam,Steady,E1003\n');
      const config = testConfig({ coupa: { format: 'json', matchFallback: 'employee-number' } });
      const { clientId, clientSecret } = emulator.credentials;
      const directory = createUserDirectory({ baseUrl: emulator.url, config: config.coupa, credentials: { clientId, clientSecret } });
      // Act
      const { report } = await runLocalPipeline({ file, config, directory, notifier: new ConsoleNotifier(() => {}) });
      // Assess
      expect(report.rows).toEqual([
        { row: 1, login: 'sam.steady', outcome: 'updated', changedFields: ['login'], changes: [{ field: 'login', before: 'steady.state', after: 'sam.steady' }] },
      ]);
      expect(emulator.users().find((u) => u.id === 284)).toMatchObject({ login: 'sam.steady', 'employee-number': 'E1003' });
      expect(emulator.users().filter((u) => u['employee-number'] === 'E1003')).toHaveLength(1);
    } finally {
      await emulator.close();
    }
  });
});
