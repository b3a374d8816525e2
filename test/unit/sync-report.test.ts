import { describe, expect, it } from 'vitest';
import type { RowOutcome } from '../../lambdas/core/model';
import { buildReport, exitCodeFor } from '../../lambdas/core/sync/report';

describe('buildReport', () => {
  it('sorts rows by HR row, counts every outcome and derives the exit code', () => {
    const report = buildReport({ runId: 'r', file: 'f.csv' }, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:05Z'), [
      { row: 3, login: 'c', outcome: 'failed', errors: ['Email has already been taken'] },
      { row: 1, login: 'a', outcome: 'created', changedFields: ['email'] },
      { row: 2, login: 'b', outcome: 'unchanged' },
    ]);
    expect(report).toEqual({
      runId: 'r', file: 'f.csv', status: 'complete', roster: { mode: 'delta', rows: 3, logins: 3 },
      startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:05.000Z',
      totals: { rows: 3, absentees: 0, created: 1, updated: 0, deactivated: 0, reactivated: 0, unchanged: 1, applied: 0, submitted: 0, held: 0, skipped: 0, rejected: 0, failed: 1 },
      guards: [],
      rows: [
        { row: 1, login: 'a', outcome: 'created', changedFields: ['email'] },
        { row: 2, login: 'b', outcome: 'unchanged' },
        { row: 3, login: 'c', outcome: 'failed', errors: ['Email has already been taken'] },
      ],
      absentees: [],
    });
    expect(exitCodeFor(report)).toBe(1);
    expect(exitCodeFor(buildReport({ runId: 'r', file: 'f' }, new Date(), new Date(), [{ row: 1, login: 'a', outcome: 'unchanged' }]))).toBe(0);
  });

  it('exits 0 for rows the config skips on purpose (hr.rows.skip, duplicates), 1 for any other skipped row', () => {
    // Prepare
    const report = (...rows: RowOutcome[]) => buildReport({ runId: 'r', file: 'f' }, new Date(), new Date(), rows);
    const footer: RowOutcome = { row: 2, login: '', outcome: 'skipped', skippedBy: 'hr.rows.skip', errors: ['skipped by hr.rows.skip[0] (column "Type" equals "Total")'] };
    const duplicate: RowOutcome = { row: 3, login: 'a', outcome: 'skipped', skippedBy: 'hr.duplicates', errors: ['f, row 3: duplicate of row 1 (the same values): row 1 applies'] };
    const stale: RowOutcome = { row: 4, login: 'b', outcome: 'skipped', errors: ['Coupa changed meanwhile'] };
    const applied: RowOutcome = { row: 1, login: 'a', outcome: 'created' };
    // Act / Assess
    expect(exitCodeFor(report(applied, footer, duplicate))).toBe(0);
    expect(exitCodeFor(report(applied, footer, duplicate, stale))).toBe(1);
  });
});
