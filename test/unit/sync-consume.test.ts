import { describe, expect, it } from 'vitest';
import { CoupaAuthError, CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { MemoryLedger } from '../../lambdas/adapters/local/memory-ledger';
import { consumeBatch } from '../../lambdas/core/sync/consume';
import { FakeDirectory, coupaUser, hrRecord, syncMessage, testConfig } from '../support/factories';

function setup(users = [coupaUser({ login: 'known' })]) {
  const directory = new FakeDirectory(new Map(users.map((u) => [u.login, u])));
  const ledger = new MemoryLedger();
  const notifier = new ConsoleNotifier(() => {});
  return { directory, ledger, notifier, deps: { directory, ledger, notifier, config: testConfig() } };
}

describe('consumeBatch', () => {
  it('looks the whole batch up once, then creates, updates and records every outcome', async () => {
    // Prepare
    const { directory, ledger, deps } = setup();
    const messages = [
      syncMessage(hrRecord({ row: 1, login: 'fresh' })),
      syncMessage(hrRecord({ row: 2, login: 'known', fields: { lastname: 'Changed' } })),
      syncMessage(hrRecord({ row: 3, login: 'known', fields: { lastname: 'Changed' } })),
    ];
    // Act
    const result = await consumeBatch(messages, deps);
    // Assess
    expect(directory.calls).toEqual(['find fresh,known', 'create fresh', 'update 42 lastname']);
    expect(result.retry).toEqual([]);
    expect(result.outcomes).toEqual([
      { row: 1, login: 'fresh', outcome: 'created', changedFields: ['active', 'email', 'firstname', 'lastname'] },
      { row: 2, login: 'known', outcome: 'updated', changedFields: ['lastname'] },
      { row: 3, login: 'known', outcome: 'unchanged' },
    ]);
    expect(ledger.outcomes('run-1')).toHaveLength(3);
  });

  it('records a Coupa rejection as failed with its text, notifies it, and goes on', async () => {
    const { directory, ledger, notifier, deps } = setup();
    directory.faults.set('dup', 'reject');
    const result = await consumeBatch([syncMessage(hrRecord({ row: 7, login: 'dup' })), syncMessage(hrRecord({ row: 8, login: 'ok.one' }))], deps);
    expect(result.outcomes).toEqual([
      { row: 7, login: 'dup', outcome: 'failed', errors: ['Email has already been taken'] },
      expect.objectContaining({ row: 8, outcome: 'created' }),
    ]);
    expect(ledger.outcomes('run-1').map((o) => o.outcome)).toEqual(['failed', 'created']);
    expect(notifier.sent).toHaveLength(1);
    expect(notifier.sent[0]).toMatchObject({ severity: 'failure', logins: ['dup'] });
    expect(notifier.sent[0].message).toContain('row 7, login dup: failed — Email has already been taken');
  });

  it('returns a transient failure and the login\'s later messages for retry, in order', async () => {
    const { directory, ledger, deps } = setup();
    directory.faults.set('flaky', 'retry');
    const first = syncMessage(hrRecord({ row: 1, login: 'flaky' }));
    const second = syncMessage(hrRecord({ row: 2, login: 'flaky', fields: { lastname: 'Later' } }));
    const other = syncMessage(hrRecord({ row: 3, login: 'other' }));
    const result = await consumeBatch([first, other, second], deps);
    expect(result.retry).toEqual([first, second]);
    expect(result.retry[0]).toBe(first);
    expect(result.retryReason).toBe('HTTP 503 after 5 attempts');
    expect(ledger.outcomes('run-1')).toEqual([expect.objectContaining({ row: 3, outcome: 'created' })]);
  });

  it('retries the whole batch when the lookup itself fails transiently', async () => {
    const { directory, deps } = setup();
    directory.faults.set('lookup.fails', 'retry');
    const messages = [syncMessage(hrRecord({ login: 'lookup.fails' }))];
    const result = await consumeBatch(messages, deps);
    expect(result).toEqual({ outcomes: [], retry: messages, retryReason: 'lookup timed out' });
  });

  it('writes nothing in a dry run but reports what would change', async () => {
    const { directory, deps } = setup();
    const result = await consumeBatch([syncMessage(hrRecord({ login: 'known', fields: { firstname: 'Janet' } }))], { ...deps, dryRun: true });
    expect(directory.calls).toEqual(['find known']);
    expect(result.outcomes).toEqual([{ row: 1, login: 'known', outcome: 'updated', changedFields: ['firstname'] }]);
  });

  it('keeps outcomes of different runs in their own ledgers', async () => {
    const { ledger, deps } = setup();
    await consumeBatch([syncMessage(hrRecord({ login: 'a.a' }), 'run-A'), syncMessage(hrRecord({ login: 'b.b' }), 'run-B')], deps);
    expect(ledger.outcomes('run-A').map((o) => o.login)).toEqual(['a.a']);
    expect(ledger.outcomes('run-B').map((o) => o.login)).toEqual(['b.b']);
  });

  it('stops on bad credentials, records what was already applied and hands back the rest', async () => {
    // Prepare
    const { directory, ledger, deps } = setup();
    directory.update = async () => { throw new CoupaAuthError('Coupa rejected the OAuth client', 401); };
    const unsettled = [syncMessage(hrRecord({ row: 2, login: 'known', fields: { lastname: 'Q' } })), syncMessage(hrRecord({ row: 3, login: 'later' }))];
    // Act
    const result = await consumeBatch([syncMessage(hrRecord({ row: 1, login: 'new.x' })), ...unsettled], deps);
    // Assess
    expect(result.fatal).toBeInstanceOf(CoupaAuthError);
    expect(result.retry).toEqual(unsettled);
    expect(ledger.outcomes('run-1')).toEqual([expect.objectContaining({ row: 1, outcome: 'created' })]);
  });

  it('stops starting logins when told to (Lambda out of time) and hands the rest back', async () => {
    const { directory, deps } = setup();
    let started = 0;
    const messages = [syncMessage(hrRecord({ row: 1, login: 'a.one' })), syncMessage(hrRecord({ row: 2, login: 'b.two' }))];
    const result = await consumeBatch(messages, { ...deps, shouldStop: () => started++ >= 1 });
    expect(result.outcomes).toEqual([expect.objectContaining({ row: 1, outcome: 'created' })]);
    expect(result.retry).toEqual([messages[1]]);
    expect(directory.calls).toEqual(['find a.one,b.two', 'create a.one']);
  });

  it('plans a login\'s later rows against the state its earlier rows would leave (dry run)', async () => {
    const { directory, deps } = setup([]);
    const messages = [syncMessage(hrRecord({ row: 1, login: 'twice' })), syncMessage(hrRecord({ row: 2, login: 'twice', fields: { lastname: 'Second' } }))];
    const result = await consumeBatch(messages, { ...deps, dryRun: true });
    expect(result.outcomes.map((o) => [o.row, o.outcome, o.changedFields])).toEqual([[1, 'created', ['active', 'email', 'firstname', 'lastname']], [2, 'updated', ['lastname']]]);
    expect(directory.calls).toEqual(['find twice']);
  });
});

describe('consumeBatch with config.coupa.matchFallback', () => {
  it('renames a user found by employee number instead of creating a duplicate', async () => {
    // Prepare
    const { directory, ledger, notifier } = setup([coupaUser({ login: 'old.login', fields: { email: 'a@example.com', firstname: 'A', lastname: 'B', active: true, 'employee-number': 'E7' } })]);
    const fallback = Object.assign(directory, {
      findByFallback: async (records: Array<{ login: string; employeeNumber?: string }>) =>
        new Map(records.filter((r) => r.employeeNumber === 'E7').map((r) => [r.login, structuredClone(directory.users.get('old.login')!)])),
    });
    const config = testConfig({ coupa: { matchFallback: 'employee-number' } });
    const record = hrRecord({ login: 'new.login', fields: { email: 'a@example.com', firstname: 'A', lastname: 'B', 'employee-number': 'E7' } });
    // Act
    const result = await consumeBatch([syncMessage(record)], { directory: fallback, ledger, notifier, config });
    // Assess
    expect(result.outcomes).toEqual([{ row: 1, login: 'new.login', outcome: 'updated', changedFields: ['login'] }]);
    expect(directory.calls).toEqual(['find new.login', 'update 42 login']);
  });
});

describe('consumeBatch with bulk writes (CSO)', () => {
  function bulkDirectory() {
    const { directory, ledger, notifier } = setup([coupaUser({ login: 'known' }), coupaUser({ id: '43', login: 'known.two' })]);
    const bulk = Object.assign(directory, {
      createMany: async (items: Array<{ login: string; fields: Record<string, unknown> }>) => {
        directory.calls.push(`createMany ${items.map((i) => i.login).join(',')}`);
        return items.map((i) => {
          if (i.login === 'refused') return { login: i.login, error: 'CSO did not apply the change to refused (sent 2, added 1)' };
          const user = { id: `n-${i.login}`, login: i.login, fields: i.fields };
          directory.users.set(i.login, structuredClone(user));
          return { login: i.login, user };
        });
      },
      updateMany: async (items: Array<{ id: string; login: string; changes: Record<string, unknown> }>) => {
        directory.calls.push(`updateMany ${items.map((i) => i.login).join(',')}`);
        return items.map((i) => ({ login: i.login, user: { id: i.id, login: i.login, fields: { ...directory.users.get(i.login)!.fields, ...i.changes } } }));
      },
    });
    return { directory: bulk, deps: { directory: bulk, ledger, notifier, config: testConfig() } };
  }

  it('sends each login\'s first change in one call per kind and reports the items that did not apply', async () => {
    // Prepare
    const { directory, deps } = bulkDirectory();
    const messages = [
      syncMessage(hrRecord({ row: 1, login: 'fresh' })),
      syncMessage(hrRecord({ row: 2, login: 'refused' })),
      syncMessage(hrRecord({ row: 3, login: 'known', fields: { lastname: 'New' } })),
      syncMessage(hrRecord({ row: 4, login: 'known.two', action: 'deactivate', fields: {} })),
      syncMessage(hrRecord({ row: 5, login: 'fresh', fields: { lastname: 'Later' } })),
    ];
    // Act
    const result = await consumeBatch(messages, deps);
    // Assess
    expect(directory.calls).toEqual(['find fresh,refused,known,known.two', 'createMany fresh,refused', 'updateMany known,known.two', 'update n-fresh lastname']);
    expect(result.outcomes.map((o) => [o.row, o.outcome])).toEqual([[1, 'created'], [2, 'failed'], [3, 'updated'], [4, 'deactivated'], [5, 'updated']]);
    expect(result.outcomes[1].errors).toEqual(['CSO did not apply the change to refused (sent 2, added 1)']);
  });

  it('hands a failed bulk call\'s logins back whole, later messages included', async () => {
    const { directory, deps } = bulkDirectory();
    directory.createMany = async () => { throw new CoupaRetryableError('HTTP 503 after 5 attempts'); };
    const messages = [syncMessage(hrRecord({ row: 1, login: 'a.new' })), syncMessage(hrRecord({ row: 2, login: 'b.new' })), syncMessage(hrRecord({ row: 3, login: 'a.new', fields: { lastname: 'X' } })), syncMessage(hrRecord({ row: 4, login: 'known', fields: { lastname: 'Y' } }))];
    const result = await consumeBatch(messages, deps);
    expect(result.retry.map((m) => m.record.row)).toEqual([1, 3, 2]);
    expect(result.outcomes.map((o) => [o.row, o.outcome])).toEqual([[4, 'updated']]);
  });
});
