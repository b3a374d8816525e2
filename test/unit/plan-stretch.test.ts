/**
 * RunDeps.planStretch (run-sync.ts): the stretch from a delta file's last look-up to its first write
 * is marked for the CLI, which relaxes V8's size-optimised collector there (bin/cli/collector.ts).
 * It starts after every look-up answered, ends once the plan is kept (or planning fails), and is never
 * marked around a full read of Coupa.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../lambdas/core/ports';
import { planFile, type RunDeps } from '../../lambdas/core/run/run-sync';
import { FakeDirectory, csvStream, testConfig } from '../support/factories';
import { MemoryRunStore } from '../support/memory-run-store';
import { employee, hrCsv, person } from '../support/roster-factories';

/** The plan's dependencies, recording the directory's calls, the plan kept and the stretch in one timeline. */
function recorded(config: Record<string, unknown>) {
  const events: string[] = [];
  const directory = new FakeDirectory(new Map([['ada', employee('ada', 1)], ['ben', employee('ben', 2)]]));
  const findBy = directory.findBy.bind(directory);
  directory.findBy = async (key, values) => {
    events.push(`look up ${key}`);
    return findBy(key, values);
  };
  const listUsers = directory.listUsers.bind(directory);
  directory.listUsers = (options) => {
    events.push('read every user');
    return listUsers(options);
  };
  const runs = new MemoryRunStore();
  const savePlan = runs.savePlan.bind(runs);
  runs.savePlan = async (plan) => {
    events.push(`keep plan (${plan.changes.length} change(s))`);
    return savePlan(plan);
  };
  const planStretch: RunDeps['planStretch'] = () => {
    events.push('stretch starts');
    return () => events.push('stretch ends');
  };
  return { events, deps: { directory, runs, clock: systemClock, config: testConfig(config), planStretch } };
}

const file = hrCsv([person('ada', { lastname: 'Quinn' }), person('ben')]);
const run = { runId: 'run-1', file: 'hr.csv' };

describe('the plan stretch', () => {
  it('starts after a delta file’s look-ups and ends once the plan is kept', async () => {
    // Prepare
    const { events, deps } = recorded({ roster: { mode: 'delta' } });
    // Act
    const planned = await planFile({ run, input: csvStream(file) }, deps);
    // Assess
    expect(planned.toApply.map((c) => c.login)).toEqual(['ada']);
    expect(events).toEqual(['look up login', 'stretch starts', 'keep plan (1 change(s))', 'stretch ends']);
  });

  it('ends when planning fails', async () => {
    // Prepare
    const { events, deps } = recorded({ roster: { mode: 'delta' } });
    deps.runs.savePlan = async () => {
      throw new Error('disk full');
    };
    // Act
    const planning = planFile({ run, input: csvStream(file) }, deps);
    // Assess
    await expect(planning).rejects.toThrow('disk full');
    expect(events).toEqual(['look up login', 'stretch starts', 'stretch ends']);
  });

  it('is not marked for a full roster, whose read of every user is where the collector earns its keep', async () => {
    // Prepare
    const { events, deps } = recorded({ roster: { mode: 'full' } });
    // Act
    await planFile({ run, input: csvStream(file) }, deps);
    // Assess
    expect(events).toEqual(['read every user', 'keep plan (1 change(s))']);
  });

  it('ends before a guard that must count every user reads them all', async () => {
    // Prepare: a delta file that deactivates one user, guarded by share from the first: the guard needs every active user
    const { events, deps } = recorded({ roster: { mode: 'delta', minDeactivationsGuarded: 0 } });
    const leaver = hrCsv([person('ada', { active: 'false' })]);
    // Act
    await planFile({ run, input: csvStream(leaver) }, deps);
    // Assess
    expect(events).toEqual(['look up login', 'stretch starts', 'stretch ends', 'read every user', 'keep plan (1 change(s))']);
  });
});
