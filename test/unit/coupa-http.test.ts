import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CoupaAuthError, CoupaHttp, CoupaRejectedError, CoupaRetryableError, OAuthTokenCache, type RequestEvent } from '../../lambdas/adapters/coupa';
import { clientOptions, FakeClock, startScriptedServer, tokenStep, type ScriptedServer, type Step } from './coupa-support';

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.seen.length = 0;
});

/** Token endpoint answers tokenStep(); /api requests follow `api` in order (the last step repeats). */
function scriptApi(api: Step[], token: (i: number) => Step = (i) => tokenStep(`tok-${i + 1}`)) {
  let apiIndex = 0;
  let tokenIndex = 0;
  server.script = (req) => {
    if (req.path === '/oauth2/token') return token(tokenIndex++);
    return api[Math.min(apiIndex++, api.length - 1)];
  };
}
const apiCalls = () => server.seen.filter((r) => r.path.startsWith('/api'));
const tokenCalls = () => server.seen.filter((r) => r.path === '/oauth2/token');

describe('CoupaHttp: auth and headers', () => {
  it('gets a client-credentials token once, form-encoded with space-separated scopes, and sends it as Bearer', async () => {
    // Prepare
    scriptApi([{ status: 200, body: [] }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { scopes: 'core.user.read,core.user.write', format: 'json' }));
    // Act
    await http.request('GET', '/api/users', { query: { login: 'a' } });
    await http.request('GET', '/api/users', { query: { login: 'b' } });
    // Assess
    expect(tokenCalls()).toHaveLength(1);
    const form = new URLSearchParams(tokenCalls()[0].body);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'client_credentials',
      client_id: 'test-client',
      client_secret: 'test-secret',
      scope: 'core.user.read core.user.write',
    });
    expect(tokenCalls()[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    for (const call of apiCalls()) {
      expect(call.headers.authorization).toBe('Bearer tok-1');
      expect(call.headers.accept).toBe('application/json');
      expect(call.headers['content-type']).toBe('application/json');
    }
  });

  it('sets Accept and Content-Type to XML together in xml format', async () => {
    // Prepare
    scriptApi([{ status: 200, body: '<users type="array"/>' }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'xml' }));
    // Act
    const res = await http.request('GET', '/api/users');
    // Assess
    expect(apiCalls()[0].headers.accept).toBe('application/xml');
    expect(apiCalls()[0].headers['content-type']).toBe('application/xml');
    expect(res.body).toEqual({ users: [] });
  });

  it('shares one in-flight token request among concurrent callers', async () => {
    // Prepare
    scriptApi([{ status: 200, body: [] }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json' }));
    // Act
    await Promise.all(Array.from({ length: 8 }, (_, i) => http.request('GET', '/api/users', { query: { login: `u${i}` } })));
    // Assess
    expect(tokenCalls()).toHaveLength(1);
    expect(apiCalls()).toHaveLength(8);
  });

  it('renews the token at 80% of expires_in', async () => {
    // Prepare
    scriptApi([{ status: 200, body: [] }], (i) => tokenStep(`tok-${i + 1}`, 100));
    const clock = new FakeClock();
    const http = new CoupaHttp(clientOptions(server.url, { clock }, { format: 'json' }));
    await http.request('GET', '/api/users');
    // Act
    clock.advance(79_000);
    await http.request('GET', '/api/users');
    clock.advance(2_000);
    await http.request('GET', '/api/users');
    // Assess
    expect(tokenCalls()).toHaveLength(2);
    expect(apiCalls().map((c) => c.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
  });

  it('on a 401 renews the token once and retries', async () => {
    // Prepare
    scriptApi([{ status: 401, body: '' }, { status: 200, body: [] }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json' }));
    // Act
    const res = await http.request('GET', '/api/users');
    // Assess
    expect(res.status).toBe(200);
    expect(tokenCalls()).toHaveLength(2);
    expect(apiCalls().map((c) => c.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
  });

  it('a second 401 is a CoupaAuthError telling what to check', async () => {
    // Prepare
    scriptApi([{ status: 401, body: '' }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json' }));
    // Act
    const error = await http.request('GET', '/api/users').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CoupaAuthError);
    expect((error as Error).message).toMatch(/COUPA_CLIENT_ID\/COUPA_CLIENT_SECRET and scopes/);
    expect(apiCalls()).toHaveLength(2);
    expect(tokenCalls()).toHaveLength(2);
  });

  it('a refused token request is a CoupaAuthError naming the instance, never the secret', async () => {
    // Prepare
    scriptApi([{ status: 200, body: [] }], () => ({ status: 401, body: { error: 'invalid_client' } }));
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json' }));
    // Act
    const error = (await http.request('GET', '/api/users').catch((e: unknown) => e)) as Error;
    // Assess
    expect(error).toBeInstanceOf(CoupaAuthError);
    expect(error.message).toContain(server.url);
    expect(error.message).toContain('invalid_client');
    expect(error.message).not.toContain('test-secret');
    expect(apiCalls()).toHaveLength(0);
  });

  it('a 403 (missing scope) is a CoupaAuthError, not retried', async () => {
    // Prepare
    scriptApi([{ status: 403, body: '' }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json' }));
    // Act
    const error = await http.request('GET', '/api/users').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CoupaAuthError);
    expect(apiCalls()).toHaveLength(1);
  });

  it('CSO sends X-CSO-API-KEY and JSON, with no token request', async () => {
    // Prepare
    scriptApi([{ status: 200, body: { total: 0, users: [] } }]);
    const http = new CoupaHttp(clientOptions(server.url, { credentials: { apiKey: 'cso-key' } }, { flavor: 'cso', format: 'xml' }));
    // Act
    await http.request('GET', '/api/users');
    // Assess
    expect(tokenCalls()).toHaveLength(0);
    expect(apiCalls()[0].headers['x-cso-api-key']).toBe('cso-key');
    expect(apiCalls()[0].headers.accept).toBe('application/json');
    expect(apiCalls()[0].headers.authorization).toBeUndefined();
  });
});

describe('CoupaHttp: retry policy', () => {
  it('retries a 429 and honours Retry-After, then succeeds; the rate governor halves', async () => {
    // Prepare
    scriptApi([{ status: 429, body: '', headers: { 'retry-after': '2' } }, { status: 200, body: [] }]);
    const clock = new FakeClock();
    const http = new CoupaHttp(clientOptions(server.url, { clock }, { format: 'json' }));
    const start = clock.t;
    // Act
    const res = await http.request('GET', '/api/users');
    // Assess
    expect(res.status).toBe(200);
    expect(apiCalls()).toHaveLength(2);
    expect(clock.t - start).toBeGreaterThanOrEqual(2000);
    expect(http.bucket.currentRate).toBeLessThan(20);
  });

  it('gives up on 503 after maxAttempts with CoupaRetryableError and exponential, jittered backoff', async () => {
    // Prepare
    scriptApi([{ status: 503, body: '' }]);
    const clock = new FakeClock();
    const http = new CoupaHttp(clientOptions(server.url, { clock, random: () => 0.5 }, { format: 'json', maxAttempts: 4 }));
    // Act
    const error = (await http.request('GET', '/api/users').catch((e: unknown) => e)) as CoupaRetryableError;
    // Assess
    expect(error).toBeInstanceOf(CoupaRetryableError);
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/4 attempt\(s\).*HTTP 503/);
    expect(apiCalls()).toHaveLength(4);
    expect(clock.sleeps).toEqual([100, 200, 400]); // 0.5 × 200·2^(n-1)
  });

  it("waits at least a 503's Retry-After (HTTP date) before retrying", async () => {
    // Prepare
    const clock = new FakeClock();
    const at = new Date(clock.t + 5000).toUTCString();
    scriptApi([{ status: 503, body: '', headers: { 'retry-after': at } }, { status: 200, body: [] }]);
    const http = new CoupaHttp(clientOptions(server.url, { clock, random: () => 0.5 }, { format: 'json' }));
    // Act
    await http.request('GET', '/api/users');
    // Assess
    expect(clock.sleeps).toEqual([5000]);
  });

  it('stops retrying when maxRetryMs would be exceeded, before maxAttempts', async () => {
    // Prepare
    scriptApi([{ status: 502, body: '' }]);
    const clock = new FakeClock();
    const http = new CoupaHttp(clientOptions(server.url, { clock, random: () => 1 }, { format: 'json', maxAttempts: 10, maxRetryMs: 1000 }));
    // Act
    const error = await http.request('GET', '/api/users').catch((e: unknown) => e);
    // Assess: sleeps 200 + 400 = 600; the next 800 would pass 1000
    expect(error).toBeInstanceOf(CoupaRetryableError);
    expect(apiCalls()).toHaveLength(3);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
  });

  it('counts the retry budget from the first send, not from the wait for a rate slot', async () => {
    // Prepare: 1 request/s, so the third of three waits 2 s for its slot, twice maxRetryMs
    scriptApi([{ status: 200, body: [] }, { status: 200, body: [] }, { reset: true }, { status: 200, body: [] }]);
    const clock = new FakeClock();
    const http = new CoupaHttp(clientOptions(server.url, { clock, random: () => 0 }, { format: 'json', ratePerSecond: 1, burst: 1, maxRetryMs: 1000 }));

    // Act
    const answers = await Promise.allSettled([1, 2, 3].map((n) => http.request('GET', '/api/users', { query: { login: `u${n}` } })));

    // Assess: the reset is retried, as it would be for a request sent at once
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(apiCalls()).toHaveLength(4);
  });

  it('retries after a connection reset', async () => {
    // Prepare
    scriptApi([{ reset: true }, { status: 200, body: [{ id: 1, login: 'a' }] }]);
    const events: RequestEvent[] = [];
    const http = new CoupaHttp(clientOptions(server.url, { onRequest: (e) => events.push(e) }, { format: 'json' }));
    // Act
    const res = await http.request('GET', '/api/users', { query: { login: 'secret.person' } });
    // Assess
    expect(res.body).toEqual([{ id: 1, login: 'a' }]);
    expect(events.filter((e) => e.path === '/api/users').map((e) => e.status)).toEqual(['error', 200]);
    expect(JSON.stringify(events)).not.toContain('secret.person'); // no personal data in the hook
  });

  it('retries after a timeout', async () => {
    // Prepare
    scriptApi([{ hang: true }, { status: 200, body: [] }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json', requestTimeoutMs: 150 }));
    const t0 = performance.now();
    // Act
    const res = await http.request('GET', '/api/users');
    // Assess
    expect(res.status).toBe(200);
    expect(apiCalls()).toHaveLength(2);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('times out the token request too', async () => {
    // Prepare
    scriptApi([{ status: 200, body: [] }], (i) => (i === 0 ? { hang: true } : tokenStep()));
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json', requestTimeoutMs: 150 }));
    // Act
    const res = await http.request('GET', '/api/users');
    // Assess
    expect(res.status).toBe(200);
    expect(tokenCalls()).toHaveLength(2);
  });

  it.each([400, 404, 422])('does not retry a %i and returns Coupa\'s messages verbatim', async (status) => {
    // Prepare
    scriptApi([{ status, body: { errors: { user: ['Email has already been taken'] }, warnings: null } }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json' }));
    // Act
    const error = (await http.request('PUT', '/api/users/5', { body: { email: 'x@example.com' } }).catch((e: unknown) => e)) as CoupaRejectedError;
    // Assess
    expect(error).toBeInstanceOf(CoupaRejectedError);
    expect(error.status).toBe(status);
    expect(error.messages).toEqual(['Email has already been taken']);
    expect(apiCalls()).toHaveLength(1);
  });

  it('asks beforeRetry after an ambiguous failure and ends with its answer', async () => {
    // Prepare
    scriptApi([{ status: 503, body: '' }, { status: 201, body: { id: 9 } }]);
    const http = new CoupaHttp(clientOptions(server.url, {}, { format: 'json' }));
    const reasons: string[] = [];
    // Act
    const res = await http.request('POST', '/api/users', {
      body: { login: 'a' },
      beforeRetry: async (reason) => {
        reasons.push(reason.kind);
        return { status: 201, headers: new Headers(), body: 'settled', text: '' };
      },
    });
    // Assess
    expect(res.body).toBe('settled');
    expect(reasons).toEqual(['server']);
    expect(apiCalls()).toHaveLength(1);
  });
});

describe('OAuthTokenCache', () => {
  it('renews after 20 h at the latest, even when Coupa grants a longer token', async () => {
    // Prepare
    const clock = new FakeClock();
    let calls = 0;
    const cache = new OAuthTokenCache(async () => ({ accessToken: `t${++calls}`, expiresInSeconds: 7 * 24 * 3600 }), clock);
    await cache.get();
    // Act
    clock.advance(20 * 3600 * 1000 - 1);
    const before = await cache.get();
    clock.advance(2);
    const after = await cache.get();
    // Assess
    expect([before, after]).toEqual(['t1', 't2']);
  });

  it('does not drop a token a concurrent caller already renewed', async () => {
    // Prepare
    let calls = 0;
    const cache = new OAuthTokenCache(async () => ({ accessToken: `t${++calls}`, expiresInSeconds: 3600 }), new FakeClock());
    await cache.get();
    cache.invalidate('t1');
    const renewed = await cache.get();
    // Act
    cache.invalidate('t1'); // a late 401 for the old token
    // Assess
    expect(renewed).toBe('t2');
    expect(await cache.get()).toBe('t2');
    expect(calls).toBe(2);
  });
});
