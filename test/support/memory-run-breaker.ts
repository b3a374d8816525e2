/**
 * RunBreakerStore in memory, behaving as the S3 one does: each add() is its own record (concurrent
 * adds never overwrite), decide() is a create-once, and every call is counted so a test can assert
 * what a batch cost.
 */
import type { BreakerVerdict, RunBreakerStore } from '../../lambdas/core/ports';

export class MemoryRunBreakerStore implements RunBreakerStore {
  readonly tallies = new Map<string, Array<{ writes: number; failures: number }>>();
  readonly verdicts = new Map<string, BreakerVerdict>();
  /** Every call, as `verdict run-1`, `tally run-1`, `add run-1 10/10`, `decide run-1 tripped`. */
  readonly calls: string[] = [];

  async verdict(runId: string): Promise<BreakerVerdict | undefined> {
    this.calls.push(`verdict ${runId}`);
    return this.verdicts.get(runId);
  }

  async tally(runId: string): Promise<{ writes: number; failures: number }> {
    this.calls.push(`tally ${runId}`);
    // A turn of the event loop, as a LIST and GETs would take: concurrent batches interleave here.
    await new Promise((r) => setImmediate(r));
    return (this.tallies.get(runId) ?? []).reduce((sum, t) => ({ writes: sum.writes + t.writes, failures: sum.failures + t.failures }), { writes: 0, failures: 0 });
  }

  async add(runId: string, counted: { writes: number; failures: number }): Promise<void> {
    this.calls.push(`add ${runId} ${counted.failures}/${counted.writes}`);
    this.tallies.set(runId, [...(this.tallies.get(runId) ?? []), { ...counted }]);
  }

  async decide(runId: string, verdict: BreakerVerdict): Promise<boolean> {
    this.calls.push(`decide ${runId} ${verdict.state}`);
    if (this.verdicts.has(runId)) return false;
    this.verdicts.set(runId, structuredClone(verdict));
    return true;
  }
}
