import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { coreClient, fetchToken, newUser, xmlErrors, xmlParser } from './emulator-helpers';

describe('emulator core users: create and update', () => {
  let emulator: RunningEmulator;
  let client: ReturnType<typeof coreClient>;
  let token: string;

  beforeAll(async () => {
    emulator = await startEmulator();
    token = await fetchToken(emulator);
    client = coreClient(emulator, token);
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('creates a user from JSON: 201, the full user, an id from 1000 up, manager resolved by login', async () => {
    // Act
    const response = await client.sendJson('POST', '/api/users', newUser(1, { manager: { login: 'mgr.jones' }, 'purchasing-user': true, 'default-currency': { code: 'EUR' } }));
    // Assess
    expect(response.status).toBe(201);
    const user = (await response.json()) as Record<string, unknown>;
    expect(user.id).toBeGreaterThanOrEqual(1000);
    expect(user).toMatchObject({ login: 'test.user1', active: true, 'purchasing-user': true, manager: { id: 282, login: 'mgr.jones' }, 'default-currency': { code: 'EUR' } });
    expect(emulator.users().some((u) => u.login === 'test.user1')).toBe(true);
  });

  it('creates a user from XML with plain-text and typed booleans and answers in XML', async () => {
    // Prepare
    const body = '<?xml version="1.0" encoding="UTF-8"?><user><login>xml.user</login><email>xml.user@example.com</email>' +
      '<firstname>Xml</firstname><lastname>User</lastname><expense-user>true</expense-user>' +
      '<purchasing-user type="boolean">true</purchasing-user><active>false</active><manager><login>mgr.jones</login></manager></user>';
    // Act
    const response = await client.sendXml('POST', '/api/users', body);
    // Assess
    expect(response.status).toBe(201);
    const user = xmlParser.parse(await response.text()).user[0];
    expect(user['expense-user']).toEqual({ '#text': 'true', '@_type': 'boolean' });
    expect(user['purchasing-user']).toEqual({ '#text': 'true', '@_type': 'boolean' });
    expect(user.active).toEqual({ '#text': 'false', '@_type': 'boolean' });
    expect(user.manager.login).toBe('mgr.jones');
  });

  it('reports every validation message at once, in JSON', async () => {
    // Prepare: login taken, bad email, no names, unknown manager, bad method
    const body = { login: 'USER_TEST', email: 'not-an-email', manager: { login: 'ghost' }, 'authentication-method': 'kerberos' };
    // Act
    const response = await client.sendJson('POST', '/api/users', body);
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: {
        user: [
          'Login has already been taken',
          'Email is invalid',
          "First Name can't be blank",
          "Last Name can't be blank",
          'Manager is invalid',
          'Authentication method is not included in the list',
        ],
      },
    });
  });

  it('reports validation messages in XML, uniqueness ones as CDATA', async () => {
    // Prepare
    const body = '<user><login>x</login><email>mgr.jones@example.com</email><firstname>' + 'F'.repeat(41) +
      '</firstname><lastname>L</lastname><employee-number>E1001</employee-number></user>';
    // Act
    const response = await client.sendXml('POST', '/api/users', body);
    const text = await response.text();
    // Assess
    expect(response.status).toBe(400);
    expect(text).toContain('<error><![CDATA[Email has already been taken]]></error>');
    expect(xmlErrors(text)).toEqual([
      'Login is too short (minimum is 2 characters)',
      'Email has already been taken',
      'First Name is too long (maximum is 40 characters)',
      'Employee number has already been taken',
    ]);
  });

  it('reports blank required elements with Coupa wording', async () => {
    // Act
    const response = await client.sendJson('POST', '/api/users', {});
    // Assess
    expect(await response.json()).toEqual({
      errors: { user: ["Login can't be blank", "Email can't be blank", "First Name can't be blank", "Last Name can't be blank"] },
    });
  });

  it('updates only the elements sent (partial PUT) and never the id', async () => {
    // Prepare
    const created = (await (await client.sendJson('POST', '/api/users', newUser(2, { 'expense-user': true }))).json()) as { id: number };
    // Act
    const response = await client.sendJson('PUT', `/api/users/${created.id}`, { lastname: 'Renamed', id: 5 });
    // Assess
    expect(response.status).toBe(200);
    const user = (await response.json()) as Record<string, unknown>;
    expect(user).toMatchObject({ id: created.id, lastname: 'Renamed', firstname: 'Test', 'expense-user': true, email: 'test.user2@example.com' });
  });

  it('deactivates with the playbook XML <active>false</active>', async () => {
    // Act
    const response = await client.sendXml('PUT', '/api/users/283', '<?xml version="1.0" encoding="UTF-8"?>\n<user>\n  <active>false</active>\n</user>');
    // Assess
    expect(response.status).toBe(200);
    expect(emulator.users().find((u) => u.id === 283)).toMatchObject({ active: false, login: 'leaver.lee' });
  });

  it('replaces the whole roles set when roles are sent, and clears it with <roles></roles>', async () => {
    // Prepare
    const created = (await (await client.sendJson('POST', '/api/users', newUser(3, { roles: [{ name: 'Buyer' }, { name: 'Approver' }] }))).json()) as { id: number; roles: Array<{ name: string }> };
    // Act
    const replaced = (await (await client.sendJson('PUT', `/api/users/${created.id}`, { roles: [{ name: 'Expense User' }] })).json()) as { roles: Array<{ name: string }> };
    const cleared = await client.sendXml('PUT', `/api/users/${created.id}`, '<user><roles></roles></user>');
    // Assess
    expect(created.roles.map((r) => r.name)).toEqual(['Buyer', 'Approver']);
    expect(replaced.roles.map((r) => r.name)).toEqual(['Expense User']);
    expect(await cleared.text()).toContain('<roles type="array" />');
  });

  it('honours return_object=none and limited on POST and PUT', async () => {
    // Act
    const none = await client.sendJson('POST', '/api/users?return_object=none', newUser(4));
    const limited = await client.sendJson('PUT', '/api/users/284?return_object=limited', { firstname: 'Samuel' });
    // Assess
    expect(none.status).toBe(201);
    expect(await none.text()).toBe('');
    expect(limited.status).toBe(200);
    expect(await limited.json()).toEqual({ id: 284 });
    expect(emulator.users().find((u) => u.id === 284)?.firstname).toBe('Samuel');
  });

  it('refuses a Content-Type that differs from Accept (400) and an unknown id on PUT (404)', async () => {
    // Act
    const mismatch = await fetch(`${emulator.url}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/xml' },
      body: '<user><login>mixed.up</login></user>',
    });
    const unknown = await client.sendJson('PUT', '/api/users/424242', { firstname: 'Nobody' });
    // Assess
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toEqual({ errors: { user: ['Content-Type and Accept must name the same format (both XML or both JSON)'] } });
    expect(unknown.status).toBe(404);
    expect(emulator.users().some((u) => u.login === 'mixed.up')).toBe(false);
  });

  it('refuses a PUT that would take another user\'s login (400) and leaves the user unchanged', async () => {
    // Prepare
    const before = emulator.users().find((u) => u.id === 284);
    // Act
    const response = await client.sendJson('PUT', '/api/users/284', { login: 'mgr.jones', firstname: 'Changed' });
    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: { user: ['Login has already been taken'] } });
    expect(emulator.users().find((u) => u.id === 284)).toEqual(before);
  });
});
