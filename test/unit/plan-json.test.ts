/**
 * The CLI keeps a run's plan (runs/<runId>/plan.json) written in pieces (json-chunks.ts): the file
 * is byte for byte the indented JSON it always was, and reads back as the plan.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredPlan } from '../../lambdas/core/ports';
import { indentedJsonChunks } from '../../lambdas/adapters/local/json-chunks';
import { FsRunStore } from '../../lambdas/adapters/local/fs-run-store';
import { plannedChange } from '../support/factories';

function heldPlan(changes: number): StoredPlan {
  const all = Array.from({ length: changes }, (_, i) =>
    plannedChange({ login: `emp.${i}`, id: String(i), rows: [i + 2], ...(i % 3 === 0 ? { warnings: ['line one\nline "two"'], dependsOn: 'boss' } : {}) }),
  );
  return {
    run: { runId: 'run-1', file: 'hr.csv' },
    createdAt: '2026-12-07T00:00:00.000Z',
    mode: 'delta',
    status: 'held',
    guards: [{ guard: 'deactivation', held: true, detail: '3 of 4 (75 %)' }] as StoredPlan['guards'],
    reason: 'held by the deactivation guard',
    rosterLogins: changes,
    changes: all,
    staged: all.slice(1),
  };
}

describe('indentedJsonChunks', () => {
  it.each([
    ['a held plan with changes and staged changes', heldPlan(25) as unknown as Record<string, unknown>],
    ['empty arrays, nested objects, undefined and null values', { a: [], b: { c: [1, [2, []]], d: undefined }, e: null, f: [undefined, 'x'], g: undefined }],
    ['a single key', { only: [{ x: 1 }] }],
    ['no keys', {}],
  ])('writes %s exactly as JSON.stringify(value, null, 2)', (_name, value) => {
    // Act
    const text = [...indentedJsonChunks(value)].join('');
    // Assess
    expect(text).toBe(JSON.stringify(value, null, 2));
  });

  it('gives each change of a plan its own piece', () => {
    // Act
    const pieces = [...indentedJsonChunks(heldPlan(1000) as unknown as Record<string, unknown>)];
    // Assess: no piece holds more than one change
    expect(pieces.length).toBeGreaterThan(1000 + 999);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(1000);
  });
});

describe('FsRunStore.savePlan', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the plan as indented JSON that loads back as the plan', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'plan-json-'));
    const store = new FsRunStore(dir, 'https://acme.example.com');
    const plan = heldPlan(3_000);
    // Act
    await store.savePlan(plan);
    // Assess
    const stored = { ...plan, instance: 'https://acme.example.com' };
    expect(await readFile(join(dir, 'runs', 'run-1', 'plan.json'), 'utf8')).toBe(`${JSON.stringify(stored, null, 2)}\n`);
    expect(await store.loadPlan('run-1')).toEqual(stored);
  });
});
