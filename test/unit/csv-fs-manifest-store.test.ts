import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsManifestStore } from '../../lambdas/adapters/local/fs-manifest-store';
import type { CsvManifest } from '../../lambdas/core/csv/manifest';
import { aRun } from './csv-factories';

const dirs: string[] = [];
const aDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'coupa-sync-manifests-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const aManifest = (fileName: string): CsvManifest => ({
  fileName,
  remoteDirectory: '/Incoming/Users',
  sentAt: '2026-11-23T04:05:06.000Z',
  transferId: 'sftp-1',
  rows: [{ line: 1, run: aRun(), row: 2, login: 'jdoe', deactivate: false }],
});

describe('FsManifestStore', () => {
  it('keeps manifests pending, oldest file first, across instances, until completed', async () => {
    // Prepare
    const dir = aDir();
    await new FsManifestStore(dir).save(aManifest('users_2.csv'));
    await new FsManifestStore(dir).save(aManifest('users_1.csv'));

    // Act
    const store = new FsManifestStore(dir);
    const before = await store.pending();
    await store.complete('users_1.csv');
    await store.complete('users_unknown.csv');
    const after = await store.pending();

    // Assess
    expect(before).toEqual([aManifest('users_1.csv'), aManifest('users_2.csv')]);
    expect(after.map((m) => m.fileName)).toEqual(['users_2.csv']);
    expect(readdirSync(join(dir, 'done'))).toEqual(['users_1.csv.json']);
    expect(readdirSync(join(dir, 'pending')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('has nothing pending in a new folder and refuses path-like names', async () => {
    // Prepare
    const store = new FsManifestStore(join(aDir(), 'not-yet'));

    // Act / Assess
    expect(await store.pending()).toEqual([]);
    await expect(store.save(aManifest('../escape.csv'))).rejects.toThrow(/Not a plain file name/);
  });
});
