import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildCoupaXml,
  csoUserList,
  fromCoupaUser,
  fromCsoUser,
  parseCoupaErrors,
  parseCoupaXml,
  parseJsonKeepingLongIds,
  toCreatePayload,
  toCsoPayload,
  toUpdatePayload,
  userFieldsFilter,
  userList,
} from '../../lambdas/adapters/coupa';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('Coupa XML codec', () => {
  it('reads the playbook <users type="array"> sample with types, nil and empty elements', () => {
    // Prepare
    const xml = fixture('payload-playbook-users.xml');
    // Act
    const users = userList(parseCoupaXml(xml)) as Array<Record<string, unknown>>;
    // Assess
    expect(users).toHaveLength(1);
    const u = users[0];
    expect(u.id).toBe(281);
    expect(u['purchasing-user']).toBe(true);
    expect(u['sourcing-user']).toBe(false);
    expect(u['employee-number']).toBe('');
    expect(u['phone-work']).toBeNull();
    expect(u['authentication-method']).toBe('coupa_credentials');
    expect(u['created-at']).toBe('2016-06-30T07:51:11Z');
    expect(u.roles).toEqual([]);
    expect(u['account-security-type']).toBe(0);
  });

  it('maps the playbook user to a CoupaUser with a string id', () => {
    // Prepare
    const raw = userList(parseCoupaXml(fixture('payload-playbook-users.xml')))[0];
    // Act
    const user = fromCoupaUser(raw);
    // Assess
    expect(user).toEqual({
      id: '281',
      login: 'USER_TEST',
      apiUser: false,
      updatedAt: '2016-07-14T07:53:55Z',
      fields: {
        email: 'user_test_new_email@coupa.com',
        firstname: 'user',
        lastname: 'test new lastname',
        'employee-number': '',
        'phone-work': null,
        'phone-mobile': null,
        'default-account': null,
        'sso-identifier': null,
        'authentication-method': 'coupa_credentials',
        'default-locale': 'en',
        'purchasing-user': true,
        'expense-user': true,
        'sourcing-user': false,
        'inventory-user': false,
        active: true,
        roles: [],
      },
    });
  });

  it('reads roles and content groups as name lists, an empty <roles type="array" /> as []', () => {
    // Prepare
    const xml =
      '<users type="array"><user><id type="integer">7</id><login>a</login>' +
      '<roles type="array"><role><id type="integer">3</id><name>Buyer</name></role><role><id type="integer">1</id><name>User</name></role></roles>' +
      '<content-groups type="array"><content-group><id type="integer">9</id><name>EMEA</name></content-group></content-groups>' +
      '</user><user><id type="integer">8</id><login>b</login><roles type="array" /><content-groups></content-groups></user></users>';
    // Act
    const [first, second] = userList(parseCoupaXml(xml)).map(fromCoupaUser);
    // Assess
    expect(first.fields).toEqual({ roles: ['Buyer', 'User'], 'content-groups': ['EMEA'] });
    expect(second.fields).toEqual({ roles: [], 'content-groups': [] });
  });

  it('writes roles as <roles><role><name>…</name></role></roles>, content groups alike, an empty list as <roles></roles>', () => {
    // Prepare
    const payload = toUpdatePayload({ roles: ['Buyer', 'A & B'], 'content-groups': ['EMEA'] });
    // Act
    const xml = buildCoupaXml('user', payload);
    const cleared = buildCoupaXml('user', toUpdatePayload({ roles: [] }));
    // Assess
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><user><roles><role><name>Buyer</name></role><role><name>A &amp; B</name></role></roles>' +
        '<content-groups><content-group><name>EMEA</name></content-group></content-groups></user>',
    );
    expect(cleared).toBe('<?xml version="1.0" encoding="UTF-8"?><user><roles></roles></user>');
  });

  it('reads <users type="array"> with zero and with many users', () => {
    // Prepare
    const none = '<?xml version="1.0"?><users type="array"></users>';
    const many = '<users type="array"><user><id type="integer">1</id><login>a</login></user><user><id type="integer">2</id><login>b</login></user></users>';
    // Act / Assess
    expect(userList(parseCoupaXml(none))).toEqual([]);
    expect(userList(parseCoupaXml(many)).map((u) => fromCoupaUser(u).login)).toEqual(['a', 'b']);
  });

  it('reads manager and default-currency as their natural keys', () => {
    // Prepare
    const xml =
      '<user><id type="integer">7</id><login>x</login><manager><id type="integer">3</id><login>boss</login></manager><default-currency><id type="integer">1</id><code>EUR</code></default-currency></user>';
    // Act
    const user = fromCoupaUser(userList(parseCoupaXml(xml))[0]);
    // Assess
    expect(user.fields.manager).toBe('boss');
    expect(user.fields['default-currency']).toBe('EUR');
  });

  it('builds <user> with escaped text, boolean text, manager login, currency code and nil for a clear', () => {
    // Prepare
    const payload = toUpdatePayload({ lastname: 'O<Brien & Sons>', active: false, manager: 'boss', 'default-currency': 'EUR', middlename: null });
    // Act
    const xml = buildCoupaXml('user', payload);
    // Assess
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><user><lastname>O&lt;Brien &amp; Sons&gt;</lastname><active>false</active>' +
        '<manager><login>boss</login></manager><default-currency><code>EUR</code></default-currency><middlename nil="true"></middlename></user>',
    );
    const roundTrip = fromCoupaUser(userList(parseCoupaXml(xml))[0]);
    expect(roundTrip.fields).toMatchObject({ lastname: 'O<Brien & Sons>', active: false, manager: 'boss', middlename: null });
  });
});

describe('Coupa JSON payloads', () => {
  it('creates with login and only non-empty fields, hyphenated keys and nested references', () => {
    // Act
    const body = toCreatePayload('jdoe', { email: 'j@example.com', 'employee-number': '', middlename: null, 'purchasing-user': true, manager: 'boss', 'default-currency': 'USD' });
    // Assess
    expect(body).toEqual({ login: 'jdoe', email: 'j@example.com', 'purchasing-user': true, manager: { login: 'boss' }, 'default-currency': { code: 'USD' } });
  });

  it('never sends fields outside the sync field list (read-only or CSO-only elements)', () => {
    // Act
    const body = toUpdatePayload({ active: false, fullname: 'Jane Doe', 'api-user': true, street: 'Main St 1' } as never);
    // Assess
    expect(body).toEqual({ active: false });
  });

  it('sends roles and content groups as [{"name": …}] only when they are in the changes', () => {
    // Act
    const withRoles = toUpdatePayload({ roles: ['Buyer', 'Approver'] });
    const withGroups = toCreatePayload('jdoe', { email: 'j@example.com', 'content-groups': ['Everyone'], roles: [] });
    const without = toUpdatePayload({ lastname: 'Doe' });
    // Assess
    expect(withRoles).toEqual({ roles: [{ name: 'Buyer' }, { name: 'Approver' }] });
    expect(JSON.stringify(withRoles)).toBe('{"roles":[{"name":"Buyer"},{"name":"Approver"}]}');
    expect(withGroups).toEqual({ login: 'jdoe', email: 'j@example.com', 'content-groups': [{ name: 'Everyone' }] });
    expect(without).toEqual({ lastname: 'Doe' });
  });

  it('reads JSON roles [{"id":…,"name":…}] as names', () => {
    // Act
    const user = fromCoupaUser({ id: 5, login: 'a', roles: [{ id: 1, name: 'User' }, { id: 2, name: 'Buyer' }], 'content-groups': null });
    // Assess
    expect(user.fields).toEqual({ roles: ['User', 'Buyer'], 'content-groups': [] });
  });

  it('asks for the sync fields only, with underscored names', () => {
    // Act
    const fields = JSON.parse(userFieldsFilter());
    // Assess
    expect(fields.slice(0, 2)).toEqual(['id', 'login']);
    expect(fields).toContain('employee_number');
    expect(fields).toContainEqual({ manager: ['login'] });
    expect(fields).not.toContain('roles');
    expect(JSON.stringify(fields)).not.toMatch(/roles|content_groups/);
  });

  it('asks for the owned collections only, reduced to their names', () => {
    // Act
    const rolesOnly = JSON.parse(userFieldsFilter(['roles']));
    const both = JSON.parse(userFieldsFilter(['content-groups', 'roles']));
    // Assess
    expect(rolesOnly.slice(-1)).toEqual([{ roles: ['name'] }]);
    expect(rolesOnly).toContainEqual({ default_currency: ['code'] });
    expect(JSON.stringify(rolesOnly)).not.toContain('content_groups');
    expect(both.slice(-2)).toEqual([{ roles: ['name'] }, { content_groups: ['name'] }]);
  });
});

describe('parseCoupaErrors', () => {
  it('reads XML errors, CDATA included', () => {
    expect(parseCoupaErrors(fixture('payload-errors-cdata.xml'), 'application/xml; charset=utf-8')).toEqual([
      'Login has already been taken',
      'Email has already been taken',
    ]);
  });

  it('reads JSON errors with a "warnings": null sibling, inside or beside "errors"', () => {
    expect(parseCoupaErrors(fixture('payload-errors-json.json'), 'application/json')).toEqual([
      "First Name can't be blank",
      "Last Name can't be blank",
    ]);
    expect(parseCoupaErrors('{"errors":{"user":["Email has already been taken"]},"warnings":null}', 'application/json')).toEqual([
      'Email has already been taken',
    ]);
  });

  it('reads the XML "no results" 404 body and an OAuth error', () => {
    expect(parseCoupaErrors('<errors><error>No results match your search criteria.</error></errors>', 'text/xml')).toEqual([
      'No results match your search criteria.',
    ]);
    expect(parseCoupaErrors('{"error":"invalid_client"}', 'application/json')).toEqual(['invalid_client']);
  });

  it('keeps a short plain-text body and drops HTML pages', () => {
    expect(parseCoupaErrors('upstream overloaded', 'text/plain')).toEqual(['upstream overloaded']);
    expect(parseCoupaErrors('<html><body><h1>502 Bad Gateway</h1></body></html>', 'text/html')).toEqual([]);
  });
});

describe('CSO JSON', () => {
  it('reads the reference GET list: 19-digit string ids, states to active', () => {
    // Prepare
    const body = parseJsonKeepingLongIds(fixture('payload-cso-get.json'));
    // Act
    const users = csoUserList(body).map(fromCsoUser);
    // Assess
    expect(users.map((u) => u.id)).toEqual(['9219595862193003588', '9219595145795283441', '9219592232917474526']);
    expect(users[0]).toEqual({
      id: '9219595862193003588',
      login: 'dekke434',
      fields: {
        firstname: 'Alex',
        lastname: 'Example',
        email: 'alex.example@example.com',
        active: true,
        'phone-work': '+310000000001',
        'company-id': '9219592232917474305',
        country: 'Netherlands',
      },
    });
    expect(users[1].fields.active).toBe(false); // Blocked
  });

  it('keeps a bare 19-digit id exact instead of rounding it through a JS number', () => {
    // Act
    const body = parseJsonKeepingLongIds('{"users":[{"id": 9219595862193003588,"name":"a"}],"total":1}') as { users: Array<{ id: unknown }> };
    // Assess
    expect(body.users[0].id).toBe('9219595862193003588');
  });

  it('builds CSO payloads without null or empty values and with the configured deactivated state', () => {
    // Act
    const payload = toCsoPayload({ firstname: 'Ann', lastname: '', email: null, active: false, 'purchasing-user': true }, 'Blocked');
    // Assess
    expect(payload).toEqual({ 'first-name': 'Ann', state: 'Blocked' });
  });
});
