import { describe, expect, it } from 'vitest';
import { BufferedLedger } from '../../lambdas/core/apply/buffered-ledger';
import type { RowOutcome, RunRef } from '../../lambdas/core/model';

const row = (n: number, login: string): RowOutcome => ({ row: n, login, outcome: 'updated' });

function target(failing = new Set<string>()) {
  const written: Array<{ runId: string; logins: string[] }> = [];
  return {
    written,
    record: async (run: RunRef, outcomes: RowOutcome[]) => {
      if (failing.has(run.runId)) throw new Error('SlowDown: please reduce your request rate');
      written.push({ runId: run.runId, logins: outcomes.map((o) => o.login) });
    },
  };
}

describe('BufferedLedger', () => {
  it('writes one record per run at the flush, nothing before', async () => {
    // Prepare
    const store = target();
    const ledger = new BufferedLedger(store);
    await ledger.record({ runId: 'r1', file: 'a.csv' }, [row(1, 'a')]);
    await ledger.record({ runId: 'r2', file: 'b.csv' }, [row(1, 'x')]);
    await ledger.record({ runId: 'r1', file: 'a.csv' }, [row(2, 'b'), row(3, 'b')]);
    expect(store.written).toEqual([]);
    // Act
    const unwritten = await ledger.flush();
    // Assess
    expect(unwritten).toEqual(new Map());
    expect(store.written).toEqual([
      { runId: 'r1', logins: ['a', 'b', 'b'] },
      { runId: 'r2', logins: ['x'] },
    ]);
    expect(ledger.pending).toBe(0);
  });

  it('names the runs whose record was not written and keeps their outcomes for the next flush', async () => {
    // Prepare
    const failing = new Set(['r2']);
    const store = target(failing);
    const ledger = new BufferedLedger(store);
    await ledger.record({ runId: 'r1', file: 'a.csv' }, [row(1, 'a')]);
    await ledger.record({ runId: 'r2', file: 'b.csv' }, [row(1, 'x')]);
    // Act
    const unwritten = await ledger.flush();
    // Assess
    expect(unwritten).toEqual(new Map([['r2', 'SlowDown: please reduce your request rate']]));
    expect(ledger.pending).toBe(1);
    failing.clear();
    expect(await ledger.flush()).toEqual(new Map());
    expect(store.written).toEqual([
      { runId: 'r1', logins: ['a'] },
      { runId: 'r2', logins: ['x'] },
    ]);
  });
});
