import { describe, expect, it } from 'vitest';
import { createMemoryManifestStore, type CsvManifest } from '../../lambdas/core/csv/manifest';
import { MAX_TRANSFER_ATTEMPTS, collectCsvResults } from '../../lambdas/core/csv/results';
import type { TransferTracker } from '../../lambdas/core/ports';
import { aLoad, aRun, fakeClock, fakeLedger, fakeNotifier, scriptedReader } from './csv-factories';

const aManifest = (): CsvManifest => ({
  fileName: 'users_x.csv',
  remoteDirectory: '/Incoming/Users',
  sentAt: '2026-11-23T04:05:06.789Z',
  transferId: 't-1',
  rows: [
    { line: 1, run: aRun(), row: 3, login: 'jdoe', deactivate: false },
    { line: 2, run: aRun(), row: 0, login: 'gone.user', deactivate: true, absent: true },
  ],
});

/** A connector whose transfers fail `failures` times, then complete; records every resend. */
function flakyConnector(failures: number): TransferTracker & { resent: string[] } {
  const resent: string[] = [];
  let failed = 0;
  return {
    resent,
    async status() {
      if (failed < failures) {
        failed += 1;
        return { state: 'failed', reason: 'CONNECTION_ERROR host unreachable' };
      }
      return { state: 'completed' };
    },
    async resend({ fileName }) {
      resent.push(fileName);
      return { transferId: `t-${resent.length + 1}` };
    },
  };
}

async function pass(manifest: CsvManifest, transfers: TransferTracker, reader = scriptedReader({})) {
  const manifests = createMemoryManifestStore();
  await manifests.save(manifest);
  const ledger = fakeLedger();
  const deps = { reader, manifests, ledger, notifier: fakeNotifier(), clock: fakeClock(), transfers };
  return { deps, ledger, manifests };
}

describe('collectCsvResults with a Transfer connector (issue 9: a failed sFTP transfer is re-sent, then failed)', () => {
  it('re-sends a file whose transfer failed and keeps it pending under the new transfer id', async () => {
    // Prepare
    const connector = flakyConnector(1);
    const { deps, ledger, manifests } = await pass(aManifest(), connector);
    // Act
    const result = await collectCsvResults(await manifests.pending(), deps, { timeoutSeconds: 0, pollSeconds: 0 });
    // Assess
    expect(connector.resent).toEqual(['users_x.csv']);
    expect(result.pending.map((m) => [m.transferId, m.attempts])).toEqual([['t-2', 2]]);
    expect((await manifests.pending())[0]).toMatchObject({ transferId: 't-2', attempts: 2 });
    expect(ledger.entries).toEqual([]);
  });

  it(`fails every row of the file with the connector's reason after ${MAX_TRANSFER_ATTEMPTS} failed transfers`, async () => {
    // Prepare: the file was already sent MAX times
    const connector = flakyConnector(99);
    const { deps, ledger, manifests } = await pass({ ...aManifest(), attempts: MAX_TRANSFER_ATTEMPTS }, connector);
    // Act
    const result = await collectCsvResults(await manifests.pending(), deps, { timeoutSeconds: 0, pollSeconds: 0 });
    // Assess
    const why = `the sFTP transfer of users_x.csv failed ${MAX_TRANSFER_ATTEMPTS} times: CONNECTION_ERROR host unreachable`;
    expect(connector.resent).toEqual([]);
    expect(result.pending).toEqual([]);
    expect(ledger.entries.flatMap((e) => e.outcomes)).toEqual([
      { row: 3, login: 'jdoe', outcome: 'failed', errors: [why] },
      { row: 0, login: 'gone.user', outcome: 'failed', errors: [why], absent: true },
    ]);
    expect(manifests.completed).toEqual(['users_x.csv']);
  });

  it('asks nothing of the connector once Coupa has loaded the file', async () => {
    // Prepare
    const connector = flakyConnector(99);
    const reader = scriptedReader({ 'users_x.csv': [aLoad({ fileName: 'users_x.csv' })] });
    const { deps, ledger } = await pass(aManifest(), connector, reader);
    // Act
    await collectCsvResults([aManifest()], deps, { timeoutSeconds: 0, pollSeconds: 0 });
    // Assess
    expect(connector.resent).toEqual([]);
    expect(ledger.entries.flatMap((e) => e.outcomes.map((o) => o.outcome))).toEqual(['applied', 'deactivated']);
  });
});
