import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { coreClient, fetchToken, xmlParser } from './emulator-helpers';

/** A Coupa-style users CSV: every field double-quoted, CRLF line ends. */
function usersCsv(header: string[], rows: string[][], { bom = false } = {}): string {
  const line = (cells: string[]) => cells.map((c) => `"${c.replace(/"/g, '""')}"`).join(',');
  return `${bom ? '\uFEFF' : ''}${[header, ...rows].map(line).join('\r\n')}\r\n`;
}

const HEADER = ['Login*', 'Email', 'First Name', 'Last Name', 'Status', 'Employee Number', 'Approver Login', 'Purchasing User', 'Expense User'];

describe('emulator CSV user loader and data_file_sources', () => {
  let root: string;
  let incoming: string;
  let emulator: RunningEmulator;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'emulator-loader-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async (context) => {
    incoming = join(root, context.task.id, 'Incoming', 'Users');
    await mkdir(incoming, { recursive: true });
    emulator = await startEmulator({ loader: { incomingDir: incoming } });
    context.onTestFinished(() => emulator.close());
  });

  it('loads good rows, reports bad rows with row/column/value, and archives the file', async () => {
    // Prepare
    const rows = [
      ['new.hire', 'new.hire@example.com', 'New', 'Hire', 'active', 'E2001', 'mgr.jones', 'Yes', 'n'],
      ['leaver.lee', 'lee.leaver@example.com', 'Lee', 'Leaver', 'inactive', 'E1002', '', '', ''],
      ['bad.email', 'not-an-email', 'Bad', 'Email', 'active', '', '', '', ''],
      ['x', 'x@example.com', 'Short', 'Login', 'active', '', 'ghost', '', ''],
      ['flag.row', 'flag-row-at-example', 'Flag', 'Row', 'active', '', '', 'maybe', ''],
      ['status.row', 'status.row@example.com', 'Status', 'Row', 'retired', '', '', '', ''],
    ];
    await writeFile(join(incoming, 'users_20260101_000000Z_.csv'), usersCsv(HEADER, rows, { bom: true }));
    await writeFile(join(incoming, 'users_20260101_000500Z_.csv.part'), 'still uploading');
    // Act
    const [result] = await emulator.processIncoming();
    // Assess
    expect(result).toMatchObject({
      'file-file-name': 'users_20260101_000000Z_.csv', 'source-for': 'User', status: 'Done',
      'records-created': 1, 'records-updated': 1, 'upload-errors-count': 6,
      'result-text': '6 rows processed, creating 1 new rows and updating 1 rows',
    });
    expect(result['upload-errors']).toEqual([
      { row: 4, 'field-with-error': 'Email', value: 'not-an-email', 'field-errors': ['Email is invalid'] },
      { row: 5, 'field-with-error': 'Login*', value: 'x', 'field-errors': ['Login is too short (minimum is 2 characters)'] },
      { row: 5, 'field-with-error': 'Approver Login', value: 'ghost', 'field-errors': ['Manager is invalid'] },
      { row: 6, 'field-with-error': 'Email', value: 'flag-row-at-example', 'field-errors': ['Email is invalid'] },
      { row: 6, 'field-with-error': 'Purchasing User', value: 'maybe', 'field-errors': ['Purchasing User must be Yes/No, True/False, Y/N or T/F'] },
      { row: 7, 'field-with-error': 'Status', value: 'retired', 'field-errors': ['Status must be active or inactive'] },
    ]);
    const users = emulator.users();
    expect(users.find((u) => u.login === 'new.hire')).toMatchObject({ 'employee-number': 'E2001', manager: { login: 'mgr.jones' }, 'purchasing-user': true, 'expense-user': false, active: true });
    expect(users.find((u) => u.login === 'leaver.lee')).toMatchObject({ active: false });
    expect(users.some((u) => ['bad.email', 'x', 'flag.row', 'status.row'].includes(String(u.login)))).toBe(false);
    expect(await readdir(incoming)).toEqual(['users_20260101_000500Z_.csv.part']);
    expect(await readdir(join(incoming, '..', 'Archive', 'Users'))).toEqual(['users_20260101_000000Z_.csv']);
  });

  it('matches rows by Id, then Login, then Employee Number; --NULL-- clears; role names replace the set', async () => {
    // Prepare
    const header = ['Id', 'Login', 'Email', 'First Name', 'Last Name', 'Employee Number', 'Approver Login', 'User Role Names', 'Authentication Method'];
    const rows = [
      ['', 'steady.renamed', 'steady@example.com', 'Sam', 'Steady', 'E1003', '--NULL--', 'Buyer, Expense User', 'SAML'],
      ['282', 'mgr.jones', 'mgr.jones@example.com', 'Maria', 'Jones-Smith', 'E1001', '', '', ''],
      ['99999', 'ghost.user', 'ghost@example.com', 'Ghost', 'User', '', '', '', ''],
    ];
    await writeFile(join(incoming, 'users_keys.csv'), usersCsv(header, rows));
    // Act
    const [result] = await emulator.processIncoming();
    // Assess
    expect(result).toMatchObject({ 'records-created': 0, 'records-updated': 2, 'upload-errors-count': 1 });
    expect(result['upload-errors']).toEqual([{ row: 4, 'field-with-error': 'Id', value: '99999', 'field-errors': ['Id 99999 does not match a user'] }]);
    const renamed = emulator.users().find((u) => u.id === 284);
    expect(renamed).toMatchObject({ login: 'steady.renamed', manager: null, 'authentication-method': 'saml' });
    expect((renamed?.roles as Array<{ name: string }>).map((r) => r.name)).toEqual(['Buyer', 'Expense User']);
    expect(emulator.users().find((u) => u.id === 282)).toMatchObject({ lastname: 'Jones-Smith' });
  });

  it('processes files in alphanumeric order, so the later file wins', async () => {
    // Prepare: written in reverse order on purpose
    const header = ['Login', 'Email', 'First Name', 'Last Name'];
    await writeFile(join(incoming, 'users_20260101_000100Z_.csv'), usersCsv(header, [['order.test', 'order@example.com', 'Order', 'Late']]));
    await writeFile(join(incoming, 'users_20260101_000000Z_.csv'), usersCsv(header, [['order.test', 'order@example.com', 'Order', 'Early']]));
    // Act
    const results = await emulator.processIncoming();
    // Assess
    expect(results.map((r) => r['file-file-name'])).toEqual(['users_20260101_000000Z_.csv', 'users_20260101_000100Z_.csv']);
    expect(results.map((r) => [r['records-created'], r['records-updated']])).toEqual([[1, 0], [0, 1]]);
    expect(emulator.users().find((u) => u.login === 'order.test')?.lastname).toBe('Late');
  });

  it('fails a file without a Login column, and one that cannot be parsed, with one error each', async () => {
    // Prepare
    await writeFile(join(incoming, 'a_no_login.csv'), usersCsv(['Email', 'First Name'], [['a@example.com', 'A']]));
    await writeFile(join(incoming, 'b_broken.csv'), '"Login","Email"\r\n"unterminated,"x@example.com\r\n');
    // Act
    const [noLogin, broken] = await emulator.processIncoming();
    // Assess
    expect(noLogin).toMatchObject({ status: 'Failed', 'upload-errors-count': 1, 'records-created': 0 });
    expect(noLogin['upload-errors'][0]).toMatchObject({ row: 1, 'field-with-error': 'Login', 'field-errors': ['Missing required column: Login'] });
    expect(broken).toMatchObject({ status: 'Failed', 'upload-errors-count': 1 });
    expect(broken['upload-errors'][0]['field-errors'][0]).toMatch(/could not be parsed/);
  });

  it('serves data_file_sources in JSON and XML with source_for, file_file_name, created_at[gt] and paging', async () => {
    // Prepare
    const header = ['Login', 'Email', 'First Name', 'Last Name'];
    await writeFile(join(incoming, 'users_1.csv'), usersCsv(header, [['dfs.one', 'dfs.one@example.com', 'D', 'One']]));
    await emulator.processIncoming();
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await writeFile(join(incoming, 'users_2.csv'), usersCsv(header, [['dfs.two', 'not-an-email', 'D', 'Two']]));
    await emulator.processIncoming();
    const client = coreClient(emulator, await fetchToken(emulator));
    // Act
    const byName = (await (await client.getJson('/api/data_file_sources?source_for=User&file_file_name=users_2.csv')).json()) as Array<Record<string, unknown>>;
    const newer = (await (await client.getJson(`/api/data_file_sources?created_at[gt]=${encodeURIComponent(between)}`)).json()) as Array<{ id: number }>;
    const newestFirst = (await (await client.getJson('/api/data_file_sources?order_by=id&dir=desc&limit=1')).json()) as Array<{ id: number }>;
    const xml = await (await client.getXml('/api/data_file_sources?file_file_name=users_2.csv')).text();
    const none = await client.getXml('/api/data_file_sources?file_file_name=missing.csv');
    // Assess
    expect(byName).toHaveLength(1);
    expect(byName[0]).toMatchObject({ id: 2, status: 'Done', 'records-created': 0, 'upload-errors-count': 1 });
    expect(byName[0]['upload-errors']).toEqual([{ row: 2, 'field-with-error': 'Email', value: 'not-an-email', 'field-errors': ['Email is invalid'] }]);
    expect(newer.map((d) => d.id)).toEqual([2]);
    expect(newestFirst.map((d) => d.id)).toEqual([2]);
    const source = xmlParser.parse(xml)['data-file-sources']['data-file-source'][0];
    expect(source.id).toEqual({ '#text': '2', '@_type': 'integer' });
    expect(source['upload-errors']['@_type']).toBe('array');
    expect(source['upload-errors']['upload-error'][0]).toMatchObject({ row: { '#text': '2', '@_type': 'integer' }, 'field-with-error': 'Email', value: 'not-an-email' });
    expect(source['upload-errors']['upload-error'][0]['field-errors']['field-error']).toEqual(['Email is invalid']);
    expect(none.status).toBe(404);
  });

  it('loads a full 5,000-row file of namesakes (mention names stay cheap to generate)', async () => {
    // Prepare: one first/last name for every row, so each create derives its mention name from one stem
    const header = ['Login', 'Email', 'First Name', 'Last Name', 'Status'];
    const rows = Array.from({ length: 5000 }, (_, i) => [`bulk.${i}`, `bulk.${i}@example.com`, 'Bulk', 'Loader', 'active']);
    await writeFile(join(incoming, 'users_bulk.csv'), usersCsv(header, rows));
    // Act
    const [result] = await emulator.processIncoming();
    // Assess: no timing assert (flaky on shared CI); the test's own timeout bounds it
    expect(result).toMatchObject({ status: 'Done', 'records-created': 5000, 'records-updated': 0, 'upload-errors-count': 0 });
    const mentionNames = emulator.users().filter((u) => String(u.login).startsWith('bulk.')).map((u) => u['mention-name']);
    expect(new Set(mentionNames).size).toBe(5000);
    expect(mentionNames.slice(0, 3)).toEqual(['bulkloader', 'bulkloader1', 'bulkloader2']);
  }, 20_000);

  it('picks files up on its own every pollMs', async () => {
    // Prepare
    const polled = await startEmulator({ loader: { incomingDir: incoming, pollMs: 25 } });
    try {
      await writeFile(join(incoming, 'users_poll.csv'), usersCsv(['Login', 'Email', 'First Name', 'Last Name'], [['poll.user', 'poll@example.com', 'Poll', 'User']]));
      // Act: wait (bounded) for the timer to pick it up AND finish loading it (a busy machine can see it mid-load)
      const deadline = Date.now() + 5000;
      const settled = () => ['Done', 'Failed'].includes(String(polled.dataFileSources()[0]?.status));
      while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Assess
      expect(polled.dataFileSources()[0]).toMatchObject({ 'file-file-name': 'users_poll.csv', status: 'Done', 'records-created': 1 });
      expect(polled.users().some((u) => u.login === 'poll.user')).toBe(true);
    } finally {
      await polled.close();
    }
  });
});
