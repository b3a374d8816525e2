/**
 * Coupa's integration monitoring resources over the shared transport (same OAuth token, same rate
 * governor, same retries as the users): /api/integrations, /api/integration_runs and its status
 * actions, /api/integration_errors with resolve and create_alert. Scopes core.integration.read and
 * core.integration.write (asked for by CoupaHttp only when coupa.monitoring.enabled).
 *
 * Always JSON, whatever coupa.format says: these resources are reached by our own small documents,
 * not the users' payload dialect, and JSON needs no root element names Coupa does not document.
 */
import type { IntegrationMonitoring, IntegrationRunAction, IntegrationSpec } from '../../core/ports';
import type { CoupaHttp } from './http';

export class CoupaIntegrationMonitoring implements IntegrationMonitoring {
  constructor(private readonly http: CoupaHttp) {}

  scopesRefused(): readonly string[] {
    return this.http.scopesRefused();
  }

  async findIntegration(code: string): Promise<string | undefined> {
    const res = await this.http.request('GET', '/api/integrations', { format: 'json', query: { code, fields: '["id","code"]' }, acceptStatuses: [404] });
    const list = Array.isArray(res.body) ? (res.body as Array<Record<string, unknown>>) : [];
    // Coupa compares the code ignoring case; keep only an exact match if several come back.
    const found = list.find((i) => String(i.code) === code) ?? list[0];
    return found ? String(found.id) : undefined;
  }

  async createIntegration(spec: IntegrationSpec): Promise<string> {
    return this.created(await this.http.request('POST', '/api/integrations', {
      format: 'json',
      body: {
        code: spec.code,
        name: spec.name,
        direction: 'to_coupa',
        'end-system': spec.endSystem,
        'end-system-type': 'hr',
        'integration-type': spec.integrationType,
        'business-object': 'users',
      },
    }));
  }

  async createRun(integrationId: string, fields: { startTime: string; flow: string }): Promise<string> {
    return this.created(await this.http.request('POST', '/api/integration_runs', {
      format: 'json',
      query: { fields: '["id","status"]' },
      body: { integration: { id: Number(integrationId) }, 'start-time': fields.startTime, flow: fields.flow },
    }));
  }

  async updateRun(runId: string, fields: { flow?: string; endTime?: string }): Promise<void> {
    await this.http.request('PUT', `/api/integration_runs/${encodeURIComponent(runId)}`, {
      format: 'json',
      query: { fields: '["id"]' },
      body: { ...(fields.flow !== undefined ? { flow: fields.flow } : {}), ...(fields.endTime !== undefined ? { 'end-time': fields.endTime } : {}) },
    });
  }

  async setRunStatus(runId: string, action: IntegrationRunAction): Promise<void> {
    await this.http.request('PUT', `/api/integration_runs/${encodeURIComponent(runId)}/${action}`, { format: 'json', query: { fields: '["id","status"]' }, body: {} });
  }

  async raiseError(error: { runId: string; userId: string; message: string; alert: boolean }): Promise<string> {
    const path = error.alert ? '/api/integration_errors/create_alert' : '/api/integration_errors';
    return this.created(await this.http.request('POST', path, {
      format: 'json',
      query: { fields: '["id"]' },
      body: {
        'integration-run': { id: Number(error.runId) },
        'document-type': 'User',
        'document-id': error.userId,
        responses: [{ 'response-code': 'failed', 'response-message': error.message }],
      },
    }));
  }

  async resolveError(errorId: string): Promise<void> {
    await this.http.request('PUT', `/api/integration_errors/${encodeURIComponent(errorId)}/resolve`, { format: 'json', query: { fields: '["id"]' }, body: {} });
  }

  private created(res: { body: unknown; status: number }): string {
    const id = (res.body as { id?: unknown } | null)?.id;
    if (id === undefined || id === null) throw new Error(`Coupa answered HTTP ${res.status} without the new record's id`);
    return String(id);
  }
}
