import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { deliverCsvBatch, type CsvBatchDeps } from '../../lambdas/core/csv/batcher';
import { createMemoryManifestStore } from '../../lambdas/core/csv/manifest';
import { headerNamesFromTemplate } from '../../lambdas/core/csv/user-import-format';
import { aConfig, aMessage, aRun, fakeClock, fakeDrop, fakeLedger, fakeNotifier } from './csv-factories';

function depsFor(overrides: Pick<Partial<CsvBatchDeps>, 'config' | 'headerNames'> = {}) {
  return {
    drop: fakeDrop(),
    manifests: createMemoryManifestStore(),
    ledger: fakeLedger(),
    notifier: fakeNotifier(),
    clock: fakeClock(),
    config: overrides.config ?? aConfig(),
    headerNames: overrides.headerNames,
  };
}

describe('deliverCsvBatch', () => {
  it('delivers the files to the configured folder and saves a manifest mapping every line to each HR row it settles', async () => {
    // Prepare: jdoe's change folds HR rows 2 and 5 (the planner made one change of them), a leaver, an absentee.
    const deps = depsFor({ config: aConfig({ remoteDirectory: '/Incoming/Users' }) });
    const messages = [
      aMessage({ rows: [2, 5], login: 'jdoe', send: { email: 'j2@example.com' } }),
      aMessage({ rows: [3], login: 'asmith', send: { email: 'a@example.com' } }),
      aMessage({ rows: [4], login: 'leaver', kind: 'deactivate', send: { active: false } }),
      aMessage({ rows: [], login: 'gone.absent', kind: 'deactivate', send: { active: false }, absent: true }),
    ];

    // Act
    const manifests = await deliverCsvBatch(messages, deps);

    // Assess
    expect(deps.drop.files.map((f) => [f.name, f.dir])).toEqual([
      [expect.stringMatching(/^users_20261123_040506Z_789_[0-9a-f]{8}_0001\.csv$/), '/Incoming/Users'],
      [expect.stringMatching(/^users_20261123_040506Z_789_[0-9a-f]{8}_0002\.csv$/), '/Incoming/Users'],
    ]);
    expect(parse(deps.drop.files[0].body)).toEqual([['Login', 'Email'], ['jdoe', 'j2@example.com'], ['asmith', 'a@example.com']]);
    expect(parse(deps.drop.files[1].body)).toEqual([['Login', 'Status'], ['leaver', 'inactive'], ['gone.absent', 'inactive']]);
    expect(manifests.map((m) => m.fileName)).toEqual(deps.drop.files.map((f) => f.name));
    expect(manifests[0]).toMatchObject({ remoteDirectory: '/Incoming/Users', sentAt: '2026-11-23T04:05:06.789Z', transferId: 't-1' });
    expect(manifests[0].rows).toEqual([
      { line: 1, run: aRun(), row: 2, login: 'jdoe', deactivate: false },
      { line: 1, run: aRun(), row: 5, login: 'jdoe', deactivate: false },
      { line: 2, run: aRun(), row: 3, login: 'asmith', deactivate: false },
    ]);
    expect(manifests[1].rows).toEqual([
      { line: 1, run: aRun(), row: 4, login: 'leaver', deactivate: true },
      { line: 2, run: aRun(), row: 0, login: 'gone.absent', deactivate: true, absent: true },
    ]);
    expect((await deps.manifests.pending()).map((m) => m.fileName)).toEqual(manifests.map((m) => m.fileName));
    // Every delivered row is recorded submitted (its run counts it as handed to the loader), in one record for the run.
    expect(deps.ledger.entries.map((e) => [e.run, e.outcomes.map((o) => [o.row, o.login, o.outcome])])).toEqual([
      [aRun(), [[2, 'jdoe', 'submitted'], [5, 'jdoe', 'submitted'], [3, 'asmith', 'submitted'], [4, 'leaver', 'submitted'], [0, 'gone.absent', 'submitted']]],
    ]);
  });

  it('records and notifies rejected rows per run, and sends the rest (recorded submitted)', async () => {
    // Prepare
    const deps = depsFor({ config: aConfig({}, { protectedLogins: ['coupa.integration'] }) });
    const other = aRun({ runId: 'run-2', file: 'incoming/csv/other.csv' });
    const messages = [
      aMessage({ rows: [2], login: 'newbie', kind: 'create', send: { email: 'n@example.com' } }),
      aMessage({ rows: [3], login: 'ok.user', send: { firstname: 'Ok' } }),
      aMessage({ rows: [9], login: 'coupa.integration', kind: 'deactivate', send: { active: false } }, other),
    ];

    // Act
    const manifests = await deliverCsvBatch(messages, deps);

    // Assess
    expect(manifests.flatMap((m) => m.rows.map((r) => r.login))).toEqual(['ok.user']);
    const rejected = (row: number, login: string, send: Record<string, unknown>, error: RegExp) => ({
      row,
      login,
      outcome: 'rejected',
      changedFields: Object.keys(send),
      changes: Object.entries(send).map(([field, after]) => ({ field, after })),
      errors: [expect.stringMatching(error)],
    });
    expect(deps.ledger.entries).toEqual([
      {
        run: aRun(),
        outcomes: [
          rejected(2, 'newbie', { email: 'n@example.com' }, /HR row 2.*First Name, Last Name/),
          { row: 3, login: 'ok.user', outcome: 'submitted', changedFields: ['firstname'], changes: [{ field: 'firstname', after: 'Ok' }] },
        ],
      },
      { run: other, outcomes: [rejected(9, 'coupa.integration', { active: false }, /protected login/)] },
    ]);
    expect(deps.notifier.sent).toHaveLength(2);
    expect(deps.notifier.sent[0]).toMatchObject({ severity: 'failure', logins: ['newbie'], run: aRun() });
    expect(deps.notifier.sent[0].message).toContain('row 2');
  });

  it("writes the instance template's header spelling", async () => {
    // Prepare
    const headerNames = headerNamesFromTemplate('"Login*","Email*","First Name*","Last Name*"\n');
    const deps = depsFor({ headerNames });

    // Act
    await deliverCsvBatch([aMessage({ send: { email: 'j@example.com', firstname: 'J', lastname: 'D' } })], deps);

    // Assess
    expect(deps.drop.files[0].body.toString('utf8').split('\r\n')[0]).toBe('"Login*","Email*","First Name*","Last Name*"');
  });

  it('throws when a delivery fails, recording nothing final so the queue can retry the batch', async () => {
    // Prepare
    const deps = depsFor();
    deps.drop.failOn = '_0002.csv';
    const messages = [
      aMessage({ rows: [1], login: 'a', send: { email: 'a@example.com' } }),
      aMessage({ rows: [2], login: 'b', kind: 'deactivate', send: { active: false } }),
      aMessage({ rows: [3], login: 'c', kind: 'create', send: {} }),
    ];

    // Act
    const attempt = deliverCsvBatch(messages, deps);

    // Assess
    await expect(attempt).rejects.toThrow(/connection reset/);
    expect(deps.ledger.entries).toEqual([]);
    expect(deps.notifier.sent).toEqual([]);
    expect((await deps.manifests.pending()).map((m) => m.rows[0].login)).toEqual(['a']);
  });

  it('puts a manager created in the run in an earlier file than its reports, even when the queue delivered the reports first', async () => {
    // Prepare: two reports (level 1) of a new manager (level 0), delivered before the manager.
    const deps = depsFor();
    const hire = (login: string, rows: number[], level: number, manager?: string) =>
      aMessage({
        rows,
        login,
        kind: 'create',
        level,
        send: { active: true, email: `${login}@example.com`, firstname: 'F', lastname: 'L', ...(manager ? { manager } : {}) },
        ...(manager ? { dependsOn: manager } : {}),
      });
    const messages = [hire('report.b', [3], 1, 'new.boss'), hire('report.a', [2], 1, 'new.boss'), hire('new.boss', [4], 0)];

    // Act
    const manifests = await deliverCsvBatch(messages, deps);

    // Assess: file names sort in load order; the manager's file first, reports in HR row order.
    expect(manifests.map((m) => m.rows.map((r) => [r.row, r.login]))).toEqual([[[4, 'new.boss']], [[2, 'report.a'], [3, 'report.b']]]);
    expect(manifests.map((m) => m.fileName)).toEqual([...manifests.map((m) => m.fileName)].sort());
    expect(parse(deps.drop.files[1].body)[0]).toContain('Approver Login');
  });

  it('names the files of two batches sent in the same millisecond differently', async () => {
    // Prepare
    const deps = depsFor();

    // Act
    const [first] = await deliverCsvBatch([aMessage({ rows: [1], login: 'first.user' })], deps);
    const [second] = await deliverCsvBatch([aMessage({ rows: [2], login: 'second.user' })], deps);

    // Assess
    expect(first.fileName).not.toBe(second.fileName);
  });

  it('names the files of a later batch in the same second so they load after the earlier one', async () => {
    // Prepare
    const deps = depsFor();
    const batches = [1, 2, 3, 4].map((n) => [aMessage({ rows: [n], login: `user.${n}` })]);

    // Act: 10 ms apart, all within one second
    const names: string[] = [];
    for (const batch of batches) {
      const [manifest] = await deliverCsvBatch(batch, deps);
      names.push(manifest.fileName);
      await deps.clock.sleep(10);
    }

    // Assess
    expect(names.every((n) => n.startsWith('users_20261123_040506Z_'))).toBe(true);
    expect([...names].sort()).toEqual(names);
  });

  it('rejects a protected login whatever its case', async () => {
    // Prepare
    const deps = depsFor({ config: aConfig({}, { protectedLogins: ['Coupa.Integration'] }) });

    // Act
    const manifests = await deliverCsvBatch([aMessage({ rows: [4], login: 'coupa.INTEGRATION', send: { lastname: 'X' } })], deps);

    // Assess
    expect(manifests).toEqual([]);
    expect(deps.ledger.entries[0].outcomes).toEqual([
      {
        row: 4,
        login: 'coupa.INTEGRATION',
        outcome: 'rejected',
        changedFields: ['lastname'],
        changes: [{ field: 'lastname', after: 'X' }],
        errors: [expect.stringMatching(/protected login/)],
      },
    ]);
  });

  it('orders two runs by when they were queued, not by which the standard queue handed out first: the newer change wins', async () => {
    // Prepare: run-new (queued at t=2000) corrected lee's last name after run-old (t=1000); the queue hands run-new's message out first.
    const deps = depsFor();
    const older = aRun({ runId: 'run-old', file: 'incoming/csv/monday.csv' });
    const newer = aRun({ runId: 'run-new', file: 'incoming/csv/tuesday.csv' });
    const fromNewer = aMessage({ rows: [1], login: 'lee', send: { lastname: 'Tuesday' } }, newer);
    const fromOlder = aMessage({ rows: [1], login: 'lee', send: { lastname: 'Monday' } }, older);
    const queuedAt = new Map([
      [fromNewer, 2000],
      [fromOlder, 1000],
    ]);
    // Act
    const manifests = await deliverCsvBatch([fromNewer, fromOlder], deps, queuedAt);
    // Assess: the later change supersedes the earlier one on the same line (file-splitter.ts), so the newer value is what Coupa gets.
    expect(deps.drop.files.map((f) => parse(f.body))).toEqual([[['Login', 'Last Name'], ['lee', 'Tuesday']]]);
    expect(manifests.map((m) => m.rows.map((r) => [r.line, r.run.runId]))).toEqual([
      [
        [1, 'run-old'],
        [1, 'run-new'],
      ],
    ]);
  });
});
