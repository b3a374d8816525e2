import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';

/** A CSO user entry with the fields the emulator requires, unique per `n`. */
function csoUser(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: `cso.new${n}`, email: `cso.new${n}@example.com`, 'first-name': 'New', 'last-name': `User${n}`, ...overrides };
}

describe('emulator CSO flavour', () => {
  let emulator: RunningEmulator;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${emulator.url}${path}`, {
      method,
      headers: { 'x-cso-api-key': emulator.credentials.apiKey, accept: 'application/json', 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    emulator = await startEmulator({ flavor: 'cso' });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('refuses a missing or wrong X-CSO-API-KEY (401) and an XML Accept (406)', async () => {
    // Act
    const wrongKey = await call('GET', '/api/users', undefined, { 'x-cso-api-key': 'nope' });
    const xml = await call('GET', '/api/users', undefined, { accept: 'application/xml' });
    // Assess
    expect(wrongKey.status).toBe(401);
    expect(xml.status).toBe(406);
  });

  it('lists {total, users} with 19-digit string ids and no null values', async () => {
    // Act
    const response = await call('GET', '/api/users');
    const text = await response.text();
    // Assess
    const body = JSON.parse(text) as { total: number; users: Array<Record<string, unknown>> };
    expect(response.status).toBe(200);
    expect(body.total).toBe(4);
    expect(body.users.map((u) => u.name)).toContain('cso.leaver');
    expect(body.users.every((u) => typeof u.id === 'string' && /^\d{19}$/.test(u.id as string))).toBe(true);
    expect(text).toContain('"id":"9219595862193003588"');
    expect(text).not.toContain('null');
  });

  it('filters with Coupa operators and pages with limit/offset', async () => {
    // Act
    const contains = (await (await call('GET', '/api/users?name[contains]=leaver')).json()) as { total: number; users: Array<{ name: string }> };
    const page = (await (await call('GET', '/api/users?limit=2&offset=1&order_by=name')).json()) as { total: number; users: Array<{ name: string }> };
    // Assess
    expect(contains.users.map((u) => u.name)).toEqual(['cso.leaver']);
    expect(page.total).toBe(4);
    expect(page.users.map((u) => u.name)).toEqual(['cso.bram', 'cso.carla']);
  });

  it('creates in bulk leniently: bad entries are skipped, added counts and ids list only the good ones', async () => {
    // Prepare: second entry lacks a name, third duplicates an email, fourth has a bad state
    const users = [csoUser(1), { email: 'no.name@example.com' }, csoUser(2, { email: 'anna.berg@example.com' }), csoUser(3, { state: 'active' }), csoUser(4)];
    // Act
    const response = await call('POST', '/api/users', { users });
    const body = (await response.json()) as { added: number; users: Array<{ id: string }>; result: unknown[] };
    // Assess
    expect(response.status).toBe(201);
    expect(body.result).toEqual([{ type: 'api.post.added', description: '2 objects created.' }]);
    expect(body.added).toBe(2);
    expect(body.users).toHaveLength(2);
    const created = await Promise.all(body.users.map(async ({ id }) => (await (await call('GET', `/api/users/${id}`)).json()) as { name: string; state: string }));
    expect(created.map((u) => u.name)).toEqual(['cso.new1', 'cso.new4']);
    expect(created[0].state).toBe('Active');
  });

  it('updates in bulk leniently: unknown ids, bad states and name changes are not counted', async () => {
    // Prepare
    const users = [
      { id: '9219592232917474601', state: 'Disabled' },
      { id: '9219592232917474999', state: 'Disabled' },
      { id: '9219595862193003588', state: 'Gone' },
      { id: '9219595145795283441', name: 'renamed' },
    ];
    // Act
    const response = await call('PUT', '/api/users', { users });
    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: [{ type: 'api.put.updated', description: '1 objects updated.' }], updated: 1 });
    const state = Object.fromEntries(emulator.users().map((u) => [u.name, u.state]));
    expect(state).toMatchObject({ 'cso.leaver': 'Disabled', 'cso.anna': 'Active', 'cso.bram': 'Active' });
    expect(emulator.users().some((u) => u.name === 'renamed')).toBe(false);
  });

  it('updates one user by id, and refuses an immutable email change there with 400', async () => {
    // Act
    const ok = await call('PUT', '/api/users/9219592232917474526', { 'last-name': 'Dekker-Smit', state: 'Blocked' });
    const refused = await call('PUT', '/api/users/9219592232917474526', { email: 'other@example.com' });
    const missing = await call('GET', '/api/users/9219592232917470000');
    // Assess
    expect(ok.status).toBe(200);
    expect(emulator.users().find((u) => u.id === '9219592232917474526')).toMatchObject({ 'last-name': 'Dekker-Smit', state: 'Blocked', email: 'carla.dekker@example.com' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ errors: { user: ['email cannot be changed once set'] } });
    expect(missing.status).toBe(404);
  });
});
