/**
 * Outcomes of one consumer batch, kept in memory and written at its end as one record per run
 * (not one per change): a 500,000-change run leaves about 50,000 outcome objects instead of
 * 500,000, and its report reads them in one pass.
 *
 * A Lambda that dies before the flush loses its buffer — and nothing else: it has not returned,
 * so SQS hands every message of the batch out again, and consumeChanges re-checks a redelivered
 * change against Coupa before writing (a change already applied is recorded with its planned
 * outcome and not sent again). A flush that fails is the same case, made explicit: the caller
 * hands back the messages of the runs whose record was not written (`unwritten`).
 */
import type { RowOutcome, RunRef } from '../model';
import type { OutcomeLedger } from '../ports';

export class BufferedLedger implements OutcomeLedger {
  private readonly buffer = new Map<string, { run: RunRef; outcomes: RowOutcome[] }>();

  constructor(private readonly target: OutcomeLedger) {}

  async record(run: RunRef, outcomes: RowOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const entry = this.buffer.get(run.runId) ?? { run, outcomes: [] };
    entry.outcomes.push(...outcomes);
    this.buffer.set(run.runId, entry);
  }

  /** Outcomes buffered, not written yet. */
  get pending(): number {
    return [...this.buffer.values()].reduce((n, e) => n + e.outcomes.length, 0);
  }

  /**
   * Writes one record per run (runs in parallel). Returns the runs whose record could not be
   * written, with why; their outcomes stay buffered (a later flush tries them again).
   */
  async flush(): Promise<Map<string, string>> {
    const entries = [...this.buffer.values()];
    const results = await Promise.allSettled(entries.map((e) => this.target.record(e.run, e.outcomes)));
    const unwritten = new Map<string, string>();
    for (const [i, result] of results.entries()) {
      const { runId } = entries[i].run;
      if (result.status === 'fulfilled') this.buffer.delete(runId);
      else unwritten.set(runId, (result.reason as Error)?.message ?? String(result.reason));
    }
    return unwritten;
  }
}
