/**
 * Planning ahead (reconcile.ts Planner, read-coupa-state.ts onLookedUp): a delta file's logins are
 * decided as their look-ups answer, while the later ones are still in flight. The plan and the rows it
 * settles are the same, in the same order, as planning the whole file after the last answer.
 */
import { describe, expect, it } from 'vitest';
import type { CoupaUser, RowOutcome } from '../../lambdas/core/model';
import { systemClock } from '../../lambdas/core/ports';
import { UserTable } from '../../lambdas/core/plan/coupa-state';
import { LOOKUP_SLICE } from '../../lambdas/core/plan/read-coupa-state';
import { Planner, canPlanAhead, planRun } from '../../lambdas/core/plan/reconcile';
import { readRoster } from '../../lambdas/core/roster/read-roster';
import { planFile } from '../../lambdas/core/run/run-sync';
import { FakeDirectory, csvStream, testConfig } from '../support/factories';
import { MemoryRunStore } from '../support/memory-run-store';
import { employee, hrCsv, logins, person } from '../support/roster-factories';

/** One of each thing a delta file's login can come to: unchanged, updated, created, rejected, conflicting, … */
const mixedFile = hrCsv([
  person('same.one'),
  person('renamed.one', { lastname: 'Quinn' }),
  person('new.boss', { manager: '' }),
  person('new.report', { manager: 'new.boss' }),
  person('no.email', { email: '' }),
  person('twice', { lastname: 'One' }),
  person('twice', { lastname: 'Two' }),
  person('Other.Case'),
  person('self.managed', { manager: 'self.managed', lastname: 'Self' }),
  person('break.glass', { lastname: 'Changed' }),
  person('gone.one', { active: 'false' }),
]);
const coupa: CoupaUser[] = [
  employee('same.one', 1),
  employee('renamed.one', 2),
  employee('other.case', 3),
  employee('self.managed', 4),
  employee('break.glass', 5),
  employee('gone.one', 6),
  employee('twice', 7),
];
const config = testConfig({ roster: { mode: 'delta' }, coupa: { protectedLogins: ['break.glass'] } });
const options = { file: 'hr.csv', mode: 'delta' as const, config };

async function mixedRoster() {
  const { roster } = await readRoster(csvStream(mixedFile), { file: 'hr.csv', mode: 'delta' }, () => undefined);
  return roster;
}

describe('Planner', () => {
  it.each([
    ['one at a time', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]],
    ['in uneven steps, some asked twice', [0, 3, 3, 4, 9]],
    ['all, then finish', [100]],
  ])('decides entries ahead (%s) into the plan and settled rows planRun gives', async (_how, steps) => {
    // Prepare
    const roster = await mixedRoster();
    const state = new UserTable(false, coupa);
    const atOnce: RowOutcome[] = [];
    const expected = planRun(roster, state, options, (o) => atOnce.push(o));
    const ahead: RowOutcome[] = [];
    const planner = new Planner(roster, state, options, (o) => ahead.push(o));
    // Act
    for (const count of steps) planner.decideUpTo(count);
    const plan = planner.finish();
    // Assess
    expect(plan).toEqual(expected);
    expect(ahead).toEqual(atOnce);
    expect(plan.changes.map((c) => `${c.kind} ${c.login} @${c.level}`)).toEqual([
      'update renamed.one @0',
      'create new.boss @0',
      'update self.managed @0',
      'deactivate gone.one @0',
      'create new.report @1',
    ]);
  });

  it('is not used when a manager is named by another key or logins fall back to another key', async () => {
    const roster = await mixedRoster();
    expect(canPlanAhead(roster, options)).toBe(true);
    expect(canPlanAhead(roster, { ...options, config: testConfig({ coupa: { matchFallback: 'email' } }) })).toBe(false);
  });
});

/** A directory whose login look-ups answer only when the test says. */
class GatedDirectory extends FakeDirectory {
  readonly pending: Array<() => void> = [];
  override findBy(key: 'employee-number' | 'email' | 'login', values: string[]): Promise<CoupaUser[]> {
    if (key !== 'login') return super.findBy(key, values);
    return new Promise((resolve) => this.pending.push(() => resolve(super.findBy(key, values))));
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('planFile on a delta file', () => {
  it('settles the rows of the logins answered while later look-ups are still out', async () => {
    // Prepare: two slices of logins, every user in Coupa as the file has them but one
    const names = logins('emp', LOOKUP_SLICE * 2);
    const directory = new GatedDirectory(new Map(names.map((l, i) => [l, employee(l, i + 1)])));
    // The rows settled, as they are settled (the spool a run store offers)
    const settled: string[] = [];
    const runs = Object.assign(new MemoryRunStore(), {
      outcomeSpool: () => ({
        append: (line: string) => settled.push(line) - 1,
        read: (indexes: Iterable<number>) => [...indexes].map((i) => settled[i]),
      }),
    });
    const file = hrCsv(names.map((l, i) => person(l, i === LOOKUP_SLICE * 2 - 1 ? { lastname: 'Changed' } : {})));
    const planning = planFile({ run: { runId: 'run-1', file: 'hr.csv' }, input: csvStream(file) }, { directory, runs, clock: systemClock, config: testConfig({ roster: { mode: 'delta' } }) });
    await settle();
    expect(directory.pending).toHaveLength(2);
    // Act: the first slice answers
    directory.pending[0]();
    await settle();
    // Assess: the first slice's rows are settled (unchanged) before the second slice answers
    expect(settled).toHaveLength(LOOKUP_SLICE);
    expect(settled.every((line) => line.includes('"unchanged"'))).toBe(true);
    expect(runs.plans.size).toBe(0);
    directory.pending[1]();
    const planned = await planning;
    expect(planned.toApply.map((c) => c.login)).toEqual([names[LOOKUP_SLICE * 2 - 1]]);
    expect(settled).toHaveLength(LOOKUP_SLICE * 2 - 1);
  });

  it('waits for every spelling of a login asked in the run, when Coupa matches logins exactly (JSmith asked later, as a manager)', async () => {
    // Prepare: row 1 is jsmith; Coupa has JSmith; a manager column names JSmith past the first slice
    const filler = logins('emp', LOOKUP_SLICE + 10);
    const file = hrCsv([person('jsmith'), ...filler.map((l) => person(l)), person('report.one', { manager: 'JSmith' })]);
    const users = [employee('JSmith', 1, { fields: { email: 'other@example.com' } }), ...filler.map((l, i) => employee(l, i + 2))];
    const config = testConfig({ roster: { mode: 'delta' } });
    const settled: string[] = [];
    const runs = Object.assign(new MemoryRunStore(), {
      outcomeSpool: () => ({ append: (line: string) => settled.push(line) - 1, read: (ix: Iterable<number>) => [...ix].map((i) => settled[i]) }),
    });
    const directory = new ExactLoginDirectory(new Map(users.map((u) => [u.login, u])));

    // Act: planned ahead, and the same table planned after every answer
    const planned = await planFile({ run: { runId: 'r', file: 'hr.csv' }, input: csvStream(file) }, { directory, runs, clock: systemClock, config });
    const { roster } = await readRoster(csvStream(file), { file: 'hr.csv', mode: 'delta' }, () => undefined);
    const atOnce: RowOutcome[] = [];
    const expected = planRun(roster, new UserTable(false, users), { file: 'hr.csv', mode: 'delta', config }, (o) => atOnce.push(o));

    // Assess: the same plan; jsmith is rejected naming Coupa's spelling, never created
    expect(planned.plan.changes.map((c) => `${c.kind} ${c.login}`)).toEqual(expected.changes.map((c) => `${c.kind} ${c.login}`));
    expect(planned.plan.changes.map((c) => c.login)).not.toContain('jsmith');
    expect(atOnce.find((o) => o.login === 'jsmith')?.outcome).toBe('rejected');
    expect(settled.find((l) => l.includes('"jsmith"'))).toContain('JSmith');
  });
});

/** Coupa answering login[in]= exactly as spelled (adapters/coupa/README.md: it only "may" ignore case). */
class ExactLoginDirectory extends FakeDirectory {
  override async findBy(key: 'employee-number' | 'email' | 'login', values: string[]): Promise<CoupaUser[]> {
    if (key !== 'login') return super.findBy(key, values);
    const wanted = new Set(values);
    return [...this.users.values()].filter((u) => wanted.has(u.login)).map((u) => structuredClone(u));
  }
}
