/**
 * SettledLogins in memory, behaving as the S3 one does: one record per run and batch tag (a retried
 * batch overwrites its own, two batches never each other's), read as the union of a run's records;
 * every call is counted so a test can assert when the store was asked.
 */
import type { SettledLogins } from '../../lambdas/core/ports';

export class MemorySettledLogins implements SettledLogins {
  /** runId → batch tag → logins. */
  readonly records = new Map<string, Map<string, string[]>>();
  /** Every call, as `settledOf run-1 mgr.a,mgr.b` or `add run-1 <tag> mgr.a,mgr.b`. */
  readonly calls: string[] = [];

  async settledOf(runId: string, logins: string[]): Promise<Set<string>> {
    this.calls.push(`settledOf ${runId} ${logins.join(',')}`);
    const all = new Set([...(this.records.get(runId)?.values() ?? [])].flat());
    return new Set(logins.map((l) => l.toLowerCase()).filter((l) => all.has(l)));
  }

  async add(runId: string, tag: string, logins: string[]): Promise<void> {
    this.calls.push(`add ${runId} ${tag} ${logins.join(',')}`);
    const run = this.records.get(runId) ?? new Map<string, string[]>();
    run.set(tag, logins.map((l) => l.toLowerCase()));
    this.records.set(runId, run);
  }
}
