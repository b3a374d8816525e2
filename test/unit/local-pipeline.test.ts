/** The in-process pipeline's promise: every row of the file ends with an outcome, whatever fails. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { FolderFileDrop } from '../../lambdas/adapters/local/folder-file-drop';
import { runLocalPipeline } from '../../lambdas/adapters/local/local-pipeline';
import { CoupaAuthError, CoupaRejectedError, CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import { FakeDirectory, testConfig } from '../support/factories';

const noSleep = { now: () => new Date(), sleep: async () => {} };

async function hrFile(rows: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'local-pipeline-'));
  const file = join(dir, 'hr.csv');
  const lines = Array.from({ length: rows }, (_, i) => `user.${i},user.${i}@example.com,User,${i}`);
  await writeFile(file, ['login,email,firstname,lastname', ...lines].join('\n'));
  return file;
}

describe('runLocalPipeline', () => {
  it('ends every row as failed when the credentials go bad mid-run, keeping what was applied', async () => {
    // Prepare: the first batch of 2 goes through, then Coupa refuses the token
    const directory = new FakeDirectory();
    const create = directory.create.bind(directory);
    directory.create = async (login, fields) => {
      if (directory.users.size >= 2) throw new CoupaAuthError('Coupa rejected the OAuth client (HTTP 401)', 401);
      return create(login, fields);
    };
    // Act
    const { report } = await runLocalPipeline({ file: await hrFile(5), config: testConfig(), directory, notifier: new ConsoleNotifier(() => {}), clock: noSleep });
    // Assess
    expect(report.rows.map((r) => [r.row, r.outcome])).toEqual([[1, 'created'], [2, 'created'], [3, 'failed'], [4, 'failed'], [5, 'failed']]);
    expect(report.rows[4].errors).toEqual(['not applied: Coupa rejected the OAuth client (HTTP 401)']);
  });

  it('gives a row up as failed after api.maxReceiveCount deliveries, with the last reason', async () => {
    const directory = new FakeDirectory();
    directory.faults.set('user.1', 'retry');
    const { report } = await runLocalPipeline({ file: await hrFile(3), config: testConfig({ api: { maxReceiveCount: 3 } }), directory, notifier: new ConsoleNotifier(() => {}), clock: noSleep });
    expect(report.rows.map((r) => [r.row, r.outcome])).toEqual([[1, 'created'], [2, 'failed'], [3, 'created']]);
    expect(report.rows[1].errors).toEqual(['not applied after 3 attempts: HTTP 503 after 5 attempts']);
    expect(directory.calls.filter((c) => c === 'create user.1')).toHaveLength(3);
  });

  it('CSV channel: leaves rows submitted with the reason when the loader results cannot be read', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sftp-root-'));
    const reader = { findByFileName: async () => { throw new CoupaRejectedError(['Unknown attribute: file_file_name'], 400); } };
    const { report } = await runLocalPipeline({
      file: await hrFile(2), config: testConfig({ delivery: 'csv' }), directory: new FakeDirectory(), notifier: new ConsoleNotifier(() => {}), clock: noSleep,
      csv: { drop: new FolderFileDrop(root), reader, waitSeconds: 5, pollSeconds: 0.01 },
    });
    expect(report.totals).toMatchObject({ rows: 2, submitted: 2 });
    expect(report.rows[0].errors?.[0]).toMatch(/^delivered as users_.*\.csv; its load result could not be read: Unknown attribute: file_file_name$/);
  });

  it('CSV channel: a batch that cannot be delivered ends failed with the reason', async () => {
    const drop = { deliver: async () => { throw new Error('SFTP connection to x@h:22 failed: ECONNREFUSED'); } };
    const reader = { findByFileName: async () => { throw new CoupaRetryableError('never called'); } };
    const { report } = await runLocalPipeline({
      file: await hrFile(2), config: testConfig({ delivery: 'csv' }), directory: new FakeDirectory(), notifier: new ConsoleNotifier(() => {}), clock: noSleep,
      csv: { drop, reader, waitSeconds: 0 },
    });
    expect(report.rows.map((r) => r.outcome)).toEqual(['failed', 'failed']);
    for (const row of report.rows) {
      expect(row.errors).toEqual([expect.stringMatching(/^could not deliver the user-import file users_\S+\.csv: SFTP connection to x@h:22 failed: ECONNREFUSED$/)]);
    }
  });
});
