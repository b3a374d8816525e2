/**
 * Where the Coupa client sends credentials: https only (plain http only to loopback, for the
 * emulator), and never along a redirect. Real HTTP against scripted servers on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CoupaAuthError,
  CoupaHttp,
  CoupaRedirectError,
  createDataFileSourceReader,
  createUserDirectory,
} from '../../lambdas/adapters/coupa';
import { clientOptions, startScriptedServer, tokenStep, type ScriptedServer } from './coupa-support';

describe('Coupa URL: https only, plain http only on loopback', () => {
  it.each([
    'http://acme.coupahost.com',
    'http://acme.coupahost.com:80/',
    'http://127.0.0.1.evil.example',
    'http://127.0.0.1@evil.example', // user info before the real host
    'ftp://acme.coupahost.com',
  ])('refuses %s, naming it, for the user directory and the CSV results reader', (url) => {
    // Prepare
    const options = clientOptions(url);
    // Act
    const directory = () => createUserDirectory(options);
    const reader = () => createDataFileSourceReader(options);
    // Assess
    const named = new URL(url).host;
    expect(directory).toThrow(/is refused: credentials go only over https:\/\//);
    expect(directory).toThrow(named);
    expect(reader).toThrow(/is refused/);
  });

  it('names the URL without its user info or query', () => {
    // Prepare
    const options = clientOptions('http://ops:hunter2@acme.coupahost.com/?key=k1');
    // Act
    const error = (() => {
      try {
        new CoupaHttp(options);
      } catch (err) {
        return err as Error;
      }
    })();
    // Assess
    expect(error?.message).toContain('http://acme.coupahost.com');
    expect(error?.message).not.toMatch(/hunter2|k1/);
  });

  it.each(['https://acme.coupahost.com/', 'http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010', 'HTTP://LOCALHOST:4010'])(
    'accepts %s',
    (url) => {
      // Act
      const http = new CoupaHttp(clientOptions(url));
      // Assess
      expect(http.baseUrl).toBe(url.replace(/\/+$/, ''));
    },
  );

  it.each(['https://acme.coupahost.com/api', 'https://acme.coupahost.com/api/', 'https://acme.coupahost.com/api/users'])('refuses %s: the instance URL goes without a path', (url) => {
    // Act / Assess
    expect(() => new CoupaHttp(clientOptions(url))).toThrow(
      `Coupa URL ${url.replace(/\/+$/, '')} is refused: give the instance URL without ${new URL(url).pathname.replace(/\/+$/, '')} (e.g. https://acme.coupahost.com); the sync adds /api and /oauth2 itself`,
    );
  });

  it('says the host does not resolve, after one try, when its name is unknown (ENOTFOUND)', async () => {
    // Prepare: .invalid never resolves (RFC 2606)
    const directory = createUserDirectory(clientOptions('https://acme.invalid', {}, { maxAttempts: 5 }));
    // Act
    const error = (await directory.findByLogins(['x']).then(() => new Error('resolved'), (err: unknown) => err)) as Error;
    // Assess
    expect(error.message).toBe('the host acme.invalid does not resolve (DNS: ENOTFOUND): check the Coupa URL');
  });

  it('says so when the URL cannot be parsed', () => {
    // Act / Assess
    expect(() => new CoupaHttp(clientOptions('acme.coupahost.com'))).toThrow(/"acme.coupahost.com" is not a valid URL/);
  });
});

describe('Coupa redirects: never followed with credentials', () => {
  let coupa: ScriptedServer;
  let elsewhere: ScriptedServer;
  beforeAll(async () => {
    [coupa, elsewhere] = await Promise.all([startScriptedServer(), startScriptedServer()]);
  });
  afterAll(async () => {
    await Promise.all([coupa.close(), elsewhere.close()]);
  });
  afterEach(() => {
    coupa.seen.length = 0;
    elsewhere.seen.length = 0;
  });
  const elsewhereHost = () => new URL(elsewhere.url).host;
  const apiCalls = () => coupa.seen.filter((r) => r.path.startsWith('/api'));

  it.each([301, 302, 303, 307, 308])('an API %i is a CoupaRedirectError naming the status and Location host, sent once', async (status) => {
    // Prepare: the Location carries a token in its query, as a login redirect might
    coupa.script = (req) =>
      req.path === '/oauth2/token' ? tokenStep('tok-1') : { status, headers: { location: `${elsewhere.url}/sso?access_token=leaked-token` } };
    const http = new CoupaHttp(clientOptions(coupa.url, {}, { format: 'json', maxAttempts: 4 }));
    // Act
    const error = (await http.request('GET', '/api/users', { query: { login: 'a' } }).catch((e: unknown) => e)) as Error;
    // Assess
    expect(error).toBeInstanceOf(CoupaRedirectError);
    expect(error).toBeInstanceOf(CoupaAuthError); // the run stops, as with refused credentials
    expect(error.message).toContain(`HTTP ${status}`);
    expect(error.message).toContain(`host ${elsewhereHost()}`);
    expect(error.message).not.toContain('leaked-token');
    expect(apiCalls()).toHaveLength(1);
    expect(elsewhere.seen).toHaveLength(0);
  });

  it('does not re-send the bearer token to a same-host Location', async () => {
    // Prepare: a follower would keep Authorization here (same origin)
    coupa.script = (req) => {
      if (req.path === '/oauth2/token') return tokenStep('tok-1');
      if (req.path === '/moved') return { status: 200, body: [] };
      return { status: 302, headers: { location: '/moved' } };
    };
    const http = new CoupaHttp(clientOptions(coupa.url, {}, { format: 'json' }));
    // Act
    const error = await http.request('GET', '/api/users').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CoupaRedirectError);
    expect((error as Error).message).toContain(`host ${new URL(coupa.url).host}`);
    expect(coupa.seen.filter((r) => r.path === '/moved')).toHaveLength(0);
  });

  it('a 307 on the token request never re-sends the client secret', async () => {
    // Prepare: 307 tells a follower to POST the same form (client_secret included) to the Location
    coupa.script = () => ({ status: 307, headers: { location: `${elsewhere.url}/oauth2/token` } });
    const http = new CoupaHttp(clientOptions(coupa.url, {}, { format: 'json' }));
    // Act
    const error = (await http.request('GET', '/api/users').catch((e: unknown) => e)) as Error;
    // Assess
    expect(error).toBeInstanceOf(CoupaRedirectError);
    expect(error.message).toMatch(/POST \/oauth2\/token with HTTP 307/);
    expect(coupa.seen.map((r) => r.path)).toEqual(['/oauth2/token']);
    expect(elsewhere.seen).toHaveLength(0);
    expect(error.message).not.toContain('test-secret');
  });

  it('a CSO redirect does not carry the API key along', async () => {
    // Prepare
    coupa.script = () => ({ status: 302, headers: { location: `${elsewhere.url}/api/users` } });
    const http = new CoupaHttp(clientOptions(coupa.url, { credentials: { apiKey: 'cso-key' } }, { flavor: 'cso' }));
    // Act
    const error = await http.request('GET', '/api/users').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(CoupaRedirectError);
    expect(elsewhere.seen).toHaveLength(0);
  });

  it('a redirect without a Location says so', async () => {
    // Prepare
    coupa.script = (req) => (req.path === '/oauth2/token' ? tokenStep('tok-1') : { status: 302 });
    const http = new CoupaHttp(clientOptions(coupa.url, {}, { format: 'json' }));
    // Act
    const error = (await http.request('GET', '/api/users').catch((e: unknown) => e)) as Error;
    // Assess
    expect(error.message).toContain('HTTP 302 to no Location header');
  });
});
