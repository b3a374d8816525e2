import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CoreUserDirectory,
  CoupaHttp,
  CoupaRejectedError,
  CsoUserDirectory,
  chunkValues,
  createDataFileSourceReader,
} from '../../lambdas/adapters/coupa';
import { clientOptions, startScriptedServer, tokenStep, type ScriptedServer, type Step, type SeenRequest } from './coupa-support';

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

/** Test data factory: a Core JSON user as Coupa shows it. */
function coreUser(id: number, login: string, extra: Record<string, unknown> = {}) {
  return { id, login, email: `${login}@example.com`, firstname: 'Test', lastname: 'User', active: true, ...extra };
}

function route(api: (req: SeenRequest) => Step) {
  server.script = (req) => (req.path === '/oauth2/token' ? tokenStep() : api(req));
}
const apiCalls = () => server.seen.filter((r) => r.path.startsWith('/api'));
const core = (config = {}) => new CoreUserDirectory(new CoupaHttp(clientOptions(server.url, {}, { format: 'json', ...config })));

describe('chunkValues', () => {
  it('splits by count and by encoded length', () => {
    // Prepare
    const values = Array.from({ length: 7 }, (_, i) => `v${i}`);
    const long = ['a'.repeat(30), 'b'.repeat(30), 'c'.repeat(30)];
    // Act / Assess
    expect(chunkValues(values, 3, 1000).map((c) => c.length)).toEqual([3, 3, 1]);
    expect(chunkValues(long, 50, 61).map((c) => c.length)).toEqual([2, 1]); // 30 + 1 + 30 = 61
  });
});

describe('CoreUserDirectory lookups', () => {
  it('sends login[in] with sort, limit and the fields filter, and matches logins exactly', async () => {
    // Prepare: Coupa may match case-insensitively; JDOE is not jdoe
    route(() => ({ status: 200, body: [coreUser(1, 'JDOE'), coreUser(2, 'ann')] }));
    // Act
    const found = await core().findByLogins(['jdoe', 'ann']);
    // Assess
    expect([...found.keys()]).toEqual(['ann']);
    const q = apiCalls()[0].query;
    expect(q.get('login[in]')).toBe('jdoe,ann');
    expect(q.get('order_by')).toBe('id');
    expect(q.get('dir')).toBe('asc');
    expect(q.get('limit')).toBe('50');
    expect(JSON.parse(q.get('fields')!)).toContain('active');
    expect(apiCalls()[0].url).toContain('login[in]=jdoe,ann');
  });

  it('leaves out the fields filter when switched off', async () => {
    // Prepare
    route(() => ({ status: 200, body: [] }));
    // Act
    await core({ useFieldsFilter: false }).findByLogins(['a']);
    // Assess
    expect(apiCalls()[0].query.has('fields')).toBe(false);
  });

  it('keeps each query under the URL bound by splitting long chunks', async () => {
    // Prepare
    route(() => ({ status: 200, body: [] }));
    const logins = Array.from({ length: 50 }, (_, i) => `${'x'.repeat(150)}${i}`);
    // Act
    await core().findByLogins(logins);
    // Assess
    const lists = apiCalls().map((r) => r.url.split('login[in]=')[1].split('&')[0]);
    expect(lists.length).toBeGreaterThan(1);
    for (const list of lists) expect(list.length).toBeLessThanOrEqual(4000);
    expect(lists.flatMap((l) => l.split(',')).length).toBe(50);
  });

  it('pages with offset while a full page leaves logins unfound', async () => {
    // Prepare: case-insensitive matches fill page 1; the exact login is on page 2
    const page1 = Array.from({ length: 50 }, (_, i) => coreUser(i + 1, `Other${i}`));
    route((req) => ({ status: 200, body: req.query.get('offset') === '50' ? [coreUser(99, 'wanted')] : page1 }));
    // Act
    const found = await core().findByLogins(['wanted']);
    // Assess
    expect(found.get('wanted')?.id).toBe('99');
    expect(apiCalls().map((r) => r.query.get('offset'))).toEqual([null, '50']);
  });

  it('treats the XML 404 "No results match" as nothing found', async () => {
    // Prepare
    route(() => ({ status: 404, body: '<?xml version="1.0"?><errors><error>No results match your search criteria.</error></errors>' }));
    // Act
    const found = await core({ format: 'xml' }).findByLogins(['ghost']);
    // Assess
    expect(found.size).toBe(0);
  });

  it('returns nothing for fallback matching when matchFallback is none', async () => {
    // Act
    const found = await core().findByFallback([{ login: 'a', employeeNumber: 'E1' }]);
    // Assess
    expect(found.size).toBe(0);
    expect(apiCalls()).toHaveLength(0);
  });

  it('matches by e-mail and leaves a value shared by two HR records unmatched', async () => {
    // Prepare
    route(() => ({ status: 200, body: [coreUser(5, 'old.login', { email: 'one@example.com' }), coreUser(6, 'x', { email: 'shared@example.com' })] }));
    // Act
    const found = await core({ matchFallback: 'email' }).findByFallback([
      { login: 'new.login', email: 'one@example.com' },
      { login: 'twin.a', email: 'shared@example.com' },
      { login: 'twin.b', email: 'shared@example.com' },
    ]);
    // Assess
    expect([...found.entries()].map(([k, u]) => [k, u.login])).toEqual([['new.login', 'old.login']]);
    expect(apiCalls()[0].query.get('email[in]')).toBe('one@example.com,shared@example.com');
  });
});

describe('CoreUserDirectory listing every user', () => {
  it('starts at fromOffset and pages on from there in id order (a read continued where it stopped)', async () => {
    // Prepare: 120 users; the listing asked to start 57 in.
    const users = Array.from({ length: 120 }, (_, i) => coreUser(i + 1, `user.${i + 1}`));
    route((req) => {
      const offset = Number(req.query.get('offset') ?? 0);
      return { status: 200, body: users.slice(offset, offset + Number(req.query.get('limit'))) };
    });
    // Act
    const pages: string[][] = [];
    for await (const page of core({ maxInFlight: 1 }).listUsers({ fromOffset: 57 })) pages.push(page.map((u) => u.id));
    // Assess
    expect(apiCalls().map((r) => r.query.get('offset'))).toEqual(['57', '107']);
    expect(apiCalls().every((r) => r.query.get('order_by') === 'id' && r.query.get('dir') === 'asc')).toBe(true);
    expect(pages.map((p) => p.length)).toEqual([50, 13]);
    expect(pages[0][0]).toBe('58');
    expect(pages[1].at(-1)).toBe('120');
  });
});

describe('CoreUserDirectory writes', () => {
  it('after a create timed out, finds the user that did land and does not POST twice', async () => {
    // Prepare
    let posts = 0;
    route((req) => {
      if (req.method === 'POST') {
        posts++;
        return { hang: true };
      }
      return { status: 200, body: [coreUser(1001, 'new.hire')] };
    });
    const directory = core({ requestTimeoutMs: 200 });
    // Act
    const user = await directory.create('new.hire', { email: 'new.hire@example.com', firstname: 'New', lastname: 'Hire' });
    // Assess
    expect(user.id).toBe('1001');
    expect(posts).toBe(1);
  });

  it('rebuilds the user from what it sent when Coupa answers only the id (return_object=limited)', async () => {
    // Prepare
    route(() => ({ status: 201, body: { id: 77 } }));
    // Act
    const user = await core().create('lim', { email: 'lim@example.com', firstname: 'L', lastname: 'M', manager: 'boss' });
    // Assess
    expect(user).toEqual({ id: '77', login: 'lim', fields: { email: 'lim@example.com', firstname: 'L', lastname: 'M', manager: 'boss' } });
  });

  it('names a user gone from Coupa on a 404 PUT', async () => {
    // Prepare
    route(() => ({ status: 404, body: { errors: { user: ["Couldn't find User with 'id'=5"] } } }));
    // Act
    const error = (await core().update('5', 'gone', { active: false }).catch((e: unknown) => e)) as CoupaRejectedError;
    // Assess
    expect(error).toBeInstanceOf(CoupaRejectedError);
    expect(error.messages).toEqual(['User 5 no longer exists in Coupa (404)']);
    expect(apiCalls()).toHaveLength(1);
  });

  it('surfaces an SSO id conflict verbatim', async () => {
    // Prepare
    route(() => ({ status: 400, body: { errors: { user: ['Sso identifier has already been taken'] }, warnings: null } }));
    // Act
    const error = (await core().update('5', 'x', { 'sso-identifier': 'dup' }).catch((e: unknown) => e)) as CoupaRejectedError;
    // Assess
    expect(error.messages).toEqual(['Sso identifier has already been taken']);
  });
});

describe('CsoUserDirectory', () => {
  const cso = () =>
    new CsoUserDirectory(new CoupaHttp(clientOptions(server.url, { credentials: { apiKey: 'k' } }, { flavor: 'cso', csoDeactivatedState: 'Blocked' })));

  it('pages name[in] lookups with limit 250 and keeps 19-digit ids exact', async () => {
    // Prepare
    route(() => ({ status: 200, body: '{"total":1,"users":[{"id":9219595862193003588,"name":"a","state":"Removed"}]}' }));
    // Act
    const found = await cso().findByLogins(['a']);
    // Assess
    expect(found.get('a')).toEqual({ id: '9219595862193003588', login: 'a', fields: { active: false } });
    expect(apiCalls()[0].query.get('name[in]')).toBe('a');
    expect(apiCalls()[0].query.get('limit')).toBe('250');
  });

  it('deactivates with the configured state and never sends empty values', async () => {
    // Prepare
    route((req) =>
      req.method === 'PUT'
        ? { status: 200, body: { result: [], updated: 1 } }
        : { status: 200, body: { total: 1, users: [{ id: '9219595862193003588', name: 'a', state: 'Blocked' }] } },
    );
    // Act
    const user = await cso().update('9219595862193003588', 'a', { active: false, lastname: '', email: null });
    // Assess
    const put = apiCalls().find((r) => r.method === 'PUT')!;
    expect(put.path).toBe('/api/users/9219595862193003588');
    expect(JSON.parse(put.body)).toEqual({ state: 'Blocked' });
    expect(user.fields.active).toBe(false);
  });

  it('throws when CSO did not apply a single update', async () => {
    // Prepare
    route((req) =>
      req.method === 'PUT'
        ? { status: 200, body: { result: [], updated: 0 } }
        : { status: 200, body: { total: 1, users: [{ id: '1', name: 'a', state: 'Active', 'last-name': 'Old' }] } },
    );
    // Act
    const error = (await cso().update('1', 'a', { lastname: 'New' }).catch((e: unknown) => e)) as CoupaRejectedError;
    // Assess
    expect(error).toBeInstanceOf(CoupaRejectedError);
    expect(error.messages).toEqual(['CSO did not apply the change to a (sent 1, updated 0)']);
  });
});

describe('DataFileSourceReader', () => {
  const xmlResult = `<?xml version="1.0" encoding="UTF-8"?>
<data-file-sources type="array">
  <data-file-source>
    <id type="integer">12</id>
    <file-file-name>users_20260101_040000Z.csv</file-file-name>
    <status>Done</status>
    <records-created type="integer">1</records-created>
    <records-updated type="integer">3</records-updated>
    <result-text>5 rows processed, creating 1 new rows and updating 3 rows</result-text>
    <upload-errors type="array">
      <upload-error>
        <row type="integer">3</row>
        <field-with-error>Email</field-with-error>
        <value>bad</value>
        <field-errors type="array"><field-error>Email is invalid</field-error></field-errors>
      </upload-error>
    </upload-errors>
  </data-file-source>
</data-file-sources>`;

  it('reads the latest load of a file (XML) with its row errors', async () => {
    // Prepare
    route(() => ({ status: 200, body: xmlResult }));
    const reader = createDataFileSourceReader(clientOptions(server.url, {}, { format: 'xml' }));
    // Act
    const result = await reader.findByFileName('users_20260101_040000Z.csv');
    // Assess
    expect(result).toEqual({
      fileName: 'users_20260101_040000Z.csv',
      status: 'Done',
      recordsCreated: 1,
      recordsUpdated: 3,
      resultText: '5 rows processed, creating 1 new rows and updating 3 rows',
      errors: [{ row: 3, field: 'Email', value: 'bad', messages: ['Email is invalid'] }],
    });
    const q = apiCalls()[0].query;
    expect(Object.fromEntries(q)).toEqual({
      source_for: 'User',
      file_file_name: 'users_20260101_040000Z.csv',
      order_by: 'id',
      dir: 'desc',
      limit: '1',
    });
  });

  it("reads a failed load's result text (JSON), and leaves it out when Coupa gives none", async () => {
    // Prepare
    const failed = { id: 13, 'file-file-name': 'f.csv', status: 'Failed', 'records-created': 0, 'records-updated': 0, 'result-text': 'Invalid header: Logn', 'upload-errors': [] };
    route(() => ({ status: 200, body: [failed] }));
    const reader = createDataFileSourceReader(clientOptions(server.url, {}, { format: 'json' }));
    // Act
    const result = await reader.findByFileName('f.csv');
    route(() => ({ status: 200, body: [{ ...failed, status: 'Loading', 'result-text': null }] }));
    const loading = await reader.findByFileName('f.csv');
    // Assess
    expect(result).toMatchObject({ status: 'Failed', resultText: 'Invalid header: Logn' });
    expect(loading).not.toHaveProperty('resultText');
  });

  it('is undefined while Coupa has not seen the file (JSON [] and XML 404)', async () => {
    // Prepare
    route(() => ({ status: 200, body: [] }));
    const json = createDataFileSourceReader(clientOptions(server.url, {}, { format: 'json' }));
    // Act / Assess
    expect(await json.findByFileName('x.csv')).toBeUndefined();
    route(() => ({ status: 404, body: '<errors><error>No results match your search criteria.</error></errors>' }));
    const xml = createDataFileSourceReader(clientOptions(server.url, {}, { format: 'xml' }));
    expect(await xml.findByFileName('x.csv')).toBeUndefined();
  });

  it('refuses the CSO flavour', () => {
    expect(() => createDataFileSourceReader(clientOptions(server.url, { credentials: { apiKey: 'k' } }, { flavor: 'cso' }))).toThrow(/CSO/);
  });
});
