/**
 * The run's tasks are split between two functions (contract.ts functionOf): run-plan does read-coupa,
 * plan and recheck, run-task every other. Each refuses a task that is not its own, naming the function
 * that does it (a definition routing a task elsewhere fails loudly, never silently does nothing).
 */
import { describe, expect, it } from 'vitest';
import { PLANNING_TASKS, RUN_TASKS, functionOf, type RunState, type TaskRequest } from '../../lambdas/core/runs/contract';
import type { PlanningDeps, StepDeps } from '../../lambdas/core/runs/deps';
import { runPlanningTask } from '../../lambdas/core/runs/plan-task';
import { runTask } from '../../lambdas/core/runs/run-task';
import { S3StateStore } from '../../lambdas/adapters/aws/s3-state-store';
import { MemoryObjectStore } from '../support/memory-stores';

const state = { run: { runId: 'hr-0001', file: 'incoming/hr.csv' }, channel: 'api', dryRun: false, arrivedAt: '2026-12-06T10:00:00Z', bucket: 'drop' } as RunState;
/** Deps that fail the test if a refused task touches them. */
const untouchable = new Proxy({}, { get: (_, key) => { throw new Error(`a refused task used deps.${String(key)}`); } });

describe('the run functions', () => {
  it('gives run-plan the planning tasks and run-task every other', () => {
    // Act
    const planning = RUN_TASKS.filter((t) => functionOf(t) === 'run-plan');
    // Assess
    expect(planning).toEqual(['read-coupa', 'plan', 'recheck']);
    expect([...PLANNING_TASKS].sort()).toEqual([...planning].sort());
    expect(RUN_TASKS.filter((t) => functionOf(t) === 'run-task')).toHaveLength(RUN_TASKS.length - 3);
  });

  it('run-plan refuses a step task, naming run-task, before touching anything', async () => {
    // Act / Assess
    for (const task of RUN_TASKS.filter((t) => functionOf(t) === 'run-task')) {
      await expect(runPlanningTask({ task, state } as TaskRequest, untouchable as PlanningDeps)).rejects.toThrow(`run task "${task}" is done by run-task, not run-plan`);
    }
  });

  it('run-task refuses a planning task, naming run-plan, and an unknown task by its name', async () => {
    // Act / Assess
    for (const task of PLANNING_TASKS) {
      await expect(runTask({ task, state } as TaskRequest, untouchable as StepDeps)).rejects.toThrow(`run task "${task}" is done by run-plan, not run-task`);
    }
    await expect(runTask({ task: 'plan-everything', state } as unknown as TaskRequest, untouchable as StepDeps)).rejects.toThrow('unknown run task "plan-everything"');
  });

  it('a state store made without the report renderers (run-plan\'s) refuses to write a report and writes nothing', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    const store = new S3StateStore(objects, 'drop');
    // Act / Assess
    await expect(store.saveReport({ runId: 'hr-0001' } as never)).rejects.toThrow('reports are written by the run-task function');
    expect([...objects.objects.keys()]).toEqual([]);
  });
});
