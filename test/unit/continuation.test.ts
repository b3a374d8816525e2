/** Asking for and reading a continuation of a run, and the read's share of an invocation (lambdas/core/sync/continuation.ts). */
import { describe, expect, it } from 'vitest';
import { readContinuation, readTimeLeft, requestContinuation } from '../../lambdas/core/sync/continuation';
import { MemoryObjectStore } from '../support/memory-stores';

describe('readTimeLeft', () => {
  it('leaves the read the time left less a third of what the invocation had at its start', () => {
    // Prepare: a Lambda with 900 s left when the handler starts
    let remaining = 900_000;
    // Act
    const left = readTimeLeft(() => remaining);
    const atStart = left();
    remaining = 400_000;
    const later = left();
    remaining = 299_000;
    const past = left();
    // Assess
    expect(atStart).toBe(600_000);
    expect(later).toBe(100_000);
    expect(past).toBe(-1_000);
  });
});

describe('continue/<runId>', () => {
  it('holds what the planner needs to plan the same run again, and is read back as written', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    const request = { runId: 'hr-0123456789ab', file: 'incoming/hr.csv', version: 'v7', step: 2, requestedAt: '2026-11-29T16:00:00.000Z' };
    // Act
    await requestContinuation(objects, request);
    const read = await readContinuation(objects, 'continue/hr-0123456789ab', undefined);
    // Assess
    expect(objects.json('continue/hr-0123456789ab')).toEqual(request);
    expect(read).toEqual(request);
  });

  it('refuses an object whose run id is not its key, or without a step', async () => {
    // Prepare
    const objects = new MemoryObjectStore();
    await objects.put('continue/hr-aaaaaaaaaaaa', JSON.stringify({ runId: 'hr-bbbbbbbbbbbb', file: 'incoming/hr.csv', step: 1 }));
    await objects.put('continue/hr-cccccccccccc', JSON.stringify({ runId: 'hr-cccccccccccc', file: 'incoming/hr.csv' }));
    // Act / Assess
    await expect(readContinuation(objects, 'continue/hr-aaaaaaaaaaaa', undefined)).rejects.toThrow('continue/hr-aaaaaaaaaaaa is not a continuation the planner wrote');
    await expect(readContinuation(objects, 'continue/hr-cccccccccccc', undefined)).rejects.toThrow('continue/hr-cccccccccccc is not a continuation the planner wrote');
  });
});
