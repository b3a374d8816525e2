/**
 * Coupa's integration monitoring on the CLI path: `coupa-sync run` and `approve` as real child
 * processes against the emulator, with coupa.monitoring.enabled. What Coupa shows is read from the
 * emulator's monitoring records; what the user sees from stdout and the report file.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/server';
import type { RunReport } from '../../lambdas/core/model';
import { person, seedEmployee, writeHrFile } from '../support/roster-factories';

const exec = promisify(execFile);

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const SEED = [seedEmployee('ann.one', 101), seedEmployee('bob.two', 102), seedEmployee('cat.three', 103), seedEmployee('dan.four', 104)];

async function setUp(options: EmulatorOptions = {}, extraConfig: Record<string, unknown> = {}) {
  emulator = await startEmulator({ seed: SEED, ...options });
  const em = emulator;
  const dir = await mkdtemp(join(tmpdir(), 'cli-monitoring-'));
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ coupa: { monitoring: { enabled: true } }, preflight: { enabled: false }, ...extraConfig }));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', COUPA_CLIENT_ID: em.credentials.clientId, COUPA_CLIENT_SECRET: em.credentials.clientSecret };
  const cli = async (command: string, arg: string, ...rest: string[]) => {
    try {
      const { stdout } = await exec(process.execPath, ['bin/coupa-sync.mjs', command, arg, '--coupa-url', em.url, '--state-dir', join(dir, 'state'), '--config', config, ...rest], { env, timeout: 30_000 });
      return { code: 0, stdout };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  return {
    cli,
    dir,
    /** Monitoring requests, as `METHOD /path` in order. */
    monitoringRequests: () => em.requests.filter((r) => r.path.startsWith('/api/integration')).map((r) => `${r.method} ${r.path}`),
    readReport: async (path: string) => JSON.parse(await readFile(path, 'utf8')) as RunReport,
  };
}

describe('coupa-sync run with coupa.monitoring.enabled', () => {
  it('reports two failed updates as one failed integration run with two errors on those users; the next run resolves both and succeeds', async () => {
    // Prepare: ann and bob ask for e-mails other users hold (Coupa refuses both updates)
    const { cli, dir, monitoringRequests, readReport } = await setUp();
    const clash = await writeHrFile(join(dir, 'clash.csv'), [person('ann.one', { email: 'cat.three@example.com' }), person('bob.two', { email: 'dan.four@example.com' })]);
    const fixed = await writeHrFile(join(dir, 'fixed.csv'), [person('ann.one', { email: 'ann.new@example.com' }), person('bob.two', { email: 'bob.new@example.com' })]);
    const reportPath = join(dir, 'first.json');
    // Act
    const first = await cli('run', clash, '--report', reportPath);
    // Assess
    expect(first.code).toBe(1);
    const integrations = emulator!.monitoring.integrations();
    expect(integrations).toEqual([expect.objectContaining({ code: 'coupa-user-sync', direction: 'to_coupa', 'end-system-type': 'hr', 'integration-type': 'api', 'business-object': 'users' })]);
    const [run] = emulator!.monitoring.runs();
    expect(run).toMatchObject({ status: 'failed', integration: { id: integrations[0].id } });
    expect(String(run.flow)).toMatch(/^coupa-user-sync run \S+ \(clash\.csv\): complete; created 0, updated 0, deactivated 0, reactivated 0, unchanged 0, rejected 0, failed 2$/);
    expect(run['start-time']).toEqual(expect.any(String));
    expect(run['end-time']).toEqual(expect.any(String));
    const errors = emulator!.monitoring.errors();
    expect(errors.map((e) => [e['document-type'], e['document-id'], e.resolved])).toEqual([['User', '101', false], ['User', '102', false]]);
    expect((errors[0].responses as Array<{ 'response-message': string }>)[0]['response-message']).toBe('row 1, login ann.one, field email: Email has already been taken');
    expect(first.stdout).toContain(`Coupa integration run ${run.id}: failed, 2 errors raised, 0 resolved (${emulator!.url}/integration_runs/${run.id})`);
    expect((await readReport(reportPath)).coupaMonitoring).toEqual({ integrationRunId: String(run.id), status: 'failed', raised: 2, resolved: 0, url: `${emulator!.url}/integration_runs/${run.id}` });

    // Act: the fixed file
    const second = await cli('run', fixed);
    // Assess: both errors resolved, the second run successful, the integration not looked up again
    expect(second.code).toBe(0);
    const runs = emulator!.monitoring.runs();
    expect(runs.map((r) => r.status)).toEqual(['failed', 'successful']);
    expect(emulator!.monitoring.errors().map((e) => e.resolved)).toEqual([true, true]);
    expect(second.stdout).toContain(`Coupa integration run ${runs[1].id}: successful, 0 errors raised, 2 resolved`);
    expect(monitoringRequests().filter((r) => r.endsWith('/api/integrations'))).toEqual(['GET /api/integrations', 'POST /api/integrations']);
    // Bounded: first run 2 (integration) + 1 create + 1 run + 2 errors + 1 update + 1 fail; second 1 + 1 + 2 resolves + 1 + 1
    expect(monitoringRequests()).toHaveLength(8 + 6);
  });

  it('pauses a held run, and runs it to successful when it is approved', async () => {
    // Prepare: two leavers of a full roster, more than roster.maxDeactivations 1
    const { cli, dir, monitoringRequests, readReport } = await setUp({}, { roster: { maxDeactivations: 1 } });
    const file = await writeHrFile(join(dir, 'hr.csv'), [person('ann.one'), person('bob.two')]);
    const heldPath = join(dir, 'held.json');
    // Act
    const held = await cli('run', file, '--roster', 'full', '--report', heldPath);
    // Assess
    expect(held.code).toBe(3);
    const [run] = emulator!.monitoring.runs();
    expect(run.status).toBe('paused');
    expect(held.stdout).toContain(`Coupa integration run ${run.id}: paused, 0 errors raised, 0 resolved`);

    // Act
    const approved = await cli('approve', (await readReport(heldPath)).runId);
    // Assess
    expect(approved.code).toBe(0);
    expect(emulator!.monitoring.runs().map((r) => r.status)).toEqual(['successful']);
    expect(monitoringRequests().filter((r) => r.startsWith('PUT /api/integration_runs/')).map((r) => r.split('/').pop())).toEqual(['pause', 'run', String(run.id), 'success']);
  });

  it('without the monitoring scopes: one warning naming them, no monitoring request, and the users still sync', async () => {
    // Prepare: an OAuth client Coupa grants the user scopes only
    const { cli, dir, monitoringRequests, readReport } = await setUp(
      { scopes: ['core.user.read', 'core.user.write'] },
      // The user scopes alone (pre-flight, off here, would ask for core.common.read too)
      { coupa: { monitoring: { enabled: true }, scopes: 'core.user.read core.user.write' } },
    );
    const file = await writeHrFile(join(dir, 'hr.csv'), [person('ann.one', { lastname: 'Renamed' })]);
    const reportPath = join(dir, 'report.json');
    // Act
    const { code, stdout, stderr } = await cli('run', file, '--report', reportPath);
    // Assess
    expect({ code, stderr }).toEqual({ code: 0, stderr: undefined });
    expect(emulator!.users().find((u) => u.login === 'ann.one')?.lastname).toBe('Renamed');
    expect(monitoringRequests()).toEqual([]);
    const warnings = stdout.split('\n').filter((l) => l.includes('Warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('grant the OAuth client core.integration.read and core.integration.write');
    expect((await readReport(reportPath)).coupaMonitoring?.warning).toContain('core.integration.write');
  });

  it('plan-only runs create no integration run', async () => {
    // Prepare
    const { cli, dir, monitoringRequests } = await setUp();
    const file = await writeHrFile(join(dir, 'hr.csv'), [person('ann.one', { lastname: 'Renamed' })]);
    // Act
    const { code } = await cli('plan', file);
    // Assess
    expect(code).toBe(0);
    expect(monitoringRequests()).toEqual([]);
  });
});
