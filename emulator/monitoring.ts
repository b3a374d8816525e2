/**
 * Coupa's integration monitoring resources: /api/integrations, /api/integration_runs (status
 * actions), /api/integration_errors (resolve, unresolve, create_alert) and
 * /api/integration_history_records (acknowledge, create_alert, mark_exported), XML and JSON.
 *
 * Choices where Coupa is undocumented (also in README.md):
 * - Scopes: `core.integration.read` for GET, `core.integration.write` for every write and action.
 * - A run is created `pending`; its status changes only through the actions, along
 *   pending → running | paused | failed; running → successful | failed | paused | pending;
 *   paused → running | pending | failed. `successful` and `failed` are final: any other move → 400
 *   "Status cannot change from X to Y". The status sent in a create or update is ignored.
 * - A run carries no counts (the page documents none): `flow` is free text (≤ 1024 characters) a client
 *   may use to describe the run.
 * - An error's text travels as `responses` (`response-code`, `response-message`), the shape Coupa
 *   documents for history records; it belongs to a run through `integration-run` `{ id }` (required).
 *   Resolving a resolved error (or unresolving an open one) is accepted and changes nothing, so a retry is safe.
 * - `create_alert` creates the error like POST and records `alert-sent: true` (the e-mail to the
 *   integration's contacts is not emulated).
 */
import { json, xml, type ApiRequest, type ApiResponse } from './http';
import { projectFields, runQuery, type FieldSpec } from './query';
import type { Json } from './store';
import { parseXmlDocument, renderXmlArray, renderXmlObject } from './xml';

type Format = 'xml' | 'json';
type Errors = (format: Format, status: number, messages: string[]) => ApiResponse;

export const MONITORING_RESOURCES = ['integrations', 'integration_runs', 'integration_errors', 'integration_history_records'] as const;
type Resource = (typeof MONITORING_RESOURCES)[number];

const DIRECTIONS = ['to_coupa', 'from_coupa'];
const END_SYSTEM_TYPES = ['internal', 'payroll', 'erp', 'hr', 'third_party_partner', 'third_party_vendor', 'other'];
const INTEGRATION_TYPES = ['flat_file', 'api', 'corporate_credit_card_file', 'json', 'xml'];
const DOCUMENT_TYPES = ['User', 'Supplier', 'Invoice', 'OrderHeader', 'Requisition', 'ExpenseReport', 'Account', 'Item', 'Payment'];
const MAX_TEXT = 1024;

/** Run actions and the status each leads to. */
const RUN_ACTIONS: Record<string, string> = { run: 'running', success: 'successful', fail: 'failed', pause: 'paused', pending: 'pending' };
const RUN_MOVES: Record<string, string[]> = {
  pending: ['running', 'paused', 'failed', 'pending'],
  running: ['successful', 'failed', 'paused', 'pending', 'running'],
  paused: ['running', 'pending', 'failed', 'paused'],
  successful: [],
  failed: [],
};

const ROOTS: Record<Resource, { item: string; model: string }> = {
  integrations: { item: 'integration', model: 'Integration' },
  integration_runs: { item: 'integration-run', model: 'IntegrationRun' },
  integration_errors: { item: 'integration-error', model: 'IntegrationError' },
  integration_history_records: { item: 'integration-history-record', model: 'IntegrationHistoryRecord' },
};

const ELEMENTS: Record<Resource, ReadonlySet<string>> = {
  integrations: new Set(['id', 'code', 'name', 'direction', 'end-system', 'end-system-type', 'integration-type', 'business-object', 'standard', 'created-at', 'updated-at']),
  integration_runs: new Set(['id', 'integration', 'flow', 'status', 'start-time', 'end-time', 'created-at', 'updated-at', 'integration-errors']),
  integration_errors: new Set(['id', 'integration', 'integration-run', 'document-type', 'document-id', 'document-status', 'document-revision',
    'contact-alert-type', 'creation-method', 'responses', 'resolved', 'alert-sent', 'created-at', 'updated-at']),
  integration_history_records: new Set(['id', 'integration', 'document-type', 'document-id', 'document-status', 'document-revision',
    'contact-alert-type', 'creation-method', 'responses', 'acknowledged', 'exported', 'alert-sent', 'created-at', 'updated-at']),
};

/** Actions each resource takes as `PUT /:id/<action>` (or, for create_alert, `POST /create_alert`). */
const ACTIONS: Record<Resource, string[]> = {
  integrations: [],
  integration_runs: Object.keys(RUN_ACTIONS),
  integration_errors: ['resolve', 'unresolve'],
  integration_history_records: ['acknowledge', 'mark_exported'],
};

export class MonitoringStore {
  private readonly records: Record<Resource, Json[]> = { integrations: [], integration_runs: [], integration_errors: [], integration_history_records: [] };
  /** Each resource counts its own ids from 1, as Coupa's tables do. */
  private readonly nextId: Record<Resource, number> = { integrations: 1, integration_runs: 1, integration_errors: 1, integration_history_records: 1 };

  all(resource: Resource): Json[] {
    return this.records[resource].map((r) => this.render(resource, r));
  }

  get(resource: Resource, id: number): Json | undefined {
    return this.records[resource].find((r) => r.id === id);
  }

  render(resource: Resource, record: Json): Json {
    if (resource !== 'integration_runs') return structuredClone(record);
    const errors = this.records.integration_errors
      .filter((e) => (e['integration-run'] as Json | null)?.id === record.id)
      .map((e) => ({ id: e.id, 'document-type': e['document-type'], 'document-id': e['document-id'], resolved: e.resolved }));
    return { ...structuredClone(record), 'integration-errors': errors };
  }

  /** Creates a record; a string array is the list of validation messages. */
  create(resource: Resource, input: Json, extra: Json = {}): Json | string[] {
    const now = new Date().toISOString();
    const checked = this.validate(resource, input, undefined);
    if (Array.isArray(checked)) return checked;
    const defaults: Json =
      resource === 'integration_runs' ? { status: 'pending', flow: null, 'start-time': null, 'end-time': null }
        : resource === 'integration_errors' ? { resolved: false, 'alert-sent': false }
          : resource === 'integration_history_records' ? { acknowledged: false, exported: false, 'alert-sent': false }
            : { standard: false };
    const record: Json = { id: this.nextId[resource]++, ...defaults, ...checked, ...extra, 'created-at': now, 'updated-at': now };
    this.records[resource].push(record);
    return record;
  }

  update(resource: Resource, id: number, input: Json): Json | string[] {
    const record = this.get(resource, id)!;
    const checked = this.validate(resource, input, record);
    if (Array.isArray(checked)) return checked;
    Object.assign(record, checked, { 'updated-at': new Date().toISOString() });
    return record;
  }

  /** A status action on a run, or a flag action on an error or history record. */
  act(resource: Resource, id: number, action: string): Json | string[] {
    const record = this.get(resource, id)!;
    if (resource === 'integration_runs') {
      const from = String(record.status);
      const to = RUN_ACTIONS[action];
      if (!RUN_MOVES[from]?.includes(to)) return [`Status cannot change from ${from} to ${to}`];
      record.status = to;
    } else if (action === 'resolve' || action === 'unresolve') {
      record.resolved = action === 'resolve';
    } else if (action === 'acknowledge') {
      record.acknowledged = true;
    } else if (action === 'mark_exported') {
      record.exported = true;
    }
    record['updated-at'] = new Date().toISOString();
    return record;
  }

  /** The writable elements of `input`, checked; messages in Coupa's "X is invalid" / "X can't be blank" wording. */
  private validate(resource: Resource, input: Json, existing: Json | undefined): Json | string[] {
    const errors: string[] = [];
    const out: Json = {};
    const text = (name: string, label: string, required: boolean, allowed?: string[]) => {
      const value = input[name];
      if (value === undefined || value === null || value === '') {
        if (required && (existing === undefined || name in input)) errors.push(`${label} can't be blank`);
        return;
      }
      const s = String(value);
      if (s.length > MAX_TEXT) errors.push(`${label} is too long (maximum is ${MAX_TEXT} characters)`);
      else if (allowed && !allowed.includes(s)) errors.push(`${label} is not included in the list`);
      else out[name] = s;
    };
    const time = (name: string, label: string) => {
      if (input[name] === undefined) return;
      if (input[name] === null) out[name] = null;
      else if (Number.isNaN(Date.parse(String(input[name])))) errors.push(`${label} is invalid`);
      else out[name] = new Date(String(input[name])).toISOString();
    };
    const reference = (name: string, label: string, target: Resource, required: boolean) => {
      const value = input[name];
      if (value === undefined || value === null) {
        if (required && existing === undefined) errors.push(`${label} can't be blank`);
        return;
      }
      const ref = typeof value === 'object' ? (value as Json) : { id: value };
      const found = ref.id !== undefined ? this.get(target, Number(ref.id))
        : target === 'integrations' && ref.code !== undefined ? this.records.integrations.find((i) => String(i.code).toLowerCase() === String(ref.code).toLowerCase())
          : undefined;
      if (!found) errors.push(`${label} is invalid`);
      else out[name] = target === 'integrations' ? { id: found.id, code: found.code } : { id: found.id };
    };
    const responses = () => {
      const value = input.responses;
      if (value === undefined) return;
      const list = Array.isArray(value) ? value : [value];
      const shaped = list.map((r) => ({ 'response-code': String((r as Json)?.['response-code'] ?? ''), 'response-message': String((r as Json)?.['response-message'] ?? '') }));
      if (shaped.some((r) => r['response-message'].length > MAX_TEXT)) errors.push(`Responses is too long (maximum is ${MAX_TEXT} characters)`);
      else out.responses = shaped;
    };

    if (resource === 'integrations') {
      text('code', 'Code', true);
      text('name', 'Name', true);
      text('direction', 'Direction', false, DIRECTIONS);
      text('end-system', 'End system', false);
      text('end-system-type', 'End system type', false, END_SYSTEM_TYPES);
      text('integration-type', 'Integration type', false, INTEGRATION_TYPES);
      text('business-object', 'Business object', false);
      if (input.standard !== undefined) out.standard = input.standard === true || input.standard === 'true';
      const code = out.code as string | undefined;
      if (code && this.records.integrations.some((i) => i !== existing && String(i.code).toLowerCase() === code.toLowerCase())) {
        errors.push('Code has already been taken');
      }
    } else if (resource === 'integration_runs') {
      reference('integration', 'Integration', 'integrations', true);
      text('flow', 'Flow', false);
      time('start-time', 'Start time');
      time('end-time', 'End time');
    } else {
      if (resource === 'integration_errors') reference('integration-run', 'Integration run', 'integration_runs', true);
      reference('integration', 'Integration', 'integrations', false);
      text('document-type', 'Document type', true, DOCUMENT_TYPES);
      text('document-id', 'Document', true);
      text('document-status', 'Document status', false);
      text('document-revision', 'Document revision', false);
      text('contact-alert-type', 'Contact alert type', false);
      text('creation-method', 'Creation method', false);
      responses();
      // An error of a run belongs to that run's integration.
      if (resource === 'integration_errors' && out['integration-run'] && !out.integration) {
        const run = this.get('integration_runs', (out['integration-run'] as Json).id as number);
        out.integration = run?.integration ?? null;
      }
    }
    return errors.length > 0 ? errors : out;
  }
}

const ROUTE = /^\/api\/(integrations|integration_runs|integration_errors|integration_history_records)(?:\/(\d+|create_alert|create_alert_and_mark_exported))?(?:\/(\w+))?\/?$/;

export function isMonitoringPath(path: string): boolean {
  return ROUTE.test(path);
}

/** The scope a monitoring request needs. */
export function monitoringScopeFor(method: string): string {
  return method === 'GET' ? 'core.integration.read' : 'core.integration.write';
}

export interface MonitoringContext {
  store: MonitoringStore;
  maxPageSize: number;
  errors: Errors;
  parseJsonObject(body: string): Json;
  bodyFormat(request: ApiRequest): Format | undefined;
}

export function handleMonitoringApi(context: MonitoringContext, format: Format, request: ApiRequest, fields: FieldSpec | undefined): ApiResponse {
  const { store, errors } = context;
  const [, resourceText, idOrVerb, action] = ROUTE.exec(request.path)!;
  const resource = resourceText as Resource;
  const { item, model } = ROOTS[resource];
  const shape = (record: Json) => (fields ? projectFields(record, fields) : record);
  const one = (status: number, record: Json) => {
    const rendered = shape(store.render(resource, record));
    return format === 'json' ? json(status, rendered) : xml(status, renderXmlObject(item, rendered));
  };
  const id = idOrVerb !== undefined && /^\d+$/.test(idOrVerb) ? Number(idOrVerb) : undefined;
  const verb = id === undefined ? idOrVerb : action;
  const missing = () => errors(format, 404, [`Couldn't find ${model} with 'id'=${id}`]);
  const readBody = (): { input: Json } | { refused: ApiResponse } => {
    const bodyFormat = context.bodyFormat(request);
    if (!bodyFormat) return { refused: errors(format, 400, ['Content-Type must be application/xml or application/json']) };
    try {
      return { input: bodyFormat === 'xml' ? parseXmlDocument(request.body, item, new Set(['standard', 'resolved'])) : context.parseJsonObject(request.body) };
    } catch (error) {
      return { refused: errors(format, 400, [(error as Error).message]) };
    }
  };
  const written = (status: number, result: Json | string[]) => (Array.isArray(result) ? errors(format, 400, result) : one(status, result));

  if (request.method === 'GET' && verb === undefined) {
    if (id !== undefined) {
      const record = store.get(resource, id);
      return record ? one(200, record) : missing();
    }
    const result = runQuery(store.all(resource), request.query, { maxPageSize: context.maxPageSize, knownAttributes: ELEMENTS[resource] });
    if (!result.ok) return errors(format, 400, [result.error]);
    if (format === 'json') return json(200, result.items.map(shape));
    if (result.items.length === 0) return errors(format, 404, ['No results match your search criteria.']);
    return xml(200, renderXmlArray(resourceText.replace(/_/g, '-'), result.items.map(shape)));
  }
  if (request.method === 'POST' && id === undefined) {
    const creating = verb === undefined || ((verb === 'create_alert' || verb === 'create_alert_and_mark_exported') && resource !== 'integrations' && resource !== 'integration_runs');
    if (!creating || (verb === 'create_alert_and_mark_exported' && resource !== 'integration_history_records')) {
      return errors(format, 404, [`No route matches ${request.method} ${request.path}`]);
    }
    const body = readBody();
    if ('refused' in body) return body.refused;
    const extra: Json = verb === undefined ? {} : { 'alert-sent': true, ...(verb === 'create_alert_and_mark_exported' ? { exported: true } : {}) };
    return written(201, store.create(resource, body.input, extra));
  }
  if ((request.method === 'PUT' || request.method === 'PATCH') && id !== undefined) {
    if (!store.get(resource, id)) return missing();
    if (verb !== undefined) {
      if (!ACTIONS[resource].includes(verb)) return errors(format, 404, [`No route matches ${request.method} ${request.path}`]);
      return written(200, store.act(resource, id, verb));
    }
    const body = readBody();
    if ('refused' in body) return body.refused;
    return written(200, store.update(resource, id, body.input));
  }
  return errors(format, 405, [`${request.method} ${request.path} is not supported`]);
}
