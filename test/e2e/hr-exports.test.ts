/**
 * The five exports of issue 16, as people really have them (examples/successfactors, adp, personio,
 * hibob, excel-unicode-text), run end to end with their mappings: `coupa-sync run <file> --config
 * <mapping> --coupa-url <emulator>` as a child process, then the report and Coupa's final state (the
 * emulator's users). Each exercises what its export carries: fallback columns, a clear sentinel,
 * skip rules, a duplicate row, Windows-1252 with semicolons, multi-line cells and footers, UTF-16.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator, type SeedUser } from '../../emulator/server';
import type { RowOutcome } from '../../lambdas/core/model';
import { cli } from '../support/cli';

type User = Record<string, unknown>;
const nameOf = (value: unknown) => (value as { name?: string } | null)?.name ?? null;
const loginOf = (value: unknown) => (value as { login?: string } | null)?.login ?? null;

interface ExampleRun {
  code: number;
  stdout: string;
  stderr: string;
  report: { totals: Record<string, number>; rows: RowOutcome[] };
  users: Map<string, User>;
}

describe('the HR exports of issue 16, end to end through the CLI', () => {
  let emulator: RunningEmulator | undefined;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coupa-sync-exports-'));
  });
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
  });

  async function runExample(example: string, file: string, seed: SeedUser[]): Promise<ExampleRun> {
    emulator = await startEmulator({ seed });
    const report = join(dir, `${example}.json`);
    const env = { COUPA_CLIENT_ID: emulator.credentials.clientId, COUPA_CLIENT_SECRET: emulator.credentials.clientSecret };
    const result = await cli(['run', `examples/${example}/${file}`, '--config', `examples/${example}/mapping.json`, '--coupa-url', emulator.url, '--report', report], env);
    const users = new Map(emulator.users().map((u) => [String(u.login), u]));
    return { ...result, report: JSON.parse(await readFile(report, 'utf8')), users };
  }

  const outcomes = (run: ExampleRun) => run.report.rows.map((r) => [r.row, r.login, r.outcome]);

  it('SAP SuccessFactors: UTF-8 with BOM, NO_MANAGER clears the manager in Coupa, nickname before first name, manager by USERID', async () => {
    // Act
    const run = await runExample('successfactors', 'users.csv', [
      { login: 'old.boss', email: 'old.boss@example.com', firstname: 'Olga', lastname: 'Boss' },
      { login: 'cgrant', email: 'carla.grant@example.com', firstname: 'Carla', lastname: 'Grant', 'employee-number': '1001', manager: 'old.boss' },
      { login: 'epatel', email: 'esha.patel@example.com', firstname: 'Esha', lastname: 'Patel', 'employee-number': '1003' },
    ]);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(outcomes(run)).toEqual([[1, 'cgrant', 'updated'], [2, 'dlee', 'created'], [3, 'epatel', 'deactivated']]);
    expect(run.report.rows[0].changes).toContainEqual({ field: 'manager', before: 'old.boss', after: null });
    expect(run.users.get('cgrant')!.manager ?? null).toBeNull();
    expect(nameOf(run.users.get('cgrant')!.department)).toBe('Finance');
    const dan = run.users.get('dlee')!;
    expect(dan).toMatchObject({ firstname: 'Dan', lastname: 'Lee', email: 'daniel.lee@example.com', 'employee-number': '1002' });
    expect(loginOf(dan.manager)).toBe('cgrant');
    expect(run.users.get('epatel')).toMatchObject({ active: false });
  });

  it('ADP Workforce Now: the secondary position skipped by hr.rows.skip, a repeated row skipped as a duplicate, the primary position applied', async () => {
    // Act
    const run = await runExample('adp', 'export.csv', []);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.rows.filter((r) => r.outcome === 'skipped')).toEqual([
      { row: 4, login: 'ana.lopez@example.com', outcome: 'skipped', skippedBy: 'hr.rows.skip', errors: ['skipped by hr.rows.skip[0] (column "Primary Position" equals "No")'] },
      {
        row: 5, login: 'joao.silva@example.com', outcome: 'skipped', skippedBy: 'hr.duplicates',
        errors: ['examples/adp/export.csv, row 5: duplicate of row 2 (the same values): row 2 applies'],
      },
    ]);
    expect(run.stdout).toContain('1 row skipped by hr.rows.skip');
    const ana = run.users.get('ana.lopez@example.com')!;
    // Her primary position: Finance, reporting to Hélène (not Sales under João); "Ana" is her preferred name.
    expect(ana).toMatchObject({ firstname: 'Ana', lastname: 'López García', 'employee-number': 'G3H0003' });
    expect([nameOf(ana.department), loginOf(ana.manager)]).toEqual(['Finance', 'helene.dubois@example.com']);
    expect(run.users.get('helene.dubois@example.com')).toMatchObject({ firstname: 'Hélène' });
    expect(loginOf(run.users.get('joao.silva@example.com')!.manager)).toBe('helene.dubois@example.com');
    expect(run.users.has('marek.nowak@example.com')).toBe(false); // Terminated and unknown to Coupa: not created
  });

  it('Personio from Excel (German): Windows-1252 and semicolons, German status and department maps, a map entry to null, a clear sentinel for a custom field', async () => {
    // Act
    const run = await runExample('personio', 'export.csv', [
      { login: 'juergen.gross@example.com', email: 'juergen.gross@example.com', firstname: 'Jürgen', lastname: 'Groß', department: 'Finance', 'custom-fields': { 'cost-centre-code': '4700' } },
      { login: 'renee.fassbender@example.com', email: 'renee.fassbender@example.com', firstname: 'Renée', lastname: 'Faßbender' },
    ]);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(outcomes(run)).toEqual([
      [1, 'juergen.gross@example.com', 'updated'],
      [2, 'zoe.weiss@example.com', 'created'],
      [3, 'bjoern.schaefer@example.com', 'created'],
      [4, 'renee.fassbender@example.com', 'deactivated'],
    ]);
    // Jürgen's department and cost centre were set in Coupa, and are emptied
    expect(run.report.rows[0].changes).toEqual([
      { field: 'employee-number', before: null, after: '2001' },
      { field: 'default-locale', before: 'en', after: 'de' },
      { field: 'department', before: 'Finance', after: null },
      { field: 'legal-entity', after: 'Acme GmbH' },
      { field: 'custom-fields', before: { 'cost-centre-code': '4700' }, after: { 'cost-centre-code': null } },
    ]);
    const juergen = run.users.get('juergen.gross@example.com')!;
    expect(juergen.department ?? null).toBeNull(); // "Geschäftsführung": null in the map
    expect((juergen['custom-fields'] as User | undefined)?.['cost-centre-code'] ?? null).toBeNull(); // "Keine"
    const zoe = run.users.get('zoe.weiss@example.com')!;
    expect(zoe).toMatchObject({ firstname: 'Zoë', lastname: 'Weiß', 'default-locale': 'de' });
    expect([nameOf(zoe.department), nameOf(zoe['legal-entity']), loginOf(zoe.manager)]).toEqual(['Sales', 'Acme GmbH', 'juergen.gross@example.com']);
    expect(run.users.get('bjoern.schaefer@example.com')).toMatchObject({ firstname: 'Björn', lastname: 'Schäfer', active: true }); // "in Elternzeit"
  });

  it('HiBob-style report: multi-line cells in columns nobody syncs, a blank line, totals and "generated" footers skipped, preferred names', async () => {
    // Act
    const run = await runExample('hibob', 'report.csv', []);
    // Assess: before hr.rows.skip, every run of this report exited 1 on "login: required"
    expect(run.code, run.stderr).toBe(0);
    expect(outcomes(run)).toEqual([
      [1, 'sam.okafor@example.com', 'created'],
      [2, 'priya.nair@example.com', 'created'],
      [3, 'tomas.rivera@example.com', 'created'],
      [4, '', 'skipped'],
      [5, '', 'skipped'],
    ]);
    expect(run.stdout).toContain('2 rows skipped by hr.rows.skip');
    expect(run.users.get('sam.okafor@example.com')).toMatchObject({ firstname: 'Sam', lastname: 'Okafor', 'employee-number': 'B-01' });
    expect(loginOf(run.users.get('priya.nair@example.com')!.manager)).toBe('sam.okafor@example.com');
    expect(run.users.get('tomas.rivera@example.com')).toMatchObject({ firstname: 'Tomás' });
  });

  it('Excel "Unicode Text": UTF-16LE with its BOM, tabs, quoted cells, surrogate pairs', async () => {
    // Act
    const run = await runExample('excel-unicode-text', 'users.txt', []);
    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(outcomes(run)).toEqual([[1, 'yoshida.k', 'created'], [2, 'muller.a', 'created'], [3, 'dubois.c', 'created']]);
    expect(run.users.get('yoshida.k')).toMatchObject({ lastname: '𠮷田' });
    expect(run.users.get('muller.a')).toMatchObject({ lastname: 'Müller-Łukasiewicz' });
    expect(loginOf(run.users.get('muller.a')!.manager)).toBe('yoshida.k');
    expect(run.users.get('dubois.c')).toMatchObject({ lastname: 'Dubois 😀' });
  });
});
