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

describe('deactivation guard', () => {
  /** `active` listed users plus `leavers` absentees, all active in Coupa. */
  function instance(active: number, leavers: number, extra: CoupaUser[] = []) {
    const stay = logins('stay', active);
    const gone = logins('leaver', leavers);
    const users = [...stay, ...gone].map((l, i) => employee(l, i + 1));
    return { users: [...users, ...extra], file: hrCsv(stay.map((l) => person(l))) };
  }

  it('holds a full roster that would deactivate more than roster.maxDeactivations, writing nothing', async () => {
    // Prepare: 4 leavers of 100 (4 %), so only the count can hold it
    const { users, file } = instance(96, 4);
    const h = harness(users, { roster: { mode: 'full', maxDeactivations: 3 } });
    // Act
    const report = await runCsv(h, file, { runId: 'too-many' });
    // Assess: held, nothing written, every staged deactivation listed as held with the reason
    const detail = 'the run would deactivate 4 users, more than roster.maxDeactivations (3)';
    const reason = heldReason(`deactivation guard (${detail})`, 'too-many');
    expect(report.status).toBe('held');
    expect(report.reason).toBe(reason);
    expect(report.guards).toEqual([
      { guard: 'deactivation', held: true, detail },
      { guard: 'completeness', held: false, detail: 'first full roster (96 logins): nothing to compare with yet' },
    ]);
    expect(report.absentees).toEqual(
      logins('leaver', 4).map((login) => ({ login, outcome: 'held', changes: [{ field: 'active', before: true, after: false }], errors: [reason] })),
    );
    expect(report.totals).toMatchObject({ rows: 96, absentees: 4, unchanged: 96, held: 4, deactivated: 0 });
    expect(h.directory.writes).toEqual([]);
    expect(Object.values(activeByLogin(h)).every((a) => a === true)).toBe(true);
    // Assess: one alert, exit 3, the plan kept for approval, the roster not accepted
    expect(alerts(h)).toEqual(['Coupa user sync held: hr.csv']);
    expect(exitCodeFor(report)).toBe(3);
    expect(h.runs.plans.get('too-many')).toMatchObject({ status: 'held', mode: 'full', rosterLogins: 96 });
    expect(h.runs.plans.get('too-many')!.staged.map((c) => [c.login, c.kind, c.absent])).toEqual(logins('leaver', 4).map((l) => [l, 'deactivate', true]));
    expect(h.runs.accepted).toEqual([]);
  });

  it('applies a run that deactivates exactly roster.maxDeactivations', async () => {
    // Prepare
    const { users, file } = instance(97, 3);
    const h = harness(users, { roster: { mode: 'full', maxDeactivations: 3 } });
    // Act
    const report = await runCsv(h, file);
    // Assess
    expect(report.status).toBe('complete');
    expect(report.totals).toMatchObject({ deactivated: 3, held: 0 });
    expect(h.directory.writes).toHaveLength(3);
  });

  it.each([
    // [listed, leavers, held]: share of the active users it may deactivate, guarded above 5 users
    [14, 6, true], // 6 of 20 = 30 %
    [24, 6, false], // 6 of 30 = 20 %: not more than 20 %
    [5, 5, false], // 5 of 10 = 50 %, but not more than roster.minDeactivationsGuarded (5)
    [1, 1, false], // a small instance's single leaver: 50 %, never held
  ])('share: %i listed, %i leavers → held %s', async (listed, leavers, held) => {
    // Prepare
    const { users, file } = instance(listed, leavers);
    const h = harness(users, { roster: { mode: 'full' } });
    // Act
    const report = await runCsv(h, file);
    // Assess
    expect(report.status).toBe(held ? 'held' : 'complete');
    expect(report.guards[0].held).toBe(held);
    expect(report.totals.deactivated).toBe(held ? 0 : leavers);
    expect(h.directory.writes).toHaveLength(held ? 0 : leavers);
  });

  it('counts the share among the users it may deactivate: API users, protected and exempt logins are not in it', async () => {
    // Prepare: 6 leavers among 30 active users, 5 of which it may never deactivate → 6 of 25 = 24 %
    const never = [
      employee('api.one', 101, { apiUser: true }),
      employee('api.two', 102, { apiUser: true }),
      employee('root.admin', 103),
      employee('svc-a', 104),
      employee('svc-b', 105),
    ];
    const { users, file } = instance(19, 6, never);
    const h = harness(users, { roster: { mode: 'full', exempt: ['svc-*'] }, coupa: { protectedLogins: ['root.admin'] } });
    // Act
    const report = await runCsv(h, file, { runId: 'share' });
    // Assess
    expect(report.guards[0]).toEqual({
      guard: 'deactivation',
      held: true,
      detail: 'the run would deactivate 6 of 25 active users it may deactivate (24 %), more than roster.maxDeactivationShare (20 %)',
    });
    expect(h.directory.writes).toEqual([]);
  });

  it('counts rows marked inactive like absentees, in a full roster', async () => {
    // Prepare: 3 absentees + 3 rows active=false = 6 of 20
    const { users } = instance(17, 3);
    const rows = logins('stay', 17).map((l, i) => (i < 3 ? person(l, { active: 'false' }) : person(l)));
    const h = harness(users, { roster: { mode: 'full' } });
    // Act
    const report = await runCsv(h, hrCsv(rows));
    // Assess
    expect(report.status).toBe('held');
    expect(report.guards[0].detail).toBe('the run would deactivate 6 of 20 active users it may deactivate (30 %), more than roster.maxDeactivationShare (20 %)');
    expect(report.rows.filter((r) => r.outcome === 'held').map((r) => r.login)).toEqual(logins('stay', 3));
    expect(report.absentees.map((a) => [a.login, a.outcome])).toEqual(logins('leaver', 3).map((l) => [l, 'held']));
    expect(h.directory.writes).toEqual([]);
  });

  it('guards a delta file\'s inactive rows against the whole instance, reading every user only when the share decides', async () => {
    // Prepare: 20 active users; one file deactivates 6 (30 %), another 5 (not more than the minimum)
    const users = logins('staff', 20).map((l, i) => employee(l, i + 1));
    const six = hrCsv(logins('staff', 6).map((l) => person(l, { active: 'false' })));
    const five = hrCsv(logins('staff', 5).map((l) => person(l, { active: 'false' })));
    const held = harness(users);
    const applied = harness(users);
    // Act
    const heldReport = await runCsv(held, six);
    const appliedReport = await runCsv(applied, five);
    // Assess: the share needed every user (a full read); five did not
    expect(heldReport.status).toBe('held');
    expect(heldReport.roster.mode).toBe('delta');
    expect(heldReport.guards).toEqual([
      { guard: 'deactivation', held: true, detail: 'the run would deactivate 6 of 20 active users it may deactivate (30 %), more than roster.maxDeactivationShare (20 %)' },
    ]);
    expect(held.directory.writes).toEqual([]);
    expect(held.directory.calls.filter((c) => c.startsWith('list'))).toEqual(['list']);
    expect(appliedReport.status).toBe('complete');
    expect(appliedReport.totals.deactivated).toBe(5);
    expect(applied.directory.calls.filter((c) => c.startsWith('list'))).toEqual([]);
  });
});

describe('completeness guard', () => {
  // The deactivation guard is set out of the way: these runs lose up to 11 % of their logins.
  const config = { roster: { mode: 'full', maxDeactivations: 1000, maxDeactivationShare: 1 } };
  const staff = logins('staff', 100);
  const users = staff.map((l, i) => employee(l, i + 1));
  const rosterOf = (count: number) => hrCsv(staff.slice(0, count).map((l) => person(l)));

  it('lets the first full roster through, then holds one with more than roster.maxRosterShrink fewer logins', async () => {
    // Prepare
    const h = harness(users, config);
    // Act
    const first = await runCsv(h, rosterOf(100));
    const shrunk = await runCsv(h, rosterOf(89), { runId: 'shrunk' });
    // Assess
    expect(first.status).toBe('complete');
    expect(first.guards[1]).toEqual({ guard: 'completeness', held: false, detail: 'first full roster (100 logins): nothing to compare with yet' });
    expect(h.runs.accepted.map((a) => a.logins)).toEqual([100]);
    expect(shrunk.status).toBe('held');
    const detail = 'the file lists 89 logins, the last accepted full roster 100 (11 % fewer): more than roster.maxRosterShrink (10 %) fewer, is the export complete?';
    expect(shrunk.guards[1]).toEqual({ guard: 'completeness', held: true, detail });
    expect(shrunk.reason).toBe(heldReason(`completeness guard (${detail})`, 'shrunk'));
    expect(shrunk.absentees.map((a) => a.outcome)).toEqual(Array(11).fill('held'));
    expect(h.directory.writes).toEqual([]);
  });

  it('lets a roster exactly roster.maxRosterShrink smaller through, and it becomes the accepted one', async () => {
    // Prepare
    const h = harness(users, config);
    await runCsv(h, rosterOf(100));
    // Act
    const report = await runCsv(h, rosterOf(90));
    // Assess
    expect(report.status).toBe('complete');
    expect(report.guards[1]).toEqual({ guard: 'completeness', held: false, detail: 'the file lists 90 logins, the last accepted full roster 100 (10 % fewer)' });
    expect(report.totals.deactivated).toBe(10);
    expect(h.runs.accepted.map((a) => a.logins)).toEqual([100, 90]);
  });

  it('compares with the last accepted roster only: a held run, a plan and a delta run accept nothing; an approval does', async () => {
    // Prepare: a plan of 100 logins (not accepted), then 80 as the first accepted full roster
    const h = harness(users, config);
    const planned = await runCsv(h, rosterOf(100), { dryRun: true });
    const first = await runCsv(h, rosterOf(80));
    await runCsv(h, hrCsv([person('staff.001', { lastname: 'Delta' })]));
    // Act: 70 is held (12.5 % fewer than 80) and held again; approved, it becomes the one to compare with
    const held = await runCsv(h, rosterOf(70), { runId: 'seventy' });
    const heldAgain = await runCsv(h, rosterOf(70), { runId: 'seventy-again' });
    await approve(h, 'seventy');
    const after = await runCsv(h, rosterOf(70));
    // Assess
    expect(planned.status).toBe('planned');
    expect(first.guards[1].detail).toBe('first full roster (80 logins): nothing to compare with yet');
    expect(held.status).toBe('held');
    expect(heldAgain.guards[1]).toMatchObject({ held: true, detail: expect.stringContaining('the last accepted full roster 80 (12.5 % fewer)') });
    expect(h.runs.accepted.map((a) => [a.runId, a.logins])).toEqual([[first.runId, 80], ['seventy', 70], [after.runId, 70]]);
    expect(after.status).toBe('complete');
    expect(after.guards[1]).toEqual({ guard: 'completeness', held: false, detail: 'the file lists 70 logins, the last accepted full roster 70' });
  });
});
