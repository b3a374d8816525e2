/**
 * Test helpers for the Coupa client tests: a scripted HTTP server on 127.0.0.1, a fake clock,
 * and config/options factories.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig, type CoupaConfig } from '../../lambdas/core/config';
import type { Clock } from '../../lambdas/core/ports';
import type { ClientOptions } from '../../lambdas/adapters/coupa';

export interface SeenRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the server does with one request: answer, drop the connection, or never answer. */
export type Step =
  | { status: number; body?: string | object; headers?: Record<string, string> }
  | { reset: true }
  | { hang: true };

export type Script = (req: SeenRequest, index: number) => Step;

export interface ScriptedServer {
  url: string;
  seen: SeenRequest[];
  /** Replace the behaviour (default: every request answers 200 []). */
  script: Script;
  close(): Promise<void>;
}

export async function startScriptedServer(script: Script = () => ({ status: 200, body: [] })): Promise<ScriptedServer> {
  const state = { script };
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const entry: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      const step = state.script(entry, seen.length - 1);
      if ('reset' in step) {
        req.socket.destroy();
        return;
      }
      if ('hang' in step) return;
      const isText = typeof step.body === 'string';
      const text = step.body === undefined ? '' : isText ? (step.body as string) : JSON.stringify(step.body);
      res.writeHead(step.status, {
        'content-type': isText && text.trimStart().startsWith('<') ? 'application/xml' : 'application/json',
        ...step.headers,
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get script() {
      return state.script;
    },
    set script(s: Script) {
      state.script = s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A clock whose sleep() returns at once and advances time: backoff is measured, not waited. */
export class FakeClock implements Clock {
  sleeps: number[] = [];
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  now(): Date {
    return new Date(this.t);
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export function coupaConfig(overrides: Partial<CoupaConfig> = {}): CoupaConfig {
  return { ...parseConfig({}).coupa, ...overrides };
}

export function clientOptions(baseUrl: string, overrides: Partial<ClientOptions> = {}, config: Partial<CoupaConfig> = {}): ClientOptions {
  return {
    baseUrl,
    config: coupaConfig({ requestTimeoutMs: 2000, maxAttempts: 4, maxRetryMs: 30_000, ...config }),
    credentials: { clientId: 'test-client', clientSecret: 'test-secret' },
    clock: new FakeClock(),
    random: () => 0.5,
    ...overrides,
  };
}

/** The token endpoint answer most tests use. */
export function tokenStep(token = 'tok-1', expiresIn = 86399): Step {
  return { status: 200, body: { access_token: token, token_type: 'bearer', expires_in: expiresIn } };
}
