import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryManifestStore } from '../../lambdas/core/csv/manifest';
import { deliverCsvBatch } from '../../lambdas/core/csv/batcher';
import { loadSyncConfig } from '../../lambdas/adapters/local/config-file';
import { systemClock } from '../../lambdas/core/ports';
import { changeMessage, plannedChange } from '../support/factories';

async function configWithTemplate(header: string) {
  const dir = await mkdtemp(join(tmpdir(), 'config-'));
  await writeFile(join(dir, 'Users_template.csv'), `${header}\n`);
  await writeFile(join(dir, 'config.json'), JSON.stringify({ delivery: 'csv', csv: { headerTemplateFile: 'Users_template.csv' } }));
  return join(dir, 'config.json');
}

describe('loadSyncConfig', () => {
  it('resolves the instance template (relative to the config file) into the header names the batcher writes', async () => {
    // Prepare
    const path = await configWithTemplate('"Login*","Email*","First Name*","Last Name*","Status"');
    const config = loadSyncConfig(path);
    const bodies: string[] = [];
    const drop = { deliver: async (name: string, body: Buffer) => (bodies.push(body.toString('utf8')), { transferId: name }) };
    // Act
    await deliverCsvBatch([changeMessage(plannedChange({ login: 'tpl.user', send: { email: 'tpl@example.com', firstname: 'T', lastname: 'U', active: true } }))], {
      drop, manifests: createMemoryManifestStore(), ledger: { record: async () => {} }, notifier: { publish: async () => {} }, clock: systemClock, config,
    });
    // Assess
    expect(config.csv.headerNames).toMatchObject({ login: 'Login*', email: 'Email*' });
    expect(bodies[0].split("\r\n")[0]).toBe('"Login*","Email*","First Name*","Last Name*","Status"');
  });

  it('names the template when it cannot be read or has no Login column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ csv: { headerTemplateFile: 'missing.csv' } }));
    expect(() => loadSyncConfig(join(dir, 'config.json'))).toThrow(/csv.headerTemplateFile: cannot read .*missing.csv/);
    const bad = await configWithTemplate('"Email","First Name"');
    expect(() => loadSyncConfig(bad)).toThrow(/Users_template.csv/);
  });

  it('is the defaults without a file', () => {
    expect(loadSyncConfig(undefined).delivery).toBe('api');
  });
});
