/**
 * RunMonitor's phases in separate "processes" (a new monitor over the same state folder each time),
 * and its refusals: a 403 gives one warning and no further request, a transient failure a warning
 * while the run still ends. A recording IntegrationMonitoring stands in for Coupa (the CLI tests
 * run the real client against the emulator).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectStoreMonitoringState } from '../../lambdas/adapters/aws/s3-monitoring-state';
import { FsObjectStore } from '../../lambdas/adapters/local/fs-object-store';
import { parseConfig } from '../../lambdas/core/config';
import { CoupaAuthError, CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import { RunMonitor } from '../../lambdas/core/monitoring/run-monitor';
import type { IntegrationMonitoring } from '../../lambdas/core/ports';
import { FakeClock } from './coupa-support';
import { plannedChange } from '../support/factories';
import { runReport } from '../support/report-factories';

/** Records every call; `fail` decides, per call name, what to throw. */
class RecordingMonitoring implements IntegrationMonitoring {
  calls: string[] = [];
  refused: string[] = [];
  constructor(private readonly fail: (call: string) => Error | undefined = () => undefined) {}
  private record(call: string): void {
    this.calls.push(call);
    const error = this.fail(call);
    if (error) throw error;
  }
  scopesRefused() {
    return this.refused;
  }
  async findIntegration() {
    this.record('find');
    return undefined;
  }
  async createIntegration() {
    this.record('create-integration');
    return '5';
  }
  async createRun() {
    this.record('create-run');
    return '17';
  }
  async updateRun() {
    this.record('update-run');
  }
  async setRunStatus(_: string, action: string) {
    this.record(action);
  }
  async raiseError(e: { userId: string }) {
    this.record(`raise ${e.userId}`);
    return `e${e.userId}`;
  }
  async resolveError(id: string) {
    this.record(`resolve ${id}`);
  }
}

async function monitorsOver(api: RecordingMonitoring) {
  const dir = await mkdtemp(join(tmpdir(), 'run-monitor-'));
  // Each call builds a new monitor on the same folder: a phase in its own process.
  return () => new RunMonitor({
    api,
    state: new ObjectStoreMonitoringState(new FsObjectStore(dir)),
    config: parseConfig({ coupa: { monitoring: { enabled: true } } }).coupa.monitoring,
    channel: 'api',
    instanceUrl: 'https://acme.coupahost.com/',
    clock: new FakeClock(),
  });
}

const run = { runId: 'hr-1', file: 'incoming/hr.csv' };
const failedUpdate = runReport({ runId: 'hr-1', rows: [{ row: 1, login: 'ann.one', outcome: 'failed', changedFields: ['email'], errors: ['Email has already been taken'] }] });

describe('RunMonitor', () => {
  it('carries the integration, the run and the raised errors from phase to phase through the state, each in a new monitor', async () => {
    // Prepare
    const api = new RecordingMonitoring();
    const monitor = await monitorsOver(api);
    // Act
    await monitor().planned(run);
    await monitor().held('hr-1');
    await monitor().approved('hr-1');
    const ended = await monitor().ended(failedUpdate, [plannedChange({ login: 'ann.one', id: '101' })]);
    await monitor().planned({ runId: 'hr-2', file: 'hr.csv' });
    const fixed = await monitor().ended(runReport({ runId: 'hr-2', rows: [{ row: 1, login: 'ANN.ONE', outcome: 'updated' }] }), []);
    // Assess
    expect(api.calls).toEqual(['find', 'create-integration', 'create-run', 'pause', 'run', 'raise 101', 'update-run', 'fail', 'create-run', 'resolve e101', 'update-run', 'run', 'success']);
    expect(ended).toEqual({ integrationRunId: '17', status: 'failed', raised: 1, resolved: 0, url: 'https://acme.coupahost.com/integration_runs/17' });
    expect(fixed).toMatchObject({ status: 'successful', raised: 0, resolved: 1 });
  });

  it('resolves errors of a login the next run finds as the file wants', async () => {
    // Prepare
    const api = new RecordingMonitoring();
    const monitor = await monitorsOver(api);
    await monitor().planned(run);
    await monitor().ended(failedUpdate, [plannedChange({ login: 'ann.one', id: '101' })]);
    api.calls = [];
    // Act
    await monitor().planned({ runId: 'hr-2', file: 'hr.csv' });
    await monitor().ended(runReport({ runId: 'hr-2', rows: [{ row: 1, login: 'ann.one', outcome: 'unchanged' }] }), []);
    // Assess
    expect(api.calls).toEqual(['create-run', 'resolve e101', 'update-run', 'run', 'success']);
  });

  it('on a 403, warns once naming the scopes and sends nothing more for the run', async () => {
    // Prepare
    const api = new RecordingMonitoring((call) => (call === 'create-run' ? new CoupaAuthError('HTTP 403', 403) : undefined));
    const monitor = await monitorsOver(api);
    // Act
    await monitor().planned(run);
    await monitor().applying('hr-1');
    const summary = await monitor().ended(failedUpdate, [plannedChange({ login: 'ann.one', id: '101' })]);
    // Assess
    expect(api.calls).toEqual(['find', 'create-integration', 'create-run']);
    expect(summary).toEqual({ raised: 0, resolved: 0, warning: expect.stringContaining('grant the OAuth client core.integration.read and core.integration.write') });
  });

  it('on a transient failure, warns and still ends the run it created', async () => {
    // Prepare
    const api = new RecordingMonitoring((call) => (call === 'run' ? new CoupaRetryableError('Coupa PUT still failing after 5 attempt(s)', 503) : undefined));
    const monitor = await monitorsOver(api);
    // Act
    await monitor().planned(run);
    await monitor().applying('hr-1');
    const summary = await monitor().ended(runReport({ runId: 'hr-1', status: 'stopped' }), []);
    // Assess
    expect(api.calls).toEqual(['find', 'create-integration', 'create-run', 'run', 'update-run', 'fail']);
    expect(summary).toMatchObject({ status: 'failed', warning: expect.stringContaining("could not record the run's applying step") });
  });

  it('asks nothing when the token was taken without the monitoring scopes', async () => {
    // Prepare
    const api = new RecordingMonitoring();
    api.refused = ['core.integration.write'];
    const monitor = await monitorsOver(api);
    // Act
    await monitor().planned(run);
    const summary = await monitor().ended(failedUpdate, []);
    // Assess
    expect(api.calls).toEqual([]);
    expect(summary?.warning).toContain("Coupa refused the OAuth token's scopes core.integration.write");
  });

  it('raises no error twice when the end step is retried after being cut short', async () => {
    // Prepare: the second raise fails for good, after the first was kept
    let raises = 0;
    const api = new RecordingMonitoring((call) => (call.startsWith('raise') && ++raises === 2 ? new Error('process killed') : undefined));
    const monitor = await monitorsOver(api);
    const twoFailed = runReport({ runId: 'hr-1', rows: [
      { row: 1, login: 'ann.one', outcome: 'failed', errors: ['Email has already been taken'] },
      { row: 2, login: 'bob.two', outcome: 'failed', errors: ['Email has already been taken'] },
    ] });
    const changes = [plannedChange({ login: 'ann.one', id: '101' }), plannedChange({ login: 'bob.two', id: '102' })];
    await monitor().planned(run);
    // Act
    await expect(monitor().ended(twoFailed, changes)).rejects.toThrow('process killed');
    const summary = await monitor().ended(twoFailed, changes);
    // Assess
    expect(api.calls.filter((c) => c.startsWith('raise'))).toEqual(['raise 101', 'raise 102', 'raise 102']);
    expect(summary).toMatchObject({ status: 'failed', raised: 2 });
  });

  it('leaves the run running when CSV rows were handed to the loader and not read back', async () => {
    // Prepare
    const api = new RecordingMonitoring();
    const monitor = await monitorsOver(api);
    await monitor().planned(run);
    // Act
    const summary = await monitor().ended(runReport({ runId: 'hr-1', rows: [{ row: 1, login: 'ann.one', outcome: 'submitted' }] }), []);
    // Assess
    expect(api.calls.slice(-2)).toEqual(['update-run', 'run']);
    expect(summary?.status).toBe('running');
  });

  it('fails the Coupa run of a run that broke, once', async () => {
    // Prepare
    const api = new RecordingMonitoring();
    const monitor = await monitorsOver(api);
    await monitor().planned(run);
    await monitor().applying('hr-1');
    // Act
    await monitor().broken('hr-1', 'Coupa rejected the OAuth client (HTTP 401)');
    await monitor().broken('hr-1', 'again');
    // Assess
    expect(api.calls).toEqual(['find', 'create-integration', 'create-run', 'run', 'update-run', 'fail']);
    expect(await monitor().summary('hr-1')).toMatchObject({ status: 'failed' });
  });
});
