/**
 * The CSV channel's per-row failures, once read back from Coupa's loader (data_file_sources), are
 * reported into Coupa's integration monitoring like the API channel's: one error per failed row of
 * a known user, on a flat_file integration. In process, against the emulator's CSV loader.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { CoupaHttp, createDataFileSourceReader, createIntegrationMonitoring, createUserDirectory } from '../../lambdas/adapters/coupa';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { FolderFileDrop } from '../../lambdas/adapters/local/folder-file-drop';
import { runLocalPipeline } from '../../lambdas/adapters/local/local-pipeline';
import { parseConfig } from '../../lambdas/core/config';
import { person, seedEmployee, writeHrFile } from '../support/roster-factories';

let emulator: RunningEmulator | undefined;
let root: string | undefined;
afterEach(async () => {
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('CSV channel with coupa.monitoring.enabled', () => {
  it("raises one integration error per row Coupa's loader failed for a known user, on a flat_file integration", async () => {
    // Prepare
    root = await mkdtemp(join(tmpdir(), 'csv-monitoring-'));
    const config = parseConfig({ delivery: 'csv', coupa: { monitoring: { enabled: true } }, preflight: { enabled: false } });
    const incomingDir = join(root, 'sftp', config.csv.remoteDirectory);
    await mkdir(incomingDir, { recursive: true });
    emulator = await startEmulator({
      seed: [seedEmployee('ann.one', 101), seedEmployee('bob.two', 102), seedEmployee('cat.three', 103), seedEmployee('dan.four', 104)],
      loader: { incomingDir, pollMs: 100 },
    });
    const options = { baseUrl: emulator.url, config: config.coupa, credentials: emulator.credentials };
    const http = new CoupaHttp(options);
    const file = await writeHrFile(join(root, 'hr.csv'), [
      person('ann.one', { email: 'cat.three@example.com' }),
      person('bob.two', { email: 'dan.four@example.com' }),
      person('cat.three', { lastname: 'Renamed' }),
    ]);
    // Act
    const { report } = await runLocalPipeline({
      file,
      config,
      directory: createUserDirectory(options, http),
      monitoring: createIntegrationMonitoring(options, http),
      instance: emulator.url,
      stateDir: join(root, 'state'),
      notifier: new ConsoleNotifier(() => {}),
      csv: { drop: new FolderFileDrop(join(root, 'sftp')), reader: createDataFileSourceReader(options, http), waitSeconds: 30, pollSeconds: 0.2 },
    });
    // Assess
    expect(report.rows.map((r) => [r.login, r.outcome])).toEqual([['ann.one', 'failed'], ['bob.two', 'failed'], ['cat.three', 'applied']]);
    expect(emulator.monitoring.integrations()).toEqual([expect.objectContaining({ 'integration-type': 'flat_file' })]);
    expect(emulator.monitoring.runs().map((r) => r.status)).toEqual(['failed']);
    expect(emulator.monitoring.errors().map((e) => [e['document-id'], e.resolved])).toEqual([['101', false], ['102', false]]);
    expect(report.coupaMonitoring).toMatchObject({ status: 'failed', raised: 2, resolved: 0 });
  });
});
