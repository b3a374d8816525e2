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
  it('delivers the files to the configured folder and saves a manifest mapping every line to its HR row', async () => {
    // Prepare
    const deps = depsFor({ config: aConfig({ remoteDirectory: '/Incoming/Users' }) });
    const messages = [
      aMessage({ row: 2, login: 'jdoe', fields: { email: 'j@example.com' } }),
      aMessage({ row: 3, login: 'asmith', fields: { email: 'a@example.com' } }),
      aMessage({ row: 4, login: 'leaver', action: 'deactivate', fields: {} }),
      aMessage({ row: 5, login: 'jdoe', fields: { email: 'j2@example.com' } }),
    ];

    // Act
    const manifests = await deliverCsvBatch(messages, deps);

    // Assess
    expect(deps.drop.files.map((f) => [f.name, f.dir])).toEqual([
      [expect.stringMatching(/^users_20261123_040506Z_789_[0-9a-f]{8}_0001\.csv$/), '/Incoming/Users'],
      [expect.stringMatching(/^users_20261123_040506Z_789_[0-9a-f]{8}_0002\.csv$/), '/Incoming/Users'],
    ]);
    expect(parse(deps.drop.files[0].body)).toEqual([['Login', 'Email'], ['asmith', 'a@example.com'], ['jdoe', 'j2@example.com']]);
    expect(manifests.map((m) => m.fileName)).toEqual(deps.drop.files.map((f) => f.name));
    expect(manifests[0]).toMatchObject({ remoteDirectory: '/Incoming/Users', sentAt: '2026-11-23T04:05:06.789Z', transferId: 't-1' });
    expect(manifests[0].rows).toEqual([
      { line: 1, run: aRun(), row: 3, login: 'asmith', deactivate: false },
      { line: 2, run: aRun(), row: 2, login: 'jdoe', deactivate: false },
      { line: 2, run: aRun(), row: 5, login: 'jdoe', deactivate: false },
    ]);
    expect(manifests[1].rows).toEqual([{ line: 1, run: aRun(), row: 4, login: 'leaver', deactivate: true }]);
    expect((await deps.manifests.pending()).map((m) => m.fileName)).toEqual(manifests.map((m) => m.fileName));
    expect(deps.ledger.entries).toEqual([]);
  });

  it('records and notifies rejected rows per run, and sends the rest', async () => {
    // Prepare
    const deps = depsFor({ config: aConfig({}, { protectedLogins: ['coupa.integration'] }) });
    const other = aRun({ runId: 'run-2', file: 'incoming/csv/other.csv' });
    const messages = [
      aMessage({ row: 2, login: 'newbie', action: 'create', fields: { email: 'n@example.com' } }),
      aMessage({ row: 3, login: 'ok.user', fields: { firstname: 'Ok' } }),
      aMessage({ row: 9, login: 'coupa.integration', action: 'deactivate', fields: {} }, other),
    ];

    // Act
    const manifests = await deliverCsvBatch(messages, deps);

    // Assess
    expect(manifests.flatMap((m) => m.rows.map((r) => r.login))).toEqual(['ok.user']);
    expect(deps.ledger.entries).toEqual([
      { run: aRun(), outcomes: [{ row: 2, login: 'newbie', outcome: 'rejected', errors: [expect.stringMatching(/HR row 2.*First Name, Last Name/)] }] },
      { run: other, outcomes: [{ row: 9, login: 'coupa.integration', outcome: 'rejected', errors: [expect.stringMatching(/protected login/)] }] },
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
    await deliverCsvBatch([aMessage({ fields: { email: 'j@example.com', firstname: 'J', lastname: 'D' } })], deps);

    // Assess
    expect(deps.drop.files[0].body.toString('utf8').split('\r\n')[0]).toBe('"Login*","Email*","First Name*","Last Name*"');
  });

  it('throws when a delivery fails, recording nothing final so the queue can retry the batch', async () => {
    // Prepare
    const deps = depsFor();
    deps.drop.failOn = '_0002.csv';
    const messages = [
      aMessage({ row: 1, login: 'a', fields: { email: 'a@example.com' } }),
      aMessage({ row: 2, login: 'b', action: 'deactivate', fields: {} }),
      aMessage({ row: 3, login: 'c', action: 'create', fields: {} }),
    ];

    // Act
    const attempt = deliverCsvBatch(messages, deps);

    // Assess
    await expect(attempt).rejects.toThrow(/connection reset/);
    expect(deps.ledger.entries).toEqual([]);
    expect(deps.notifier.sent).toEqual([]);
    expect((await deps.manifests.pending()).map((m) => m.rows[0].login)).toEqual(['a']);
  });

  it('lets the higher HR row of a run win even when the queue delivered it first', async () => {
    // Prepare
    const deps = depsFor();
    const messages = [
      aMessage({ row: 5, login: 'jdoe', fields: { lastname: 'Newest' } }),
      aMessage({ row: 2, login: 'jdoe', fields: { lastname: 'Older' } }),
    ];

    // Act
    const [manifest] = await deliverCsvBatch(messages, deps);

    // Assess
    expect(parse(deps.drop.files[0].body)).toEqual([['Login', 'Last Name'], ['jdoe', 'Newest']]);
    expect(manifest.rows.map((r) => [r.line, r.row])).toEqual([[1, 2], [1, 5]]);
  });

  it('names the files of two batches sent in the same millisecond differently', async () => {
    // Prepare
    const deps = depsFor();

    // Act
    const [first] = await deliverCsvBatch([aMessage({ row: 1 })], deps);
    const [second] = await deliverCsvBatch([aMessage({ row: 2 })], deps);

    // Assess
    expect(first.fileName).not.toBe(second.fileName);
  });

  it('names the files of a later batch in the same second so they load after the earlier one', async () => {
    // Prepare
    const deps = depsFor();
    const batches = [[aMessage({ row: 1 })], [aMessage({ row: 2 })], [aMessage({ row: 3 })], [aMessage({ row: 4 })]];

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
    const manifests = await deliverCsvBatch([aMessage({ row: 4, login: 'coupa.INTEGRATION', fields: { lastname: 'X' } })], deps);

    // Assess
    expect(manifests).toEqual([]);
    expect(deps.ledger.entries[0].outcomes).toEqual([
      { row: 4, login: 'coupa.INTEGRATION', outcome: 'rejected', errors: [expect.stringMatching(/protected login/)] },
    ]);
  });
});
