import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { fileTimestamp, importFileName, planImportFiles } from '../../lambdas/core/csv/file-splitter';
import { DEFAULT_HEADER_NAMES } from '../../lambdas/core/csv/user-import-format';
import { toImportRow, type ImportRow } from '../../lambdas/core/csv/user-import-row';
import type { HrRecord } from '../../lambdas/core/model';
import { aRecord } from './csv-factories';

const limits = { maxRowsPerFile: 5000, maxBytesPerFile: 8 * 1024 * 1024 };

function entry(overrides: Partial<HrRecord>): { row: ImportRow; item: string } {
  const record = aRecord(overrides);
  const mapped = toImportRow(record);
  if (!mapped.ok) throw new Error(mapped.error);
  return { row: mapped.row, item: `${record.login}#${record.row}` };
}

const manyUsers = (n: number, extra: Partial<HrRecord['fields']> = {}) =>
  Array.from({ length: n }, (_, i) =>
    entry({ row: i + 1, login: `user${i}`, fields: { email: `user${i}@example.com`, firstname: 'F', lastname: 'L', ...extra } }),
  );

describe('planning user-import files', () => {
  it('splits above 5000 data rows per file and keeps row order', () => {
    // Prepare
    const entries = manyUsers(12_001);

    // Act
    const files = planImportFiles(entries, limits, DEFAULT_HEADER_NAMES);

    // Assess
    expect(files.map((f) => f.lines.length)).toEqual([5000, 5000, 2001]);
    const parsed = parse(files[2].body) as string[][];
    expect(parsed[0]).toEqual(['Login', 'Email', 'First Name', 'Last Name']);
    expect(parsed).toHaveLength(2002);
    expect(parsed[1][0]).toBe('user10000');
    expect(files[2].lines[0].items).toEqual(['user10000#10001']);
  });

  it('splits above the byte limit, measured on the encoded bytes', () => {
    // Prepare: ~4 KB rows of multi-byte text, 64 KB limit
    const entries = manyUsers(40, { middlename: 'é'.repeat(2000) });
    const small = { maxRowsPerFile: 5000, maxBytesPerFile: 64 * 1024 };

    // Act
    const files = planImportFiles(entries, small, DEFAULT_HEADER_NAMES);

    // Assess
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) expect(f.body.length).toBeLessThanOrEqual(64 * 1024);
    expect(files.flatMap((f) => f.lines.map((l) => l.row.login))).toEqual(entries.map((e) => e.row.login));
  });

  it('keeps files under the real 8 MB limit', () => {
    // Prepare: 4000 rows of ~2.5 KB ≈ 10 MB, under the 5000-row cap
    const entries = manyUsers(4000, { middlename: 'x'.repeat(2500) });

    // Act
    const files = planImportFiles(entries, limits, DEFAULT_HEADER_NAMES);

    // Assess
    expect(files).toHaveLength(2);
    expect(files[0].body.length).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(files[0].body.length).toBeGreaterThan(8 * 1024 * 1024 - 3000);
    expect(files[0].lines.length + files[1].lines.length).toBe(4000);
  });

  it('lets the latest row for a login win within a file; the superseded row shares its line', () => {
    // Prepare
    const entries = [
      entry({ row: 1, login: 'jdoe', fields: { email: 'old@example.com' } }),
      entry({ row: 2, login: 'asmith', fields: { email: 'a@example.com' } }),
      entry({ row: 3, login: 'JDoe', fields: { email: 'new@example.com' } }),
    ];

    // Act
    const files = planImportFiles(entries, limits, DEFAULT_HEADER_NAMES);

    // Assess
    expect(files).toHaveLength(1);
    expect(parse(files[0].body)).toEqual([['Login', 'Email'], ['asmith', 'a@example.com'], ['JDoe', 'new@example.com']]);
    expect(files[0].lines.map((l) => l.items)).toEqual([['asmith#2'], ['jdoe#1', 'JDoe#3']]);
  });

  it('sends a later change with other columns in a later file, so both apply in order', () => {
    // Prepare
    const entries = [
      entry({ row: 1, login: 'jdoe', fields: { email: 'new@example.com' } }),
      entry({ row: 2, login: 'jdoe', action: 'deactivate', fields: {} }),
      entry({ row: 3, login: 'asmith', action: 'deactivate', fields: {} }),
    ];

    // Act
    const files = planImportFiles(entries, limits, DEFAULT_HEADER_NAMES);

    // Assess
    expect(files.map((f) => parse(f.body))).toEqual([
      [['Login', 'Email'], ['jdoe', 'new@example.com']],
      [['Login', 'Status'], ['asmith', 'inactive']],
      [['Login', 'Status'], ['jdoe', 'inactive']],
    ]);
  });

  it('puts files that set Approver Login after the ones creating managers', () => {
    // Prepare
    const entries = [
      entry({ row: 1, login: 'report', action: 'create', fields: { email: 'r@example.com', firstname: 'R', lastname: 'R', manager: 'boss' } }),
      entry({ row: 2, login: 'boss', action: 'create', fields: { email: 'b@example.com', firstname: 'B', lastname: 'B' } }),
    ];

    // Act
    const files = planImportFiles(entries, limits, DEFAULT_HEADER_NAMES);

    // Assess
    expect(files.map((f) => f.lines[0].row.login)).toEqual(['boss', 'report']);
  });
});

describe('file names', () => {
  it('are UTC-stamped to the millisecond, zero-padded and sort in load order', () => {
    // Prepare
    const at = new Date('2026-01-02T03:04:05.678Z');

    // Act
    const names = [10, 2, 1].map((seq) => importFileName(at, 'ab12cd34', seq));
    const later = importFileName(new Date('2026-01-02T03:04:06Z'), '00000000', 1);

    // Assess
    expect(fileTimestamp(at)).toBe('20260102_030405');
    expect(names[2]).toBe('users_20260102_030405Z_678_ab12cd34_0001.csv');
    expect(later).toBe('users_20260102_030406Z_000_00000000_0001.csv');
    expect([...names, later].sort()).toEqual([names[2], names[1], names[0], later]);
    expect(new Set(names).size).toBe(3);
  });

  it('sort batches made within one second in the order they were made, whatever their content tag', () => {
    // Prepare: the earlier batch has the larger tag
    const first = importFileName(new Date('2026-01-02T03:04:05.009Z'), 'ffffffff', 2);
    const second = importFileName(new Date('2026-01-02T03:04:05.010Z'), '00000000', 1);
    const third = importFileName(new Date('2026-01-02T03:04:05.999Z'), '80000000', 1);

    // Act / Assess
    expect([third, second, first].sort()).toEqual([first, second, third]);
  });
});
