/**
 * In-memory RunStore and SnapshotStore for core tests of reconcile-then-apply. Everything kept is a
 * deep copy (as a file or an S3 object would be), so a test can never pass because the core kept a
 * reference to an object it later changed.
 */
import type { RunReport } from '../../lambdas/core/model';
import type { AcceptedRoster, RunStore, SnapshotStore, StoredPlan } from '../../lambdas/core/ports';

export class MemoryRunStore implements RunStore {
  readonly plans = new Map<string, StoredPlan>();
  readonly reports = new Map<string, RunReport>();
  /** Every roster accepted, in order (the last one is what the completeness guard compares with). */
  readonly accepted: AcceptedRoster[] = [];

  async savePlan(plan: StoredPlan): Promise<void> {
    this.plans.set(plan.run.runId, structuredClone(plan));
  }

  async loadPlan(runId: string): Promise<StoredPlan | undefined> {
    const plan = this.plans.get(runId);
    return plan && structuredClone(plan);
  }

  async saveReport(report: RunReport): Promise<string[]> {
    this.reports.set(report.runId, structuredClone(report));
    return [`memory://runs/${report.runId}/report.json`];
  }

  async loadReport(runId: string): Promise<RunReport | undefined> {
    const report = this.reports.get(runId);
    return report && structuredClone(report);
  }

  async acceptedRoster(): Promise<AcceptedRoster | undefined> {
    const last = this.accepted[this.accepted.length - 1];
    return last && structuredClone(last);
  }

  async acceptRoster(accepted: AcceptedRoster): Promise<void> {
    this.accepted.push(structuredClone(accepted));
  }
}

/** The kept snapshot of Coupa's users as lines in memory; counts reads and writes. */
export class MemorySnapshotStore implements SnapshotStore {
  lines?: string[];
  reads = 0;
  writes = 0;

  async read(): Promise<AsyncIterable<string> | undefined> {
    this.reads += 1;
    const lines = this.lines;
    if (!lines) return undefined;
    return (async function* () {
      yield* lines;
    })();
  }

  async write(lines: Iterable<string>): Promise<void> {
    this.writes += 1;
    this.lines = [...lines];
  }
}
