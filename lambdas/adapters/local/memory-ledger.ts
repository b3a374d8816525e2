/** Collects outcomes in memory, per run, for the local run report. */
import type { RowOutcome, RunRef } from '../../core/model';
import type { OutcomeLedger } from '../../core/ports';

export class MemoryLedger implements OutcomeLedger {
  private readonly runs = new Map<string, RowOutcome[]>();

  async record(run: RunRef, outcomes: RowOutcome[]): Promise<void> {
    const list = this.runs.get(run.runId) ?? [];
    list.push(...outcomes);
    this.runs.set(run.runId, list);
  }

  outcomes(runId: string): RowOutcome[] {
    return [...(this.runs.get(runId) ?? [])];
  }
}
