/** Run reports for the report renderers' tests, the browser test and the docs screenshot. */
import type { AbsenteeOutcome, RowOutcome, RunReport, Totals } from '../../lambdas/core/model';
import { totalsOf } from '../../lambdas/core/sync/report';

/** Totals as a run counts them: the file's rows AND the absentees. */
function totalsWithAbsentees(rows: RowOutcome[], absentees: AbsenteeOutcome[]): Totals {
  const totals = totalsOf(rows);
  for (const a of absentees) totals[a.outcome] += 1;
  totals.absentees = absentees.length;
  return totals;
}

/** A report of `rows` and `absentees`, totals counted from them (unless given). */
export function runReport(overrides: Partial<RunReport> = {}): RunReport {
  const rows = overrides.rows ?? [{ row: 1, login: 'jane.doe', outcome: 'unchanged' }];
  const absentees = overrides.absentees ?? [];
  return {
    runId: 'hr-users-1a2b3c4d5e6f',
    file: 'incoming/hr-users.csv',
    status: 'complete',
    roster: { mode: 'delta', rows: rows.length, logins: new Set(rows.map((r) => r.login)).size },
    startedAt: '2026-03-02T07:15:04.120Z',
    finishedAt: '2026-03-02T07:16:16.480Z',
    guards: [],
    ...overrides,
    rows,
    absentees,
    totals: overrides.totals ?? totalsWithAbsentees(rows, absentees),
  };
}

const deactivation = [{ field: 'active', before: true, after: false }];
const heldWhy = ['held by the deactivation guard: waits for approval'];

/**
 * What a held full-roster run looks like (roster.onHold "apply-rest"): creates, updates and a
 * reactivation applied, three deactivations held (one HR row, two absentees), a rejected and a
 * failed row, and a warning. Invented people.
 */
export function heldRunReport(overrides: Partial<RunReport> = {}): RunReport {
  const rows: RowOutcome[] = [
    {
      row: 1, login: 'ana.garcia', outcome: 'created', changedFields: ['email', 'firstname', 'lastname', 'manager'],
      changes: [
        { field: 'email', after: 'ana.garcia@example.com' }, { field: 'firstname', after: 'Ana' },
        { field: 'lastname', after: 'García' }, { field: 'manager', after: 'chen.wei' },
      ],
    },
    {
      row: 2, login: 'bjorn.muller', outcome: 'updated', changedFields: ['email', 'lastname'],
      changes: [
        { field: 'email', before: 'bjorn.muller@example.com', after: 'bjorn.muller-schmidt@example.com' },
        { field: 'lastname', before: 'Müller', after: 'Müller-Schmidt' },
      ],
    },
    { row: 3, login: 'chen.wei', outcome: 'unchanged' },
    { row: 4, login: 'dmitri.ivanov', outcome: 'held', changedFields: ['active'], changes: deactivation, errors: heldWhy },
    { row: 5, login: 'emeka.okafor', outcome: 'reactivated', changedFields: ['active'], changes: [{ field: 'active', before: false, after: true }] },
    { row: 6, login: 'fatima.zahra', outcome: 'rejected', errors: ['incoming/workday-2026-03-02.csv, row 6: field "email": the value is not an e-mail address'] },
    { row: 7, login: 'gert.jansen', outcome: 'failed', errors: ['Email has already been taken'] },
    {
      row: 8, login: 'ines.kumar', outcome: 'updated', changedFields: ['default-locale'],
      changes: [{ field: 'default-locale', before: 'en', after: 'de' }],
      warnings: ['manager "m.unknown" exists nowhere: the manager was left unchanged'],
    },
    { row: 9, login: 'jonas.berg', outcome: 'unchanged' },
    { row: 10, login: 'karin.holm', outcome: 'created', changedFields: ['email', 'firstname', 'lastname'], changes: [
      { field: 'email', after: 'karin.holm@example.com' }, { field: 'firstname', after: 'Karin' }, { field: 'lastname', after: 'Holm' },
    ] },
  ];
  const absentees: AbsenteeOutcome[] = [
    { login: 'lena.novak', outcome: 'held', changes: deactivation, errors: heldWhy },
    { login: 'marco.rossi', outcome: 'held', changes: deactivation, errors: heldWhy },
  ];
  return runReport({
    runId: 'workday-2026-03-02-3f9a1c2b7d4e',
    file: 'incoming/workday-2026-03-02.csv',
    status: 'held',
    roster: { mode: 'full', rows: rows.length, logins: rows.length },
    guards: [
      { guard: 'deactivation', held: true, detail: 'would deactivate 3 users, more than roster.maxDeactivations (2)' },
      { guard: 'completeness', held: false, detail: 'the roster lists 10 users, 0% fewer than the last accepted one (10)' },
    ],
    reason: 'The deactivation guard held 3 deactivations; the other changes were applied (roster.onHold "apply-rest").',
    rows,
    absentees,
    ...overrides,
  });
}
