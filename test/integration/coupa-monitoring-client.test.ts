/**
 * The monitoring client over real HTTP against the emulator: the scopes it asks for, the records it
 * writes, and a client the instance refuses the monitoring scopes to (invalid_scope → a token without them).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { CoupaHttp, createIntegrationMonitoring, createUserDirectory } from '../../lambdas/adapters/coupa';
import { clientOptions } from '../unit/coupa-support';

describe('Coupa integration monitoring client', () => {
  let emulator: RunningEmulator;
  afterEach(() => emulator.close());

  function optionsFor(enabled: boolean) {
    return clientOptions(emulator.url, { credentials: emulator.credentials }, {
      format: 'json',
      scopes: 'core.user.read core.user.write',
      monitoring: { enabled, integrationCode: 'coupa-user-sync', endSystem: 'HR', alertContacts: false },
    });
  }

  it('asks for the monitoring scopes when enabled, and writes an integration, a run and a resolved error', async () => {
    // Prepare
    emulator = await startEmulator();
    const http = new CoupaHttp(optionsFor(true));
    const monitoring = createIntegrationMonitoring(optionsFor(true), http);
    // Act
    const integrationId = await monitoring.createIntegration({ code: 'coupa-user-sync', name: 'Coupa user sync', endSystem: 'HR', integrationType: 'api' });
    const found = await monitoring.findIntegration('coupa-user-sync');
    const runId = await monitoring.createRun(integrationId, { startTime: '2026-12-06T10:00:00.000Z', flow: 'sync run r1' });
    await monitoring.setRunStatus(runId, 'run');
    const errorId = await monitoring.raiseError({ runId, userId: '1', message: 'row 2, login a, field email: Email is invalid', alert: true });
    await monitoring.resolveError(errorId);
    await monitoring.updateRun(runId, { endTime: '2026-12-06T10:01:00.000Z', flow: 'sync run r1: 1 failed' });
    await monitoring.setRunStatus(runId, 'fail');
    // Assess
    expect(found).toBe(integrationId);
    expect(monitoring.scopesRefused()).toEqual([]);
    expect(emulator.monitoring.integrations()).toEqual([expect.objectContaining({ code: 'coupa-user-sync', direction: 'to_coupa', 'end-system': 'HR', 'end-system-type': 'hr', 'integration-type': 'api', 'business-object': 'users' })]);
    expect(emulator.monitoring.runs()).toEqual([expect.objectContaining({ status: 'failed', flow: 'sync run r1: 1 failed', 'end-time': '2026-12-06T10:01:00.000Z',
      'integration-errors': [{ id: Number(errorId), 'document-type': 'User', 'document-id': '1', resolved: true }] })]);
    expect(emulator.monitoring.errors()[0]).toMatchObject({ 'alert-sent': true, responses: [{ 'response-code': 'failed', 'response-message': 'row 2, login a, field email: Email is invalid' }] });
  });

  it('does not ask for the monitoring scopes when monitoring is off', async () => {
    // Prepare
    emulator = await startEmulator({ scopes: ['core.user.read', 'core.user.write'] });
    // Act
    const users = await createUserDirectory(optionsFor(false)).findByLogins(['nobody']);
    // Assess
    expect(users.size).toBe(0);
    expect(emulator.requests.filter((r) => r.path === '/oauth2/token').map((r) => r.status)).toEqual([200]);
  });

  it('takes a token without the monitoring scopes when the instance refuses them, and still reads users', async () => {
    // Prepare
    emulator = await startEmulator({ scopes: ['core.user.read', 'core.user.write', 'core.integration.read'] });
    const http = new CoupaHttp(optionsFor(true));
    // Act
    const users = await createUserDirectory(optionsFor(true), http).findByLogins(['nobody']);
    const monitoring = createIntegrationMonitoring(optionsFor(true), http);
    const write = monitoring.createIntegration({ code: 'x', name: 'x', endSystem: 'HR', integrationType: 'api' });
    // Assess
    expect(users.size).toBe(0);
    expect(emulator.requests.filter((r) => r.path === '/oauth2/token').map((r) => r.status)).toEqual([400, 200]);
    expect(monitoring.scopesRefused()).toEqual(['core.integration.read', 'core.integration.write']);
    await expect(write).rejects.toMatchObject({ status: 403 });
  });
});
