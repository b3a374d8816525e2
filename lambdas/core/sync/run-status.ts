/**
 * Decides whether a run recorded in pieces (AWS: one split summary, many outcome records written
 * by concurrent Lambdas) is finished, and builds its report. Pure: the caller reads and writes.
 */
import type { RowOutcome, RunRef, RunReport } from '../model';
import { buildReport, type ReportDetails } from './report';

/** What the reporter needs from the splitter's summary. */
export interface RunSplit {
  run: RunRef;
  /** Data rows in the HR file, valid or not (numbered 1..rows). */
  rows: number;
  /** Full-roster absentees queued for deactivation: each settles as one `absent` outcome. */
  absentees?: number;
  /**
   * Their logins (from the plan), when known: an overdue run reports each one that never settled as
   * failed, instead of leaving it out of the report.
   */
  absenteeLogins?: string[];
  splitAt: string;
  /** Status, mode, guards and reason for the report (from the plan). */
  details?: ReportDetails;
  /** A held run approved at this time: a `held` outcome no longer counts as settled. */
  approvedAt?: string;
}

/** One ledger entry: the outcomes one record() call wrote, and when. */
export interface RecordedOutcomes {
  recordedAt: string;
  outcomes: RowOutcome[];
}

export type RunStatus =
  | { state: 'waiting'; missingRows: number[] }
  | { state: 'complete' | 'overdue'; missingRows: number[]; report: RunReport };

/**
 * The last outcome of each row. A redelivered message records its row again, and a CSV row is
 * `submitted` before the loader's `applied`/`failed`: the later record is the truth. On equal
 * times a verdict beats `submitted`.
 */
export function latestOutcomes(records: RecordedOutcomes[]): Map<number | string, { at: string; outcome: RowOutcome }> {
  const latest = new Map<number | string, { at: string; outcome: RowOutcome }>();
  for (const { recordedAt: at, outcomes } of records) {
    for (const outcome of outcomes) {
      // Rows by number; absentees (row 0) by login.
      const key = outcome.absent ? `absent:${outcome.login.toLowerCase()}` : outcome.row;
      const seen = latest.get(key);
      const newer = !seen || at > seen.at || (at === seen.at && (seen.outcome.outcome === 'submitted' || outcome.outcome !== 'submitted'));
      if (newer) latest.set(key, { at, outcome });
    }
  }
  return latest;
}

export function overdueError(hours: number): string {
  return `no outcome recorded within ${hours} h (check the DLQ and logs)`;
}

/**
 * Complete when every row 1..rows has an outcome (`submitted` counts: it is final for a report).
 * `held` counts only while the run is held (split details status "held"): once approved, a held row
 * waits for what the approval did with it. After `reportAfterHours` a run is reported anyway, each
 * missing row as `failed`.
 */
export function assessRun(split: RunSplit, records: RecordedOutcomes[], now: Date, reportAfterHours: number): RunStatus {
  const latest = latestOutcomes(records);
  // A held row is the report's last word while the run is held; once approved, wait for what approval does.
  if (split.details?.status !== 'held') for (const [key, { outcome }] of latest) if (outcome.outcome === 'held') latest.delete(key);
  const missingRows: number[] = [];
  for (let row = 1; row <= split.rows; row++) if (!latest.has(row)) missingRows.push(row);
  const startedAt = new Date(split.splitAt);
  const rows = [...latest.values()].map((l) => l.outcome);
  const absentSettled = rows.filter((o) => o.absent).length;
  if (missingRows.length === 0 && absentSettled >= (split.absentees ?? 0)) {
    const last = records.reduce((max, r) => (r.recordedAt > max ? r.recordedAt : max), split.splitAt);
    return { state: 'complete', missingRows, report: buildReport(split.run, startedAt, new Date(last), rows, split.details) };
  }
  if (now.getTime() - startedAt.getTime() < reportAfterHours * 3_600_000) return { state: 'waiting', missingRows };
  const lost = missingRows.map((row): RowOutcome => ({ row, login: '', outcome: 'failed', errors: [overdueError(reportAfterHours)] }));
  for (const login of split.absenteeLogins ?? []) {
    if (!latest.has(`absent:${login.toLowerCase()}`)) lost.push({ row: 0, absent: true, login, outcome: 'failed', errors: [overdueError(reportAfterHours)] });
  }
  // Closed now, not at the last record: the report says when the reporter stopped waiting.
  return { state: 'overdue', missingRows, report: buildReport(split.run, startedAt, now, [...rows, ...lost], split.details) };
}
