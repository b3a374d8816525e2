import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator, type SeedUser } from '../../emulator/server';
import { coreClient, fetchToken, xmlErrors, xmlParser } from './emulator-helpers';

const playbookXml = readFileSync(new URL('../fixtures/payload-playbook-users.xml', import.meta.url), 'utf8');

/** Seed users with predictable values for the operator tests. */
function operatorSeed(): SeedUser[] {
  const user = (id: number, login: string, extra: Partial<SeedUser>): SeedUser => ({
    id, login, email: `${login}@example.com`, firstname: login.split('.')[0], lastname: 'Tester', active: true, ...extra,
  });
  return [
    user(1, 'alice.a', { 'employee-number': 'E1', 'updated-at': '2024-01-01T00:00:00Z' }),
    user(2, 'bob.b', { 'employee-number': 'E2', active: false, manager: 'alice.a', 'updated-at': '2024-02-01T00:00:00Z' }),
    user(3, 'carol.c', { 'employee-number': '', manager: 'alice.a', 'updated-at': '2024-03-01T00:00:00Z' }),
    user(4, 'dave.d', { 'employee-number': 'E4', 'sso-identifier': 'dave@idp', 'updated-at': '2024-04-01T00:00:00Z' }),
  ];
}

/** 120 users for paging. */
function manyUsers(count: number): SeedUser[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i + 1, login: `page.user${String(i + 1).padStart(3, '0')}`, email: `p${i + 1}@example.com`, firstname: 'Page', lastname: `User${i + 1}`,
  }));
}

describe('emulator core users: reads', () => {
  let demo: RunningEmulator;
  let operators: RunningEmulator;
  let paging: RunningEmulator;
  let demoClient: ReturnType<typeof coreClient>;
  let opClient: ReturnType<typeof coreClient>;
  let pageClient: ReturnType<typeof coreClient>;

  beforeAll(async () => {
    [demo, operators, paging] = await Promise.all([
      startEmulator(),
      startEmulator({ seed: operatorSeed() }),
      startEmulator({ seed: manyUsers(120) }),
    ]);
    demoClient = coreClient(demo, await fetchToken(demo));
    opClient = coreClient(operators, await fetchToken(operators));
    pageClient = coreClient(paging, await fetchToken(paging));
  });
  afterAll(async () => {
    await Promise.all([demo.close(), operators.close(), paging.close()]);
  });

  it('answers GET ?login=USER_TEST in XML element for element like the playbook payload', async () => {
    // Act
    const response = await demoClient.getXml('/api/users?login=USER_TEST');
    const text = await response.text();
    // Assess: same declaration, same elements in the same order, same attributes and texts
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/xml/);
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    const actual = xmlParser.parse(text).users;
    const expected = xmlParser.parse(playbookXml).users;
    expect(actual['@_type']).toBe('array');
    expect(Object.keys(actual.user[0])).toEqual(Object.keys(expected.user[0]));
    expect(actual).toEqual(expected);
    expect(text).toContain('<employee-number />');
    expect(text).toContain('<roles type="array" />');
  });

  it('answers JSON as a bare array of hyphenated objects, one user as a bare object, manager as {id, login}', async () => {
    // Act
    const list = await demoClient.getJson('/api/users?login=leaver.lee');
    const one = await demoClient.getJson('/api/users/281');
    // Assess
    const users = (await list.json()) as Array<Record<string, unknown>>;
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ id: 283, login: 'leaver.lee', 'employee-number': 'E1002', active: true, manager: { id: 282, login: 'mgr.jones' } });
    const user = (await one.json()) as Record<string, unknown>;
    expect(user).toMatchObject({ id: 281, login: 'USER_TEST', 'purchasing-user': true, 'employee-number': '', 'phone-work': null, roles: [] });
  });

  it('renders a manager in XML as <manager><id type="integer"/><login/></manager>', async () => {
    // Act
    const text = await (await demoClient.getXml('/api/users/284')).text();
    // Assess
    const user = xmlParser.parse(text).user[0];
    expect(user.manager).toEqual({ id: { '#text': '282', '@_type': 'integer' }, login: 'mgr.jones' });
  });

  it('answers a query that matches nothing with XML 404 and JSON []', async () => {
    // Act
    const asXml = await demoClient.getXml('/api/users?login=nobody');
    const asJson = await demoClient.getJson('/api/users?login=nobody');
    // Assess
    expect(asXml.status).toBe(404);
    expect(xmlErrors(await asXml.text())).toEqual(['No results match your search criteria.']);
    expect(asJson.status).toBe(200);
    expect(await asJson.json()).toEqual([]);
  });

  it('answers 404 with an error body for an unknown id', async () => {
    // Act
    const asJson = await demoClient.getJson('/api/users/99999');
    const asXml = await demoClient.getXml('/api/users/99999');
    // Assess
    expect(asJson.status).toBe(404);
    expect(await asJson.json()).toEqual({ errors: { user: ["Couldn't find User with 'id'=99999"] } });
    expect(asXml.status).toBe(404);
    expect(xmlErrors(await asXml.text())).toEqual(["Couldn't find User with 'id'=99999"]);
  });

  const cases: Array<[string, string[]]> = [
    ['login=ALICE.A', ['alice.a']],
    ['email=BOB.B@example.com', ['bob.b']],
    ['login=alice.a&active=false', []],
    ['login[in]=dave.d,ALICE.A&order_by=id', ['alice.a', 'dave.d']],
    ['employee_number=E2', ['bob.b']],
    ['sso_identifier=dave@idp', ['dave.d']],
    ['manager[login]=alice.a', ['bob.b', 'carol.c']],
    ['login[in]=alice.a,dave.d,ghost', ['alice.a', 'dave.d']],
    ['login[not_in]=alice.a,dave.d', ['bob.b', 'carol.c']],
    ['login[not_eq]=alice.a', ['bob.b', 'carol.c', 'dave.d']],
    ['email[contains]=ob.b@', ['bob.b']],
    ['login[starts_with]=ca', ['carol.c']],
    ['email[ends_with]=d@example.com', ['dave.d']],
    ['id[gt]=2', ['carol.c', 'dave.d']],
    ['id[gt_or_eq]=2', ['bob.b', 'carol.c', 'dave.d']],
    ['id[lt]=2', ['alice.a']],
    ['id[lt_or_eq]=2', ['alice.a', 'bob.b']],
    ['updated_at[gt]=2024-02-01T00:00:00Z', ['carol.c', 'dave.d']],
    ['updated_at[gt_or_eq]=2024-02-01&updated_at[lt]=2024-04-01', ['bob.b', 'carol.c']],
    ['employee_number[blank]=true', ['carol.c']],
    ['employee_number[blank]=false', ['alice.a', 'bob.b', 'dave.d']],
    ['status=active', ['alice.a', 'carol.c', 'dave.d']],
    ['status=inactive', ['bob.b']],
    ['active=false', ['bob.b']],
    ['active=true&manager[login]=alice.a', ['carol.c']],
    ['order_by=login&dir=desc', ['dave.d', 'carol.c', 'bob.b', 'alice.a']],
  ];
  it.each(cases)('filters %s', async (query, expected) => {
    // Act
    const response = await opClient.getJson(`/api/users?${query}`);
    // Assess
    expect(response.status).toBe(200);
    const logins = ((await response.json()) as Array<{ login: string }>).map((u) => u.login);
    expect(logins).toEqual(expected);
  });

  it('answers 400 for a query attribute that is no user element', async () => {
    // Act
    const response = await opClient.getJson('/api/users?logn=alice.a');
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: { user: ['Unknown attribute: logn'] } });
  });

  it('pages with limit/offset and never returns more than 50', async () => {
    // Act
    const defaultPage = (await (await pageClient.getJson('/api/users')).json()) as Array<{ id: number }>;
    const overLimit = (await (await pageClient.getJson('/api/users?limit=500')).json()) as Array<{ id: number }>;
    const third = (await (await pageClient.getJson('/api/users?offset=100')).json()) as Array<{ id: number }>;
    const small = (await (await pageClient.getJson('/api/users?limit=5&offset=50')).json()) as Array<{ id: number }>;
    // Assess
    expect(defaultPage).toHaveLength(50);
    expect(defaultPage[0].id).toBe(1);
    expect(overLimit).toHaveLength(50);
    expect(third.map((u) => u.id)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
    expect(small.map((u) => u.id)).toEqual([51, 52, 53, 54, 55]);
  });

  it('returns only the elements named by fields, nested associations included, in JSON and XML', async () => {
    // Prepare
    const fields = encodeURIComponent('["id","login",{"manager":["login"]}]');
    // Act
    const asJson = (await (await demoClient.getJson(`/api/users?login=leaver.lee&fields=${fields}`)).json()) as unknown[];
    const asXml = await (await demoClient.getXml(`/api/users?login=leaver.lee&fields=${fields}`)).text();
    // Assess
    expect(asJson).toEqual([{ id: 283, login: 'leaver.lee', manager: { login: 'mgr.jones' } }]);
    expect(xmlParser.parse(asXml).users.user[0]).toEqual({ id: { '#text': '283', '@_type': 'integer' }, login: 'leaver.lee', manager: { login: 'mgr.jones' } });
  });

  it('answers 400 for a malformed fields parameter', async () => {
    // Act
    const response = await demoClient.getJson('/api/users?fields=%5Bid');
    // Assess
    expect(response.status).toBe(400);
  });

  it('returns only ids with return_object=limited', async () => {
    // Act
    const users = await (await demoClient.getJson('/api/users?return_object=limited&login[in]=USER_TEST,mgr.jones')).json();
    // Assess
    expect(users).toEqual([{ id: 281 }, { id: 282 }]);
  });

  it('dumps the state as the JSON API shows it', () => {
    // Act
    const users = demo.users();
    // Assess
    expect(users.map((u) => u.id)).toEqual([281, 282, 283, 284, 285]);
    expect(users.find((u) => u.login === 'coupa.integration')).toMatchObject({ 'api-user': true, active: true });
  });
});
