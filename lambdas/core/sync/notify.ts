/**
 * Failure notifications: one message per run and batch, naming file, row, login and
 * Coupa's own error text, so whoever reads it can act without opening a log.
 */
import type { RowOutcome, RunRef, SyncMessage } from '../model';
import type { Notifier } from '../ports';

export interface SettledRow {
  message: Pick<SyncMessage, 'runId' | 'file'>;
  outcome: RowOutcome;
}

export function byRun(settled: SettledRow[]): Array<{ run: RunRef; rows: SettledRow[] }> {
  const runs = new Map<string, { run: RunRef; rows: SettledRow[] }>();
  for (const s of settled) {
    const entry = runs.get(s.message.runId) ?? { run: { runId: s.message.runId, file: s.message.file }, rows: [] };
    entry.rows.push(s);
    runs.set(s.message.runId, entry);
  }
  return [...runs.values()];
}

const MAX_LISTED = 50;

export function describeFailure(o: RowOutcome): string {
  return `row ${o.row}, login ${o.login}: ${o.outcome} — ${(o.errors ?? []).join('; ')}`;
}

/** Publishes the rejected and failed rows of one run (nothing when all went well). */
export async function notifyFailures(run: RunRef, outcomes: RowOutcome[], notifier: Notifier): Promise<void> {
  const bad = outcomes.filter((o) => o.outcome === 'failed' || o.outcome === 'rejected');
  if (bad.length === 0) return;
  const lines = bad.slice(0, MAX_LISTED).map(describeFailure);
  if (bad.length > MAX_LISTED) lines.push(`… and ${bad.length - MAX_LISTED} more (see the run report)`);
  await notifier.publish({
    severity: 'failure',
    subject: `Coupa user sync: ${bad.length} row(s) not applied from ${run.file}`,
    message: [`Run ${run.runId}, file ${run.file}:`, ...lines].join('\n'),
    run,
    logins: [...new Set(bad.map((o) => o.login))],
  });
}
