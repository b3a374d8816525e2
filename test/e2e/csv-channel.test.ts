/**
 * The CSV channel end to end on real parts: planned changes (ChangeMessages) → user-import files → real OpenSSH
 * sshd (a temp <root>/Incoming/Users) → the emulator's Coupa CSV loader over that folder →
 * GET /api/data_file_sources through the real Coupa client → per-HR-row outcomes.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { SftpFileDrop } from '../../lambdas/adapters/local/sftp-file-drop';
import { parseConfig } from '../../lambdas/core/config';
import { createDataFileSourceReader } from '../../lambdas/adapters/coupa';
import { deliverCsvBatch } from '../../lambdas/core/csv/batcher';
import { createMemoryManifestStore } from '../../lambdas/core/csv/manifest';
import { collectCsvResults } from '../../lambdas/core/csv/results';
import type { ChangeMessage, RowOutcome, RunRef } from '../../lambdas/core/model';
import { systemClock, type Notification } from '../../lambdas/core/ports';
import { changeMessageIn, plannedChange } from '../support/factories';
import { SSHD, skipWithout } from '../support/prerequisites';
import { startSshd, type RunningSshd } from '../support/sshd';

let sshd: RunningSshd;
let emulator: RunningEmulator;

const noSshd = skipWithout(SSHD);

beforeAll(async () => {
  if (noSshd) return;
  sshd = await startSshd();
  emulator = await startEmulator({ seed: 'demo', loader: { incomingDir: sshd.incomingDir } });
});

afterAll(async () => {
  await emulator?.close();
  await sshd?.stop();
});

const run: RunRef = { runId: 'e2e-csv-1', file: 'incoming/csv/hr-2026-11-23.csv' };
const message = (change: Parameters<typeof plannedChange>[0]): ChangeMessage => changeMessageIn(run, plannedChange(change));

function ledger() {
  const rows: RowOutcome[] = [];
  return { rows, record: async (_run: RunRef, outcomes: RowOutcome[]) => void rows.push(...outcomes) };
}

describe.skipIf(noSshd)('CSV channel: batcher → sFTP → Coupa loader → read-back', () => {
  it('creates, updates and deactivates users and reports the row Coupa refused with its own message', async () => {
    // Prepare
    const config = parseConfig({
      delivery: 'csv',
      coupa: { scopes: 'core.user.read core.user.write core.integration.read' },
      csv: { remoteDirectory: sshd.incomingDir },
    });
    const drop = new SftpFileDrop({
      host: sshd.host,
      port: sshd.port,
      username: sshd.username,
      privateKey: sshd.privateKey,
      hostKey: sshd.hostKeyLine,
    });
    const manifests = createMemoryManifestStore();
    const outcomes = ledger();
    const notifications: Notification[] = [];
    const notifier = { publish: async (n: Notification) => void notifications.push(n) };
    const messages = [
      message({ rows: [1], login: 'new.hire', kind: 'create', level: 1, send: { active: true, email: 'new.hire@example.com', firstname: 'Nia', lastname: 'Hire', manager: 'mgr.jones', 'purchasing-user': true } }),
      message({ rows: [2], login: 'steady.state', id: '284', send: { firstname: 'Samuel' }, was: { firstname: 'Sam' } }),
      message({ rows: [3], login: 'leaver.lee', id: '283', kind: 'deactivate', send: { active: false }, was: { active: true } }),
      message({ rows: [4], login: 'fresh.face', kind: 'create', send: { active: true, email: 'fresh.face@example.com', firstname: 'Fred', lastname: 'Face' } }),
      message({ rows: [6], login: 'copy.cat', kind: 'create', send: { active: true, email: 'mgr.jones@example.com', firstname: 'Copy', lastname: 'Cat' } }),
      message({ rows: [5], login: 'no.names', kind: 'create', send: { active: true, email: 'no.names@example.com' } }),
    ];

    // Act
    const sent = await deliverCsvBatch(messages, { drop, manifests, ledger: outcomes, notifier, clock: systemClock, config });
    await drop.close();
    const landed = readdirSync(sshd.incomingDir).sort();
    await emulator.processIncoming();
    const reader = createDataFileSourceReader({ baseUrl: emulator.url, config: config.coupa, credentials: emulator.credentials });
    const result = await collectCsvResults(await manifests.pending(), { reader, manifests, ledger: outcomes, notifier, clock: systemClock }, {
      timeoutSeconds: 5,
      pollSeconds: 0.2,
    });

    // Assess: files as delivered
    expect(landed).toEqual(sent.map((m) => m.fileName));
    expect(landed).toHaveLength(4);
    expect(readdirSync(sshd.incomingDir)).toEqual([]);
    // Assess: one outcome per HR row
    const byRow = new Map(outcomes.rows.map((o) => [o.row, o]));
    expect(result.pending).toEqual([]);
    expect(byRow.get(1)).toEqual({ row: 1, login: 'new.hire', outcome: 'applied' });
    expect(byRow.get(2)).toEqual({ row: 2, login: 'steady.state', outcome: 'applied' });
    expect(byRow.get(3)).toEqual({ row: 3, login: 'leaver.lee', outcome: 'deactivated' });
    expect(byRow.get(6)).toMatchObject({ row: 6, login: 'copy.cat', outcome: 'failed' });
    expect(byRow.get(6)?.errors?.join(' ')).toMatch(/Coupa loader \(users_\S+\.csv, line 3\): Email: Email has already been taken/);
    expect(byRow.get(6)?.errors?.join(' ')).not.toContain('mgr.jones@example.com'); // the value is personal data
    expect(byRow.get(5)).toMatchObject({ row: 5, login: 'no.names', outcome: 'rejected' });
    expect(byRow.get(4)).toEqual({ row: 4, login: 'fresh.face', outcome: 'applied' });
    // Each delivered row first `submitted` (handed to the loader: the run's settled count), then its verdict
    expect(outcomes.rows.filter((o) => o.outcome === 'submitted').map((o) => o.row).sort()).toEqual([1, 2, 3, 4, 6]);
    expect(outcomes.rows.filter((o) => o.outcome !== 'submitted')).toHaveLength(6);
    // Assess: what Coupa now holds
    const users = new Map(emulator.users().map((u) => [u.login as string, u]));
    expect(users.get('new.hire')).toMatchObject({ email: 'new.hire@example.com', active: true, 'purchasing-user': true, manager: { login: 'mgr.jones' } });
    expect(users.get('steady.state')).toMatchObject({ firstname: 'Samuel', lastname: 'Steady', active: true });
    expect(users.get('leaver.lee')).toMatchObject({ active: false });
    expect(users.get('fresh.face')).toMatchObject({ email: 'fresh.face@example.com', firstname: 'Fred' });
    expect(users.has('copy.cat')).toBe(false);
    expect(users.has('no.names')).toBe(false);
    // Assess: people are told about the refused rows, naming file, HR row and Coupa's words
    const failure = notifications.find((n) => n.logins?.includes('copy.cat'));
    expect(failure?.message).toMatch(/users_\S+\.csv/);
    expect(failure?.message).toContain('row 6');
    expect(failure?.message).toContain('Email has already been taken');
    expect(failure?.message).not.toContain('mgr.jones@example.com');
    expect(notifications.some((n) => n.logins?.includes('no.names'))).toBe(true);
  });

  it('applies the changes of one user from three runs in run order, the later of two same-shaped changes winning', async () => {
    // Prepare
    const config = parseConfig({
      delivery: 'csv',
      coupa: { scopes: 'core.user.read core.user.write core.integration.read' },
      csv: { remoteDirectory: sshd.incomingDir },
    });
    const drop = new SftpFileDrop({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, hostKey: sshd.hostKeyFingerprint });
    const manifests = createMemoryManifestStore();
    const outcomes = ledger();
    const notifier = { publish: async () => undefined };
    // Three corrections of one user dropped within one batching window (one change per login and run).
    const runs: RunRef[] = [1, 2, 3].map((n) => ({ runId: `e2e-csv-2${n}`, file: `incoming/csv/hr-2026-11-24-${n}.csv` }));
    const messages = [
      changeMessageIn(runs[0], plannedChange({ rows: [1], login: 'mgr.jones', id: '282', send: { lastname: 'Jonas' } })),
      changeMessageIn(runs[1], plannedChange({ rows: [1], login: 'mgr.jones', id: '282', send: { lastname: 'Jones-Smith' } })),
      changeMessageIn(runs[2], plannedChange({ rows: [1], login: 'mgr.jones', id: '282', send: { 'employee-number': 'E9001', lastname: 'Jones' } })),
    ];

    // Act
    const sent = await deliverCsvBatch(messages, { drop, manifests, ledger: outcomes, notifier, clock: systemClock, config });
    await drop.close();
    await emulator.processIncoming();
    const reader = createDataFileSourceReader({ baseUrl: emulator.url, config: config.coupa, credentials: emulator.credentials });
    await collectCsvResults(sent, { reader, manifests, ledger: outcomes, notifier, clock: systemClock }, { timeoutSeconds: 5, pollSeconds: 0.2 });

    // Assess
    expect(sent).toHaveLength(2);
    expect(sent[0].rows.map((r) => r.run.runId)).toEqual(['e2e-csv-21', 'e2e-csv-22']);
    expect(sent[1].rows.map((r) => r.run.runId)).toEqual(['e2e-csv-23']);
    expect(outcomes.rows.filter((o) => o.outcome !== 'submitted').map((o) => [o.row, o.outcome])).toEqual([[1, 'applied'], [1, 'applied'], [1, 'applied']]);
    expect(outcomes.rows.filter((o) => o.outcome === 'submitted')).toHaveLength(3);
    const jones = emulator.users().find((u) => u.login === 'mgr.jones');
    expect(jones).toMatchObject({ lastname: 'Jones', 'employee-number': 'E9001' });
    const loads = emulator.dataFileSources().slice(-2);
    expect(loads.map((l) => l['file-file-name'])).toEqual(sent.map((m) => m.fileName));
    expect(loads.map((l) => l['records-updated'])).toEqual([1, 1]);
  });
});
