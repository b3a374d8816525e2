/**
 * Reconcile, then apply (issue 7) at core level: runSync / approveRun over in-memory adapters and a
 * directory that refuses what Coupa refuses (test/support/reconcile-harness.ts). Each test asserts
 * the exact outcomes, the exact writes that reached "Coupa" and the state Coupa ends in.
 */
import { describe, expect, it } from 'vitest';
import type { CoupaUser } from '../../lambdas/core/model';
import { ApprovalError } from '../../lambdas/core/run/approve';
import { HrFileError } from '../../lambdas/core/hr/read-hr-file';
import { IncompleteRosterError } from '../../lambdas/core/run/run-sync';
import { exitCodeFor } from '../../lambdas/core/sync/report';
import { alerts, approve, harness, runCsv, type Harness } from '../support/reconcile-harness';
import { employee, hrCsv, logins, person } from '../support/roster-factories';

const HOUR = 3_600_000;

/** Active flag of every user of the directory, by login. */
function activeByLogin(h: Harness): Record<string, boolean | undefined> {
  return Object.fromEntries([...h.directory.users.values()].map((u) => [u.login, u.fields.active]));
}

function heldReason(detail: string, runId: string, what = 'nothing was written'): string {
  return `held by the ${detail}: ${what}; check the plan, then run: coupa-sync approve ${runId}`;
}

describe('full roster', () => {
  /** A workforce with one of each kind of user a full roster must treat differently. */
  function workforce(): CoupaUser[] {
    return [
      employee('stay.one', 1),
      employee('leaver.one', 2),
      employee('leaver.two', 3),
      employee('api.bot', 4, { apiUser: true }),
      employee('break.glass', 5),
      employee('svc-backup', 6),
      employee('SVC-Report', 7),
      employee('svcx', 8),
      employee('temp.1', 9),
      employee('temp.12', 10),
      employee('gone.before', 11, { fields: { active: false } }),
    ];
  }
  const config = { roster: { mode: 'full', exempt: ['svc-*', 'temp.?'] }, coupa: { protectedLogins: ['BREAK.GLASS'] } };

  it('deactivates every active absentee, never API users, protected logins or roster.exempt globs', async () => {
    // Prepare
    const h = harness(workforce(), config);
    // Act
    const report = await runCsv(h, hrCsv([person('stay.one')]));
    // Assess: the report lists each absentee deactivation as such, with before → after
    const deactivated = { outcome: 'deactivated', changes: [{ field: 'active', before: true, after: false }] };
    expect(report.status).toBe('complete');
    expect(report.rows).toEqual([{ row: 1, login: 'stay.one', outcome: 'unchanged' }]);
    expect(report.absentees).toEqual([
      { login: 'leaver.one', ...deactivated },
      { login: 'leaver.two', ...deactivated },
      { login: 'svcx', ...deactivated },
      { login: 'temp.12', ...deactivated },
    ]);
    expect(report.totals).toMatchObject({ rows: 1, absentees: 4, unchanged: 1, deactivated: 4, failed: 0 });
    // Assess: exactly those four writes, and Coupa's final state
    expect(h.directory.writes.sort()).toEqual(['update leaver.one active', 'update leaver.two active', 'update svcx active', 'update temp.12 active']);
    expect(activeByLogin(h)).toEqual({
      'stay.one': true, 'leaver.one': false, 'leaver.two': false, 'api.bot': true, 'break.glass': true,
      'svc-backup': true, 'SVC-Report': true, svcx: false, 'temp.1': true, 'temp.12': false, 'gone.before': false,
    });
    expect(exitCodeFor(report)).toBe(0);
  });

  it('writes nothing when the same roster runs a second time', async () => {
    // Prepare
    const h = harness(workforce(), config);
    const file = hrCsv([person('stay.one'), person('new.hire', { manager: 'stay.one' })]);
    await runCsv(h, file);
    const writes = h.directory.writes.length;
    // Act
    const second = await runCsv(h, file);
    // Assess
    expect(writes).toBe(5);
    expect(h.directory.writes).toHaveLength(writes);
    expect(second.rows.map((r) => [r.login, r.outcome])).toEqual([['stay.one', 'unchanged'], ['new.hire', 'unchanged']]);
    expect(second.absentees).toEqual([]);
    expect(second.status).toBe('complete');
  });

  it('reactivates an inactive Coupa user the roster lists without an active column', async () => {
    // Prepare
    const h = harness([employee('back.again', 1, { fields: { active: false } })], { roster: { mode: 'full' } });
    // Act
    const report = await runCsv(h, hrCsv([person('back.again')]));
    // Assess
    expect(report.rows).toEqual([
      { row: 1, login: 'back.again', outcome: 'reactivated', changedFields: ['active'], changes: [{ field: 'active', before: false, after: true }] },
    ]);
    expect(h.directory.user('back.again')!.fields.active).toBe(true);
  });

  it('never takes a listed user for an absentee: rejected rows and identity conflicts still list their login', async () => {
    // Prepare: Coupa knows both; the file lists one with a bad e-mail, the other on two rows that disagree
    const h = harness([employee('bad.cell', 1), employee('two.faces', 2)], { roster: { mode: 'full' } });
    const file = hrCsv([person('bad.cell', { email: 'not-an-address' }), person('two.faces'), person('two.faces', { email: 'other@example.com' })]);
    // Act
    const report = await runCsv(h, file);
    // Assess
    expect(report.rows.map((r) => [r.row, r.login, r.outcome])).toEqual([[1, 'bad.cell', 'rejected'], [2, 'two.faces', 'rejected'], [3, 'two.faces', 'rejected']]);
    expect(report.absentees).toEqual([]);
    expect(h.directory.writes).toEqual([]);
    expect(activeByLogin(h)).toEqual({ 'bad.cell': true, 'two.faces': true });
  });

  it('rejects a login that differs from Coupa\'s only in letter case, and never deactivates that user as an absentee', async () => {
    // Prepare
    const h = harness([employee('jane.doe', 1)], { roster: { mode: 'full' } });
    // Act
    const report = await runCsv(h, hrCsv([person('Jane.Doe', { email: 'jane.doe@example.com' })]));
    // Assess
    expect(report.rows).toEqual([
      {
        row: 1,
        login: 'Jane.Doe',
        outcome: 'rejected',
        errors: ['Coupa has this login spelled "jane.doe": logins must match exactly; correct the login in the HR file or in Coupa'],
      },
    ]);
    expect(report.absentees).toEqual([]);
    expect(h.directory.writes).toEqual([]);
    expect(activeByLogin(h)).toEqual({ 'jane.doe': true });
  });

  it('changes nothing when a full roster breaks part-way after rows were read (its absentees cannot be known)', async () => {
    // Prepare: 3,000 valid rows streamed in 64 KB chunks as from disk, then a quote that never closes
    const h = harness([employee('stay.one', 1), employee('stay.two', 2), employee('stay.three', 3)], { roster: { mode: 'full' } });
    const text = `${hrCsv(logins('staff', 3000).map((l) => person(l)))}stay.three,"stay.three@example.com,Pat,Staff\n`;
    const chunks = Array.from({ length: Math.ceil(text.length / 65536) }, (_, i) => text.slice(i * 65536, (i + 1) * 65536));
    // Act
    const run = runCsv(h, chunks);
    // Assess: refused before Coupa was even read; no plan kept
    await expect(run).rejects.toThrow(IncompleteRosterError);
    await expect(run).rejects.toThrow(
      'hr.csv: cannot read the file as CSV: data row 3001 (starting on line 3002 of the file) opens a quoted cell that is never closed; ' +
        'a full roster must be read to its end (its absentees would be deactivated): nothing was changed',
    );
    expect(h.directory.calls).toEqual([]);
    expect(h.runs.plans.size).toBe(0);
    expect(activeByLogin(h)).toEqual({ 'stay.one': true, 'stay.two': true, 'stay.three': true });
  });

  it('changes nothing when a full roster arriving in one piece breaks part-way', async () => {
    // Prepare
    const h = harness([employee('stay.one', 1), employee('stay.two', 2), employee('stay.three', 3)], { roster: { mode: 'full' } });
    const file = `${hrCsv([person('stay.one'), person('stay.two', { lastname: 'Changed' })])}stay.three,"stay.three@example.com,Pat,Staff\n`;
    // Act
    const run = runCsv(h, file);
    // Assess: an HR file error (the CLI's exit 2), before Coupa was read
    await expect(run).rejects.toThrow(HrFileError);
    await expect(run).rejects.toThrow(/^hr\.csv: cannot read the file as CSV: data row 3 \(starting on line 4 of the file\) opens a quoted cell that is never closed/);
    expect(h.directory.calls).toEqual([]);
    expect(h.runs.plans.size).toBe(0);
  });
});
