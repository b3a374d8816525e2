import { describe, expect, it } from 'vitest';
import { CoupaAuthError, CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import { createMemoryManifestStore, type CsvManifest } from '../../lambdas/core/csv/manifest';
import { collectCsvResults } from '../../lambdas/core/csv/results';
import { aLoad, aRun, fakeClock, fakeLedger, fakeNotifier, scriptedReader } from './csv-factories';

const aManifest = (fileName: string, logins: string[], overrides: Partial<CsvManifest> = {}): CsvManifest => ({
  fileName,
  remoteDirectory: '/Incoming/Users',
  sentAt: '2026-11-23T04:05:06.789Z',
  transferId: 't-1',
  rows: logins.map((login, i) => ({ line: i + 1, run: aRun(), row: i + 10, login, deactivate: login.startsWith('leaver') })),
  ...overrides,
});

async function depsWith(reader: ReturnType<typeof scriptedReader>, manifests: CsvManifest[]) {
  const store = createMemoryManifestStore();
  for (const m of manifests) await store.save(m);
  return { reader, manifests: store, ledger: fakeLedger(), notifier: fakeNotifier(), clock: fakeClock() };
}

describe('collectCsvResults', () => {
  it("maps Coupa's upload errors (header = line 1) to failed rows and the rest to applied/deactivated", async () => {
    // Prepare
    const manifest = aManifest('users_a.csv', ['jdoe', 'taken', 'leaver.lee']);
    manifest.rows.push({ line: 2, run: aRun(), row: 99, login: 'taken', deactivate: false }); // superseded duplicate
    const reader = scriptedReader({
      'users_a.csv': [
        aLoad({
          fileName: 'users_a.csv',
          errors: [{ row: 3, field: 'Email', value: 'dup@example.com', messages: ['Email has already been taken'] }],
        }),
      ],
    });
    const deps = await depsWith(reader, [manifest]);

    // Act
    const result = await collectCsvResults([manifest], deps, { timeoutSeconds: 0, pollSeconds: 5 });

    // Assess
    const failure = 'Coupa loader (users_a.csv, line 3): Email: Email has already been taken';
    expect(result.outcomes).toEqual([
      { row: 10, login: 'jdoe', outcome: 'applied' },
      { row: 11, login: 'taken', outcome: 'failed', errors: [failure] },
      { row: 12, login: 'leaver.lee', outcome: 'deactivated' },
      { row: 99, login: 'taken', outcome: 'failed', errors: [failure] },
    ]);
    expect(result.pending).toEqual([]);
    expect(deps.ledger.entries).toEqual([{ run: aRun(), outcomes: result.outcomes }]);
    expect(deps.notifier.sent).toHaveLength(1);
    expect(deps.notifier.sent[0]).toMatchObject({ severity: 'failure', logins: ['taken'], run: aRun() });
    expect(deps.notifier.sent[0].message).toContain('users_a.csv');
    expect(deps.notifier.sent[0].message).toContain('row 11');
    expect(deps.notifier.sent[0].message).toContain('Email has already been taken');
    expect(await deps.manifests.pending()).toEqual([]);
  });

  it("never publishes the value of a loader error, even when Coupa's message repeats it", async () => {
    // Prepare
    const manifest = aManifest('users_v.csv', ['jdoe']);
    const reader = scriptedReader({
      'users_v.csv': [
        aLoad({ errors: [{ row: 2, field: 'Email', value: 'jane.secret@example', messages: ['jane.secret@example is not a valid email'] }] }),
      ],
    });
    const deps = await depsWith(reader, [manifest]);

    // Act
    const { outcomes } = await collectCsvResults([manifest], deps, { timeoutSeconds: 0, pollSeconds: 5 });

    // Assess
    expect(outcomes[0].errors).toEqual(['Coupa loader (users_v.csv, line 2): Email: (value) is not a valid email']);
    expect(JSON.stringify([outcomes, deps.notifier.sent])).not.toContain('secret');
  });

  it('fails every row of a file Coupa failed as a whole, with its result text', async () => {
    // Prepare
    const manifest = aManifest('users_b.csv', ['a', 'b']);
    const reader = scriptedReader({
      'users_b.csv': [aLoad({ status: 'Failed', resultText: 'Invalid header: Logn' })],
    });
    const deps = await depsWith(reader, [manifest]);

    // Act
    const { outcomes } = await collectCsvResults([manifest], deps, { timeoutSeconds: 0, pollSeconds: 5 });

    // Assess
    expect(outcomes.map((o) => o.outcome)).toEqual(['failed', 'failed']);
    expect(outcomes[0].errors?.[0]).toBe('Coupa loader failed the whole file users_b.csv: Invalid header: Logn');
    expect(deps.notifier.sent).toHaveLength(1);
    expect(deps.notifier.sent[0].logins).toEqual(['a', 'b']);
  });

  it('polls until Coupa is done, reporting progress, on a fake clock', async () => {
    // Prepare
    const done = aManifest('users_c1.csv', ['a']);
    const later = aManifest('users_c2.csv', ['b']);
    const reader = scriptedReader({
      'users_c1.csv': [aLoad()],
      'users_c2.csv': [undefined, aLoad({ status: 'Loading' }), aLoad()],
    });
    const deps = await depsWith(reader, [done, later]);
    const progress: string[] = [];

    // Act
    const result = await collectCsvResults([done, later], deps, { timeoutSeconds: 60, pollSeconds: 25, onProgress: (m) => progress.push(m) });

    // Assess
    expect(result.outcomes.map((o) => [o.login, o.outcome])).toEqual([['a', 'applied'], ['b', 'applied']]);
    expect(result.pending).toEqual([]);
    expect(progress).toEqual([
      'waiting for Coupa to load 2 file(s): 1 done, 1 pending, 60 s left',
      'waiting for Coupa to load 2 file(s): 1 done, 1 pending, 35 s left',
    ]);
    expect(deps.clock.slept).toEqual([25_000, 25_000]);
    expect(reader.calls).toEqual(['users_c1.csv', 'users_c2.csv', 'users_c2.csv', 'users_c2.csv']);
  });

  it('keeps a Stopped or Paused load pending, and says so in the progress line', async () => {
    // Prepare
    const stopped = aManifest('users_s1.csv', ['a']);
    const paused = aManifest('users_s2.csv', ['b']);
    const reader = scriptedReader({
      'users_s1.csv': [aLoad({ status: 'Stopped' })],
      'users_s2.csv': [aLoad({ status: 'Paused' }), aLoad()],
    });
    const deps = await depsWith(reader, [stopped, paused]);
    const progress: string[] = [];

    // Act
    const result = await collectCsvResults([stopped, paused], deps, { timeoutSeconds: 20, pollSeconds: 10, onProgress: (m) => progress.push(m) });

    // Assess
    expect(result.outcomes.map((o) => [o.login, o.outcome])).toEqual([['b', 'applied']]);
    expect(result.pending).toEqual([stopped]);
    expect(deps.ledger.entries.flatMap((e) => e.outcomes.map((o) => o.login))).toEqual(['b']);
    const held = "(held loads stay pending until an administrator resumes them in Coupa)";
    expect(progress).toEqual([
      `waiting for Coupa to load 2 file(s): 0 done, 2 pending, 20 s left; in Coupa's loader users_s1.csv is Stopped, users_s2.csv is Paused ${held}`,
      `waiting for Coupa to load 2 file(s): 1 done, 1 pending, 10 s left; in Coupa's loader users_s1.csv is Stopped ${held}`,
      `1 file(s) left pending; in Coupa's loader users_s1.csv is Stopped ${held}`,
    ]);
  });

  it('mentions a Stopped load even when it looks only once (the scheduled poller)', async () => {
    // Prepare
    const manifest = aManifest('users_s3.csv', ['a']);
    const deps = await depsWith(scriptedReader({ 'users_s3.csv': [aLoad({ status: 'stopped' })] }), [manifest]);
    const progress: string[] = [];

    // Act
    const result = await collectCsvResults([manifest], deps, { timeoutSeconds: 0, pollSeconds: 5, onProgress: (m) => progress.push(m) });

    // Assess
    expect(result.pending).toEqual([manifest]);
    expect(progress).toEqual(["1 file(s) left pending; in Coupa's loader users_s3.csv is stopped (held loads stay pending until an administrator resumes them in Coupa)"]);
  });

  it('returns files Coupa has not finished by the timeout as pending, untouched', async () => {
    // Prepare
    const manifest = aManifest('users_d.csv', ['a']);
    const reader = scriptedReader({ 'users_d.csv': [aLoad({ status: 'Pending' })] });
    const deps = await depsWith(reader, [manifest]);

    // Act
    const result = await collectCsvResults([manifest], deps, { timeoutSeconds: 30, pollSeconds: 20 });

    // Assess
    expect(result).toEqual({ outcomes: [], pending: [manifest] });
    expect(deps.clock.slept).toEqual([20_000, 10_000]);
    expect(deps.ledger.entries).toEqual([]);
    expect((await deps.manifests.pending()).map((m) => m.fileName)).toEqual(['users_d.csv']);
  });

  it('looks once when the timeout is 0', async () => {
    // Prepare
    const manifest = aManifest('users_e.csv', ['a']);
    const reader = scriptedReader({});
    const deps = await depsWith(reader, [manifest]);

    // Act
    const result = await collectCsvResults([manifest], deps, { timeoutSeconds: 0, pollSeconds: 5 });

    // Assess
    expect(result.pending).toHaveLength(1);
    expect(reader.calls).toEqual(['users_e.csv']);
    expect(deps.clock.slept).toEqual([]);
  });

  it('keeps a file pending through a transient Coupa error but stops on bad credentials', async () => {
    // Prepare
    const manifest = aManifest('users_f.csv', ['a']);
    const flaky = scriptedReader({ 'users_f.csv': [new CoupaRetryableError('HTTP 503'), aLoad()] });
    const broken = scriptedReader({ 'users_f.csv': [new CoupaAuthError('HTTP 401', 401)] });

    // Act
    const recovered = await collectCsvResults([manifest], await depsWith(flaky, [manifest]), { timeoutSeconds: 10, pollSeconds: 1 });
    const refused = collectCsvResults([manifest], await depsWith(broken, [manifest]), { timeoutSeconds: 10, pollSeconds: 1 });

    // Assess
    expect(recovered.outcomes.map((o) => o.outcome)).toEqual(['applied']);
    await expect(refused).rejects.toBeInstanceOf(CoupaAuthError);
  });
});
