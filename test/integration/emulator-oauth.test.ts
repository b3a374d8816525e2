import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { coreClient, fetchToken } from './emulator-helpers';

function tokenRequest(emulator: RunningEmulator, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${emulator.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
}

describe('emulator OAuth client credentials', () => {
  let emulator: RunningEmulator;
  let shortLived: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ scopes: ['core.user.read', 'core.user.write', 'core.integration.read'] });
    shortLived = await startEmulator({ tokenTtlSeconds: 0 });
  });
  afterAll(async () => {
    await emulator.close();
    await shortLived.close();
  });

  it('issues a bearer token for the right client with the requested scopes', async () => {
    // Prepare
    const form = { grant_type: 'client_credentials', client_id: 'coupa-sync-demo', client_secret: 'demo-secret', scope: 'core.user.read' };
    // Act
    const response = await tokenRequest(emulator, form);
    const body = (await response.json()) as Record<string, unknown>;
    // Assess
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 86399, scope: 'core.user.read' });
    expect(String(body.access_token).split('.')).toHaveLength(3);
  });

  it('accepts the client in HTTP Basic instead of the form', async () => {
    // Prepare
    const basic = Buffer.from('coupa-sync-demo:demo-secret').toString('base64');
    // Act
    const response = await tokenRequest(emulator, { grant_type: 'client_credentials', scope: 'core.user.read' }, { authorization: `Basic ${basic}` });
    // Assess
    expect(response.status).toBe(200);
  });

  it('answers 401 invalid_client for a wrong secret', async () => {
    // Act
    const response = await tokenRequest(emulator, { grant_type: 'client_credentials', client_id: 'coupa-sync-demo', client_secret: 'nope' });
    // Assess
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client' });
  });

  it('answers 400 invalid_scope for a scope the client was not granted', async () => {
    // Act
    const response = await tokenRequest(emulator, {
      grant_type: 'client_credentials', client_id: 'coupa-sync-demo', client_secret: 'demo-secret', scope: 'core.user.read core.invoice.write',
    });
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'invalid_scope' });
  });

  it('refuses API calls without a token or with an unknown one (401), case-insensitive "bearer" works', async () => {
    // Prepare
    const token = await fetchToken(emulator, 'core.user.read');
    // Act
    const missing = await fetch(`${emulator.url}/api/users`, { headers: { accept: 'application/json' } });
    const unknown = await fetch(`${emulator.url}/api/users`, { headers: { accept: 'application/json', authorization: 'Bearer forged' } });
    const lowercase = await fetch(`${emulator.url}/api/users`, { headers: { accept: 'application/json', authorization: `bearer ${token}` } });
    // Assess
    expect(missing.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(lowercase.status).toBe(200);
  });

  it('answers 403 when the token lacks the scope of the call', async () => {
    // Prepare
    const client = coreClient(emulator, await fetchToken(emulator, 'core.user.read'));
    // Act
    const write = await client.sendJson('POST', '/api/users', { login: 'x.y', email: 'x@example.com', firstname: 'X', lastname: 'Y' });
    const sources = await client.getJson('/api/data_file_sources');
    // Assess
    expect(write.status).toBe(403);
    expect(sources.status).toBe(403);
    expect(emulator.users().some((u) => u.login === 'x.y')).toBe(false);
  });

  it('answers 401 once the token has expired', async () => {
    // Prepare: this emulator issues tokens that live 0 s
    const token = await fetchToken(shortLived, 'core.user.read');
    // Act
    const response = await coreClient(shortLived, token).getJson('/api/users');
    // Assess
    expect(response.status).toBe(401);
  });

  it('logs token calls and API calls with their status', async () => {
    // Prepare
    emulator.resetLog();
    // Act
    await tokenRequest(emulator, { grant_type: 'client_credentials', client_id: 'bad', client_secret: 'bad' });
    await fetch(`${emulator.url}/api/users?login=USER_TEST`);
    // Assess
    expect(emulator.requests.map(({ method, path, query, status }) => ({ method, path, query, status }))).toEqual([
      { method: 'POST', path: '/oauth2/token', query: '', status: 401 },
      { method: 'GET', path: '/api/users', query: 'login=USER_TEST', status: 401 },
    ]);
  });
});
