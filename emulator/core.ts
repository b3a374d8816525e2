/**
 * Coupa core API routes: /api/users (XML + JSON), /api/data_file_sources and the integration monitoring
 * resources (monitoring.ts), behind OAuth scopes.
 *
 * Choices where Coupa is undocumented:
 * - No Accept header (or only *\/*) → XML, the API's historical default.
 * - POST/PUT: Content-Type must be XML or JSON and match Accept when Accept names a format (400 otherwise).
 * - Missing/unknown/expired token → 401; token without the needed scope → 403; both with an error body.
 * - Unknown user id → 404 "Couldn't find User with 'id'=N" (Rails' wording); other paths → 404.
 * - PATCH is accepted like PUT (the R39 Swagger lists both); other methods → 405.
 */
import { header, json, xml, type ApiRequest, type ApiResponse } from './http';
import type { OAuthServer } from './oauth';
import { pageWindow, parseFields, projectFields, runQuery, type FieldSpec } from './query';
import { BOOLEAN_ELEMENTS, type CoreUserStore, type FieldError, type Json, type StoredUser } from './store';
import { itemName, parseXmlDocument, renderXmlArray, renderXmlErrors, renderXmlObject, XmlInputError } from './xml';
import { attributesOf, REFERENCE_LISTS, REFERENCE_SCOPE, type ReferenceList } from './reference-lists';
import type { DataFileSourceLog } from './loader';
import { handleMonitoringApi, isMonitoringPath, monitoringScopeFor, type MonitoringStore } from './monitoring';

type Format = 'xml' | 'json';
const NO_RESULTS = 'No results match your search criteria.';

export interface CoreApiContext {
  oauth: OAuthServer;
  users: CoreUserStore;
  dataFileSources: DataFileSourceLog;
  monitoring: MonitoringStore;
  maxPageSize: number;
}

export function formatOf(mediaType: string | undefined): Format | undefined {
  if (!mediaType) return undefined;
  if (/json/i.test(mediaType)) return 'json';
  if (/xml/i.test(mediaType)) return 'xml';
  return undefined;
}

export function errorResponse(format: Format, status: number, messages: string[], headers: Record<string, string> = {}): ApiResponse {
  return format === 'json' ? json(status, { errors: { user: messages } }, headers) : xml(status, renderXmlErrors(messages), headers);
}

export function handleCoreApi(context: CoreApiContext, request: ApiRequest): ApiResponse {
  const format = formatOf(header(request, 'accept')) ?? formatOf(header(request, 'content-type')) ?? 'xml';
  const token = context.oauth.check(header(request, 'authorization'));
  if (!token.ok) {
    return errorResponse(format, 401, ['Invalid or expired access token'], { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
  if (isMonitoringPath(request.path)) {
    const scope = monitoringScopeFor(request.method);
    if (!token.scopes.has(scope)) {
      return errorResponse(format, 403, [`Access token lacks the ${scope} scope`], { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` });
    }
    const fields = parseFields(request.query.get('fields'));
    if (fields instanceof Error) return errorResponse(format, 400, [fields.message]);
    return handleMonitoringApi(
      { store: context.monitoring, maxPageSize: context.maxPageSize, errors: errorResponse, parseJsonObject, bodyFormat: (r) => formatOf(header(r, 'content-type')) },
      format, request, fields,
    );
  }
  const route = /^\/api\/([a-z_]+)(?:\/(\d+))?\/?$/.exec(request.path);
  const list = route ? REFERENCE_LISTS[route[1]] : undefined;
  if (!route || (route[1] !== 'users' && route[1] !== 'data_file_sources' && !list)) {
    return errorResponse(format, 404, [`No route matches ${request.method} ${request.path}`]);
  }
  const [, resource, idText] = route;
  const id = idText === undefined ? undefined : Number(idText);
  if (list) return referenceList(context, format, request, list, id, token.scopes);
  const writing = request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH';
  const scope = resource === 'data_file_sources' ? 'core.integration.read' : writing ? 'core.user.write' : 'core.user.read';
  if (!token.scopes.has(scope)) {
    return errorResponse(format, 403, [`Access token lacks the ${scope} scope`], { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` });
  }
  const fields = parseFields(request.query.get('fields'));
  if (fields instanceof Error) return errorResponse(format, 400, [fields.message]);

  if (resource === 'data_file_sources') {
    if (request.method !== 'GET') return errorResponse(format, 405, [`${request.method} is not supported here`]);
    const sources = context.dataFileSources.all() as unknown as Json[];
    return listOrShow(format, 'data-file-sources', sources, DATA_FILE_SOURCE_ELEMENTS, id, request, context.maxPageSize, fields, 'DataFileSource');
  }
  if (request.method === 'GET') {
    const page = id === undefined ? plainPage(context.users, request.query, context.maxPageSize) : undefined;
    if (page) return listPage(format, page.map((u) => context.users.render(u)), request, fields);
    const stored = id !== undefined ? [context.users.get(id)].filter((u) => u !== undefined) : indexedCandidates(context.users, request.query);
    const rendered = stored.map((u) => context.users.render(u));
    return listOrShow(format, 'users', rendered, context.users.elementNames(), id, request, context.maxPageSize, fields, 'User');
  }
  if (request.method === 'POST' && id === undefined) return write(context, format, request, fields);
  if ((request.method === 'PUT' || request.method === 'PATCH') && id !== undefined) return write(context, format, request, fields, id);
  return errorResponse(format, 405, [`${request.method} ${request.path} is not supported`]);
}

/**
 * Narrows a users query through the unique-element indexes when it names `login`, `email`,
 * `employee_number` (exact or `[in]`), so a lookup among thousands of users stays O(1).
 * Only a pre-filter: runQuery still applies every condition to what is left.
 */
function indexedCandidates(users: CoreUserStore, query: URLSearchParams): StoredUser[] {
  for (const [param, element] of [['login', 'login'], ['email', 'email'], ['employee_number', 'employee-number']] as const) {
    const values = query.has(param) ? query.getAll(param) : query.has(`${param}[in]`) ? query.get(`${param}[in]`)!.split(',') : undefined;
    if (values === undefined) continue;
    const found = values.map((v) => users.findBy(element, v)).filter((u): u is StoredUser => u !== undefined);
    return [...new Set(found)].sort((a, b) => a.id - b.id);
  }
  return users.all();
}

/** Parameters a page of every user in id order may carry (anything else filters or sorts). */
const PLAIN_PAGE_PARAMS = new Set(['limit', 'offset', 'fields', 'return_object', 'filter', 'order_by', 'dir']);

/**
 * The users of one page when the query neither filters nor sorts by anything but id ascending: a
 * slice of the users in id order, so paging through N users costs O(N) rather than O(N²). The same
 * page runQuery would give (limit and offset read the same way); undefined when the query is not plain.
 */
function plainPage(users: CoreUserStore, query: URLSearchParams, maxPageSize: number): StoredUser[] | undefined {
  for (const key of query.keys()) if (!PLAIN_PAGE_PARAMS.has(key)) return undefined;
  const orderBy = query.get('order_by');
  if (orderBy !== null && orderBy !== 'id') return undefined;
  const dir = query.get('dir');
  if (dir !== null && dir.toLowerCase() === 'desc') return undefined;
  const { limit, offset } = pageWindow(query, maxPageSize);
  return users.page(offset, limit);
}

function listPage(format: Format, items: Json[], request: ApiRequest, fields: FieldSpec | undefined): ApiResponse {
  const returnObject = request.query.get('return_object');
  const shaped = items.map((record) => (returnObject === 'limited' ? { id: record.id } : fields ? projectFields(record, fields) : record));
  if (format === 'json') return json(200, shaped);
  if (shaped.length === 0) return errorResponse(format, 404, [NO_RESULTS]);
  return xml(200, renderXmlArray('users', shaped));
}

function listOrShow(
  format: Format, root: string, records: Json[], known: ReadonlySet<string>, id: number | undefined, request: ApiRequest,
  maxPageSize: number, fields: FieldSpec | undefined, model: string,
): ApiResponse {
  const itemRoot = itemName(root);
  const returnObject = request.query.get('return_object');
  const shape = (record: Json) => (returnObject === 'limited' ? { id: record.id } : fields ? projectFields(record, fields) : record);
  if (id !== undefined) {
    const record = records.find((r) => r.id === id);
    if (!record) return errorResponse(format, 404, [`Couldn't find ${model} with 'id'=${id}`]);
    return format === 'json' ? json(200, shape(record)) : xml(200, renderXmlObject(itemRoot, shape(record)));
  }
  let candidates = records;
  const handled = new Set<string>();
  if (root === 'users' && request.query.has('status')) {
    // The Users page documents status=active; inactive is its obvious pair. Anything else matches nothing.
    const status = request.query.get('status');
    handled.add('status');
    candidates = records.filter((r) => (status === 'active' ? r.active === true : status === 'inactive' ? r.active === false : false));
  }
  const result = runQuery(candidates, request.query, { maxPageSize, knownAttributes: known, handled });
  if (!result.ok) return errorResponse(format, 400, [result.error]);
  if (format === 'json') return json(200, result.items.map(shape));
  if (result.items.length === 0) return errorResponse(format, 404, [NO_RESULTS]);
  return xml(200, renderXmlArray(root, result.items.map(shape)));
}

/** `GET /api/departments` and the other reference lists (reference-lists.ts): read only, paged, `fields` honoured. */
function referenceList(
  context: CoreApiContext, format: Format, request: ApiRequest, list: ReferenceList, id: number | undefined, scopes: Set<string>,
): ApiResponse {
  if (!scopes.has(REFERENCE_SCOPE)) {
    return errorResponse(format, 403, [`Access token lacks the ${REFERENCE_SCOPE} scope`], { 'www-authenticate': `Bearer error="insufficient_scope", scope="${REFERENCE_SCOPE}"` });
  }
  if (request.method !== 'GET') return errorResponse(format, 405, [`${request.method} is not supported here: the sync never creates reference data`]);
  const fields = parseFields(request.query.get('fields'));
  if (fields instanceof Error) return errorResponse(format, 400, [fields.message]);
  const records = context.users.referenceRecords(list.kind);
  return listOrShow(format, list.root, records, attributesOf(records), id, request, context.maxPageSize, fields, list.model);
}

const DATA_FILE_SOURCE_ELEMENTS: ReadonlySet<string> = new Set(['id', 'file-file-name', 'source-for', 'status', 'records-created', 'records-updated',
  'upload-errors-count', 'result-text', 'created-at', 'upload-errors']);

function write(context: CoreApiContext, format: Format, request: ApiRequest, fields: FieldSpec | undefined, id?: number): ApiResponse {
  const bodyFormat = formatOf(header(request, 'content-type'));
  const acceptFormat = formatOf(header(request, 'accept'));
  if (!bodyFormat) return errorResponse(format, 400, ['Content-Type must be application/xml or application/json']);
  if (acceptFormat && acceptFormat !== bodyFormat) {
    return errorResponse(format, 400, ['Content-Type and Accept must name the same format (both XML or both JSON)']);
  }
  if (id !== undefined && !context.users.get(id)) return errorResponse(format, 404, [`Couldn't find User with 'id'=${id}`]);
  let input: Json;
  try {
    input = bodyFormat === 'xml' ? parseXmlDocument(request.body, 'user', BOOLEAN_ELEMENTS) : parseJsonObject(request.body);
  } catch (error) {
    return errorResponse(format, 400, [(error as Error).message]);
  }
  const result = id === undefined ? context.users.create(input) : context.users.update(id, input);
  if (!result.ok) return errorResponse(format, 400, messagesOf(result.errors));
  const status = id === undefined ? 201 : 200;
  const returnObject = request.query.get('return_object');
  if (returnObject === 'none') return { status };
  const rendered = context.users.render(result.user);
  const shaped = returnObject === 'limited' ? { id: rendered.id } : fields ? projectFields(rendered, fields) : rendered;
  return format === 'json' ? json(status, shaped) : xml(status, renderXmlObject('user', shaped));
}

function parseJsonObject(body: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new XmlInputError('Invalid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new XmlInputError('Expected a JSON object (no root node)');
  return value as Json;
}

function messagesOf(errors: FieldError[]): string[] {
  return errors.map((e) => e.message);
}
