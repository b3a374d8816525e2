/**
 * The Coupa client's ReferenceReader against the emulator over real HTTP (XML and JSON): a list read
 * whole across pages, trimmed with `fields`, inactive and disabled records left out; and the two
 * stores that keep the lists between runs (state folder, S3 via ObjectStore).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../emulator/server';
import { DEFAULT_CATALOGUE } from '../../emulator/store';
import { CoupaAuthError, CoupaHttp, createReferenceReader } from '../../lambdas/adapters/coupa';
import { S3ReferenceListStore } from '../../lambdas/adapters/aws/s3-reference-list-store';
import { FsReferenceListStore } from '../../lambdas/adapters/local/fs-run-store';
import { parseConfig } from '../../lambdas/core/config';
import type { ReferenceListStore } from '../../lambdas/core/ports';
import { MemoryObjectStore } from '../support/memory-stores';

describe.each(['xml', 'json'] as const)('CoreReferenceReader (%s)', (format) => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ seed: 'none', catalogue: { ...DEFAULT_CATALOGUE, departments: Array.from({ length: 120 }, (_, i) => `Dept ${i + 1}`) } });
  });
  afterAll(() => emulator.close());

  const reader = (scopes?: string) => {
    const config = parseConfig({ coupa: { format, ...(scopes ? { scopes } : {}) } }).coupa;
    const options = { baseUrl: emulator.url, config, credentials: { clientId: emulator.credentials.clientId, clientSecret: emulator.credentials.clientSecret } };
    return createReferenceReader(options, new CoupaHttp(options))!;
  };

  it('reads a list across pages with only the key fields', async () => {
    emulator.resetLog();
    const departments = await reader().readList('departments');
    expect(departments).toHaveLength(120);
    expect(departments.at(-1)).toEqual({ key: 'Dept 120' });
    const calls = emulator.requests.filter((r) => r.path === '/api/departments');
    expect(calls).toHaveLength(3);
    expect(calls[0].query).toContain('fields=["id","name","active"]');
  });

  it('reads accounts with their chart, addresses by location code, currencies by code', async () => {
    const r = reader();
    expect(await r.readList('accounts')).toContainEqual({ key: 'EU-200', within: 'EU Chart' });
    expect(await r.readList('addresses')).toContainEqual({ key: 'NYC-1' });
    expect(await r.readList('currencies')).toContainEqual({ key: 'EUR' });
    expect(await r.readList('content-groups')).toContainEqual({ key: 'EMEA' });
  });

  it('says which scope to add when the client may not read references', async () => {
    await expect(reader('core.user.read core.user.write').readList('roles')).rejects.toThrow(CoupaAuthError);
    await expect(reader('core.user.read core.user.write').readList('roles')).rejects.toThrow(/core\.common\.read scope .*preflight\.enabled false/);
  });
});

describe.each([
  ['state folder', async (): Promise<ReferenceListStore> => new FsReferenceListStore(await mkdtemp(join(tmpdir(), 'refs-')), 'https://acme.coupahost.com')],
  ['S3 state/references/', async (): Promise<ReferenceListStore> => new S3ReferenceListStore(new MemoryObjectStore())],
])('reference lists kept in the %s', (_, make) => {
  it('has nothing before the first write, then gives back the lines written, per kind', async () => {
    const store = await make();
    expect(await store.read('roles')).toBeUndefined();
    await store.write('roles', ['{"header":1}', '{"key":"Buyer"}']);
    const lines: string[] = [];
    for await (const line of (await store.read('roles'))!) if (line !== '') lines.push(line);
    expect(lines).toEqual(['{"header":1}', '{"key":"Buyer"}']);
    expect(await store.read('departments')).toBeUndefined();
  });
});
