import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { coreClient, fetchToken, xmlErrors, xmlParser } from './emulator-helpers';

const MONITORING = 'core.integration.read core.integration.write';

describe('emulator integration monitoring resources', () => {
  let emulator: RunningEmulator;
  let client: ReturnType<typeof coreClient>;

  beforeAll(async () => {
    emulator = await startEmulator();
    client = coreClient(emulator, await fetchToken(emulator, MONITORING));
  });
  afterAll(() => emulator.close());

  async function newIntegration(code: string): Promise<number> {
    const response = await client.sendJson('POST', '/api/integrations', { code, name: code, direction: 'to_coupa', 'end-system-type': 'hr', 'integration-type': 'api' });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: number }).id;
  }

  it('creates an integration once, finds it by code and refuses the same code again', async () => {
    // Prepare
    const id = await newIntegration('hr-sync-a');
    // Act
    const found = (await (await client.getJson('/api/integrations?code=HR-SYNC-A')).json()) as Array<{ id: number }>;
    const again = await client.sendJson('POST', '/api/integrations', { code: 'hr-sync-a', name: 'again' });
    // Assess
    expect(found.map((i) => i.id)).toEqual([id]);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ errors: { user: ['Code has already been taken'] } });
  });

  it('refuses an integration without its required elements or with an unknown direction', async () => {
    // Act
    const response = await client.sendJson('POST', '/api/integrations', { direction: 'sideways' });
    // Assess
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { user: string[] } }).errors.user).toEqual([
      "Code can't be blank", "Name can't be blank", 'Direction is not included in the list',
    ]);
  });

  it('moves a run pending → running → paused → running → successful and refuses a move out of a final status', async () => {
    // Prepare
    const integration = await newIntegration('hr-sync-b');
    const created = await client.sendJson('POST', '/api/integration_runs', { integration: { id: integration }, 'start-time': '2026-12-06T10:00:00Z' });
    const run = (await created.json()) as { id: number; status: string };
    // Act
    const statuses: string[] = [run.status];
    for (const action of ['run', 'pause', 'run', 'success']) {
      const moved = await client.sendJson('PUT', `/api/integration_runs/${run.id}/${action}`, {});
      statuses.push(((await moved.json()) as { status: string }).status);
    }
    const refused = await client.sendJson('PUT', `/api/integration_runs/${run.id}/run`, {});
    // Assess
    expect(created.status).toBe(201);
    expect(statuses).toEqual(['pending', 'running', 'paused', 'running', 'successful']);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ errors: { user: ['Status cannot change from successful to running'] } });
  });

  it('refuses a run without an integration, and one naming an unknown integration', async () => {
    // Act
    const none = await client.sendJson('POST', '/api/integration_runs', { flow: 'x' });
    const unknown = await client.sendJson('POST', '/api/integration_runs', { integration: { id: 99999 } });
    // Assess
    expect(await none.json()).toEqual({ errors: { user: ["Integration can't be blank"] } });
    expect(await unknown.json()).toEqual({ errors: { user: ['Integration is invalid'] } });
  });

  it('raises an error on a run (plain and with an alert), shows it nested in the run, resolves and unresolves it', async () => {
    // Prepare
    const integration = await newIntegration('hr-sync-c');
    const run = (await (await client.sendJson('POST', '/api/integration_runs', { integration: { id: integration } })).json()) as { id: number };
    const error = { 'integration-run': { id: run.id }, 'document-type': 'User', 'document-id': '15', responses: [{ 'response-code': 'failed', 'response-message': 'row 3, login a: email is invalid' }] };
    // Act
    const plain = (await (await client.sendJson('POST', '/api/integration_errors', error)).json()) as { id: number; resolved: boolean; 'alert-sent': boolean; integration: { id: number } };
    const alerted = (await (await client.sendJson('POST', '/api/integration_errors/create_alert', error)).json()) as { 'alert-sent': boolean };
    const resolved = (await (await client.sendJson('PUT', `/api/integration_errors/${plain.id}/resolve`, {})).json()) as { resolved: boolean };
    const shown = (await (await client.getJson(`/api/integration_runs/${run.id}`)).json()) as { 'integration-errors': Array<{ id: number; resolved: boolean }> };
    const unresolved = (await (await client.sendJson('PUT', `/api/integration_errors/${plain.id}/unresolve`, {})).json()) as { resolved: boolean };
    // Assess
    expect(plain).toMatchObject({ resolved: false, 'alert-sent': false, integration: { id: integration } });
    expect(alerted['alert-sent']).toBe(true);
    expect(resolved.resolved).toBe(true);
    expect(shown['integration-errors']).toEqual([
      { id: plain.id, 'document-type': 'User', 'document-id': '15', resolved: true },
      expect.objectContaining({ 'document-id': '15', resolved: false }),
    ]);
    expect(unresolved.resolved).toBe(false);
  });

  it('refuses an error without a document id or with an unknown document type', async () => {
    // Prepare
    const integration = await newIntegration('hr-sync-d');
    const run = (await (await client.sendJson('POST', '/api/integration_runs', { integration: { id: integration } })).json()) as { id: number };
    // Act
    const response = await client.sendJson('POST', '/api/integration_errors', { 'integration-run': { id: run.id }, 'document-type': 'Spaceship' });
    // Assess
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { user: string[] } }).errors.user).toEqual(['Document type is not included in the list', "Document can't be blank"]);
  });

  it('speaks XML: creates a run from an <integration-run> document and lists runs as <integration-runs>', async () => {
    // Prepare
    const integration = await newIntegration('hr-sync-e');
    const body = `<?xml version="1.0"?><integration-run><integration><id type="integer">${integration}</id></integration><flow>sync run r1</flow></integration-run>`;
    // Act
    const created = await client.sendXml('POST', '/api/integration_runs', body);
    const createdDoc = xmlParser.parse(await created.text()) as { 'integration-run': { status: string; flow: string } };
    const listed = xmlParser.parse(await (await client.getXml('/api/integration_runs?flow=sync%20run%20r1')).text()) as { 'integration-runs': { 'integration-run': { status: string } } };
    const missing = await client.getXml('/api/integration_runs/99999');
    // Assess
    expect(created.status).toBe(201);
    expect(createdDoc['integration-run']).toMatchObject({ status: 'pending', flow: 'sync run r1' });
    expect(listed['integration-runs']['integration-run'].status).toBe('pending');
    expect(missing.status).toBe(404);
    expect(xmlErrors(await missing.text())).toEqual(["Couldn't find IntegrationRun with 'id'=99999"]);
  });

  it('acknowledges and marks a history record exported', async () => {
    // Prepare
    const created = await client.sendJson('POST', '/api/integration_history_records', { 'document-type': 'User', 'document-id': '15' });
    const record = (await created.json()) as { id: number };
    // Act
    await client.sendJson('PUT', `/api/integration_history_records/${record.id}/acknowledge`, {});
    const exported = (await (await client.sendJson('PUT', `/api/integration_history_records/${record.id}/mark_exported`, {})).json()) as Record<string, unknown>;
    // Assess
    expect(created.status).toBe(201);
    expect(exported).toMatchObject({ acknowledged: true, exported: true });
  });

  it('refuses writes with 403 naming core.integration.write to a token holding only the read scope', async () => {
    // Prepare
    const reader = coreClient(emulator, await fetchToken(emulator, 'core.user.read core.integration.read'));
    // Act
    const read = await reader.getJson('/api/integrations');
    const write = await reader.sendJson('POST', '/api/integrations', { code: 'x', name: 'x' });
    // Assess
    expect(read.status).toBe(200);
    expect(write.status).toBe(403);
    expect(write.headers.get('www-authenticate')).toContain('scope="core.integration.write"');
  });
});
