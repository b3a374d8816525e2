/**
 * The emulator's reference list endpoints over real HTTP: each list in JSON and XML, paged, trimmed
 * with `fields`, filtered, behind core.common.read; a record added at run time appears.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { REFERENCE_LISTS } from '../../emulator/reference-lists';
import { DEFAULT_CATALOGUE } from '../../emulator/store';
import { coreClient, fetchToken, xmlParser } from './emulator-helpers';

describe('emulator reference lists', () => {
  let emulator: RunningEmulator;
  let client: ReturnType<typeof coreClient>;

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: [{ login: 'grouped', email: 'g@example.com', firstname: 'G', lastname: 'U', 'user-groups': ['Night Shift'] }],
      catalogue: { ...DEFAULT_CATALOGUE, departments: Array.from({ length: 60 }, (_, i) => `Dept ${String(i + 1).padStart(2, '0')}`) },
    });
    client = coreClient(emulator, await fetchToken(emulator, 'core.user.read core.common.read'));
  });
  afterAll(() => emulator.close());

  it('serves every list in JSON with ids and natural keys', async () => {
    for (const path of Object.keys(REFERENCE_LISTS)) {
      const response = await client.getJson(`/api/${path}`);
      expect(response.status, path).toBe(200);
      const items = (await response.json()) as Array<Record<string, unknown>>;
      expect(items.length, path).toBeGreaterThan(0);
      expect(typeof items[0].id, path).toBe('number');
    }
    const accounts = (await (await client.getJson('/api/accounts')).json()) as Array<Record<string, unknown>>;
    expect(accounts).toContainEqual(expect.objectContaining({ code: 'EU-100', 'account-type': expect.objectContaining({ name: 'EU Chart' }) }));
    const addresses = (await (await client.getJson('/api/addresses')).json()) as Array<Record<string, unknown>>;
    expect(addresses.map((a) => a['location-code'])).toContain('BER-1');
    const groups = (await (await client.getJson('/api/user_groups')).json()) as Array<Record<string, unknown>>;
    expect(groups.map((g) => g.name)).toEqual(expect.arrayContaining(['Finance Team', 'Night Shift']));
  });

  it('pages by 50 and honours fields', async () => {
    const first = (await (await client.getJson('/api/departments?fields=["name"]')).json()) as Array<Record<string, unknown>>;
    const second = (await (await client.getJson('/api/departments?fields=["name"]&offset=50')).json()) as Array<Record<string, unknown>>;
    expect(first).toHaveLength(50);
    expect(second).toHaveLength(10);
    expect(first[0]).toEqual({ name: 'Dept 01' });
    expect(second.at(-1)).toEqual({ name: 'Dept 60' });
  });

  it('answers XML in Coupa shape, and 404 "No results" for an empty search', async () => {
    const response = await client.getXml('/api/currencies?code=EUR');
    expect(response.status).toBe(200);
    const doc = xmlParser.parse(await response.text()) as { currencies: { '@_type': string; currency: { code: string; id: { '#text': string } } } };
    expect(doc.currencies['@_type']).toBe('array');
    expect(doc.currencies.currency.code).toBe('EUR');
    const none = await client.getXml('/api/legal_entities?name=Nobody%20Ltd');
    expect(none.status).toBe(404);
  });

  it('shows a record added at run time and refuses writes and tokens without core.common.read', async () => {
    expect(((await (await client.getJson('/api/departments?name=Legal')).json()) as unknown[]).length).toBe(0);
    emulator.addReference('departments', 'Legal');
    expect(((await (await client.getJson('/api/departments?name=Legal')).json()) as unknown[]).length).toBe(1);
    expect((await client.sendJson('POST', '/api/departments', { name: 'X' })).status).toBe(405);
    const narrow = coreClient(emulator, await fetchToken(emulator, 'core.user.read'));
    expect((await narrow.getJson('/api/roles')).status).toBe(403);
  });

  it('refuses a default currency the instance does not have, as it refuses a department', async () => {
    const admin = coreClient(emulator, await fetchToken(emulator, 'core.user.read core.user.write'));
    const bad = await admin.sendJson('POST', '/api/users', { login: 'cur.x', email: 'cur.x@example.com', firstname: 'C', lastname: 'X', 'default-currency': { code: 'XYZ' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ errors: { user: ['Default currency is invalid'] } });
  });
});
