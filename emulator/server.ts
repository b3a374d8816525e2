/**
 * The Coupa emulator: a node:http server on 127.0.0.1 that behaves like Coupa core (OAuth, Users API
 * in XML and JSON, data file sources, CSV user loader) or like CSO (API-key Users API, JSON only),
 * with seeded fault injection. This file only routes; the behaviour lives in the sibling modules.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorResponse, formatOf, handleCoreApi } from './core';
import { CsoUserStore, handleCsoRequest } from './cso';
import { FaultInjector } from './faults';
import { json, type ApiRequest, type ApiResponse } from './http';
import { CsvUserLoader, DataFileSourceLog } from './loader';
import { MonitoringStore } from './monitoring';
import { OAuthServer } from './oauth';
import { DEMO_CORE_USERS, DEMO_CSO_USERS } from './seed';
import { CoreUserStore, type Catalogue } from './store';

export interface EmulatorFaults {
  rateLimitPerSecond?: number;
  burst?: number;
  retryAfterSeconds?: number;
  latencyMs?: number;
  errorRate?: number;
  resetRate?: number;
  seed?: number;
}
export interface SeedUser {
  id?: number | string;
  login: string;
  email: string;
  firstname: string;
  lastname: string;
  active?: boolean;
  'employee-number'?: string;
  manager?: string;
  [element: string]: unknown;
}
export interface EmulatorOptions {
  port?: number;
  host?: string;
  flavor?: 'core' | 'cso';
  seed?: 'demo' | 'none' | SeedUser[];
  /** Roles and content groups that exist (default DEFAULT_CATALOGUE in store.ts); names seed users hold are added. */
  catalogue?: Catalogue;
  clientId?: string;
  clientSecret?: string;
  scopes?: string[];
  csoApiKey?: string;
  tokenTtlSeconds?: number;
  maxPageSize?: number;
  faults?: EmulatorFaults;
  loader?: { incomingDir: string; archiveDir?: string; pollMs?: number };
}
export interface RequestLogEntry {
  at: number;
  method: string;
  path: string;
  query: string;
  status: number;
}
export interface DataFileSource {
  id: number;
  'file-file-name': string;
  'source-for': 'User';
  status: 'Pending' | 'Loading' | 'Done' | 'Failed';
  'records-created': number;
  'records-updated': number;
  'upload-errors-count': number;
  'result-text': string;
  'created-at': string;
  'upload-errors': Array<{ row: number; 'field-with-error': string; value: string; 'field-errors': string[] }>;
}
export interface RunningEmulator {
  url: string;
  port: number;
  flavor: 'core' | 'cso';
  credentials: { clientId: string; clientSecret: string; apiKey: string };
  requests: RequestLogEntry[];
  users(): Record<string, unknown>[];
  dataFileSources(): DataFileSource[];
  /** Integration monitoring records as the API shows them (runs with their errors). */
  monitoring: {
    integrations(): Record<string, unknown>[];
    runs(): Record<string, unknown>[];
    errors(): Record<string, unknown>[];
  };
  processIncoming(): Promise<DataFileSource[]>;
  resetLog(): void;
  /** Adds a reference record (a department, a role, …) as an admin would in Coupa, e.g. between two runs of a test. */
  addReference(kind: Parameters<CoreUserStore['addReference']>[0], name: string): void;
  close(): Promise<void>;
}

export const DEFAULT_SCOPES = ['core.user.read', 'core.user.write', 'core.integration.read', 'core.integration.write', 'core.common.read'];
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const flavor = options.flavor ?? 'core';
  const credentials = {
    clientId: options.clientId ?? 'coupa-sync-demo',
    clientSecret: options.clientSecret ?? 'demo-secret',
    apiKey: options.csoApiKey ?? 'cso-demo-key',
  };
  const maxPageSize = options.maxPageSize ?? (flavor === 'cso' ? 250 : 50);
  const oauth = new OAuthServer({
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    scopes: options.scopes ?? DEFAULT_SCOPES,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 86399,
  });
  const coreUsers = new CoreUserStore(options.catalogue);
  const csoUsers = new CsoUserStore();
  const seed = options.seed ?? 'demo';
  if (flavor === 'core') coreUsers.seed(seed === 'demo' ? DEMO_CORE_USERS : seed === 'none' ? [] : seed);
  else csoUsers.seed(seed === 'demo' ? DEMO_CSO_USERS : seed === 'none' ? [] : seed);
  const dataFileSources = new DataFileSourceLog();
  const monitoring = new MonitoringStore();
  const loader = options.loader ? new CsvUserLoader(coreUsers, dataFileSources, options.loader) : undefined;
  const faults = new FaultInjector(options.faults);
  const requests: RequestLogEntry[] = [];

  const route = (request: ApiRequest): ApiResponse => {
    if (flavor === 'core' && request.path === '/oauth2/token') {
      if (request.method !== 'POST') return json(405, { error: 'invalid_request' });
      const answer = oauth.issue(request.headers['content-type'], request.body, request.headers.authorization);
      return json(answer.status, answer.body, { 'cache-control': 'no-store' });
    }
    if (flavor === 'cso') return handleCsoRequest(csoUsers, { apiKey: credentials.apiKey, maxPageSize }, request);
    return handleCoreApi({ oauth, users: coreUsers, dataFileSources, monitoring, maxPageSize }, request);
  };

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const entry: RequestLogEntry = { at: Date.now(), method: req.method ?? 'GET', path: url.pathname, query: safeDecode(url.search.slice(1)), status: 0 };
    requests.push(entry);
    const body = await readBody(req);
    const isApi = url.pathname.startsWith('/api/');
    let response: ApiResponse;
    if (body === undefined) {
      response = json(413, { errors: { user: ['Request body too large'] } });
    } else if (isApi) {
      const decision = faults.decide();
      if (faults.latencyMs > 0) await delay(faults.latencyMs);
      if (decision === 'reset') {
        // status stays 0 in the log: no response was ever sent.
        req.socket.destroy();
        return;
      }
      const format = flavor === 'cso' ? 'json' : (formatOf(req.headers.accept) ?? 'xml');
      if (decision === 'rate-limited') {
        const retry = faults.retryAfterSeconds;
        response = errorResponse(format, 429, ['Rate limit exceeded'], retry === undefined ? {} : { 'retry-after': String(retry) });
      } else if (decision === 'error') {
        response = errorResponse(format, 503, ['Service temporarily unavailable']);
      } else {
        response = route({ method: entry.method, path: url.pathname, query: url.searchParams, headers: req.headers, body });
      }
    } else {
      response = route({ method: entry.method, path: url.pathname, query: url.searchParams, headers: req.headers, body });
    }
    entry.status = response.status;
    res.writeHead(response.status, response.headers ?? {});
    res.end(response.body ?? '');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const host = options.host ?? '127.0.0.1';

  const timer = loader && options.loader?.pollMs
    ? setInterval(() => void loader.processIncoming().catch(() => undefined), options.loader.pollMs)
    : undefined;
  timer?.unref();
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    flavor,
    credentials,
    requests,
    users: () => (flavor === 'core' ? coreUsers.all().map((u) => structuredClone(coreUsers.render(u))) : csoUsers.all()),
    dataFileSources: () => dataFileSources.all(),
    monitoring: {
      integrations: () => monitoring.all('integrations'),
      runs: () => monitoring.all('integration_runs'),
      errors: () => monitoring.all('integration_errors'),
    },
    processIncoming: () => (loader ? loader.processIncoming() : Promise.reject(new Error('The emulator was started without a loader'))),
    resetLog: () => {
      requests.length = 0;
    },
    addReference: (kind, name) => coreUsers.addReference(kind, name),
    close: () => {
      closing ??= (async () => {
        if (timer) clearInterval(timer);
        await loader?.idle();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        });
      })();
      return closing;
    },
  };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Reads the whole body as UTF-8; undefined when it exceeds the cap. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
