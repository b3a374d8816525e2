/**
 * A run's row outcomes as they are decided, and the report built from them. In memory (an array,
 * as the AWS planner keeps them), or spooled (a LineSpool, the CLI's run folder): each outcome is
 * written out as one JSON line and only its line number is kept per row (4 bytes), so the
 * unchanged rows of a million-user roster cost no object each for the whole run. The report built
 * from a spool reads its rows back in row order as it is written (report/report-rows.ts).
 *
 * Both give the same report as buildReport: the last outcome of a row wins, rows in row order,
 * absentees (kept in memory either way: each is a planned change, in memory already) by login.
 */
import { OUTCOMES, type AbsenteeOutcome, type Outcome, type RowOutcome, type RunRef, type RunReport, type Totals } from '../model';
import type { LineSpool } from '../ports';
import { spoolRows } from '../report/report-rows';
import { absenteeEntry, buildReport, sortAbsentees, type ReportDetails } from '../sync/report';

export class RowOutcomes {
  private readonly list: RowOutcome[] = [];
  /** Spooled: the spool line of each row's latest outcome (-1: none yet), indexed by row. */
  private lineOfRow = new Int32Array(0);
  private readonly absent = new Map<string, AbsenteeOutcome>();
  private readonly added = new Map<Outcome, number>();
  /** Lines spooled so far. */
  private lines = 0;
  /** What mark() saw, for rollback(): the list's length, the lines, the counts, rows' earlier lines. */
  private marked?: { list: number; lines: number; added: Map<Outcome, number>; earlier: Map<number, number> };

  constructor(private readonly spool?: LineSpool) {}

  add(outcome: RowOutcome): void {
    this.added.set(outcome.outcome, (this.added.get(outcome.outcome) ?? 0) + 1);
    if (!this.spool) {
      this.list.push(outcome);
      return;
    }
    if (outcome.absent) {
      this.absent.set(outcome.login, absenteeEntry(outcome));
      return;
    }
    const { row } = outcome;
    if (!Number.isInteger(row) || row < 0) throw new RangeError(`a row outcome needs a row number, got ${row}`);
    if (row >= this.lineOfRow.length) {
      const grown = new Int32Array(Math.max(1024, row + 1, this.lineOfRow.length * 2)).fill(-1);
      grown.set(this.lineOfRow);
      this.lineOfRow = grown;
    }
    if (this.marked && this.lineOfRow[row] >= 0 && this.lineOfRow[row] < this.marked.lines && !this.marked.earlier.has(row)) {
      this.marked.earlier.set(row, this.lineOfRow[row]);
    }
    this.lineOfRow[row] = this.spool.append(JSON.stringify(outcome));
    this.lines += 1;
  }

  /** Remembers where the outcomes stand, so rollback() can undo what is added after. */
  mark(): void {
    this.marked = { list: this.list.length, lines: this.lines, added: new Map(this.added), earlier: new Map() };
  }

  /**
   * Takes back the row outcomes added since mark() (a plan made again). Absentee outcomes are not
   * taken back: planning settles rows only.
   */
  rollback(): void {
    const marked = this.marked;
    if (!marked) throw new Error('rollback() without mark()');
    this.list.length = marked.list;
    this.added.clear();
    for (const [outcome, n] of marked.added) this.added.set(outcome, n);
    // Spooled: rows whose latest line came after the mark get their earlier line back (or none).
    for (let row = 0; row < this.lineOfRow.length; row++) {
      if (this.lineOfRow[row] >= marked.lines) this.lineOfRow[row] = marked.earlier.get(row) ?? -1;
    }
    this.marked = undefined;
  }

  addAll(outcomes: Iterable<RowOutcome>): void {
    for (const o of outcomes) this.add(o);
  }

  /** Outcomes added with this outcome (every add counts, a row's earlier outcomes too). */
  count(outcome: Outcome): number {
    return this.added.get(outcome) ?? 0;
  }

  /**
   * Every outcome as recorded, for a ledger: in memory, all of them in the order added; spooled,
   * each row's latest (in row order), then the absentees.
   */
  all(): RowOutcome[] {
    if (!this.spool) return this.list;
    return [...this.recorded()];
  }

  /** What all() returns, one outcome at a time: a spooled run's rows are read from the spool as it goes. */
  *recorded(): Iterable<RowOutcome> {
    if (!this.spool) {
      yield* this.list;
      return;
    }
    yield* this.rows();
    for (const a of this.absent.values()) yield { row: 0, absent: true, ...a };
  }

  /** Spooled: each row's latest outcome, in row order, read back from the spool. */
  private *rows(): Iterable<RowOutcome> {
    const spool = this.spool!;
    const lines = this.lineOfRow;
    function* indexes() {
      for (let row = 0; row < lines.length; row++) if (lines[row] >= 0) yield lines[row];
    }
    for (const line of spool.read(indexes())) yield JSON.parse(line) as RowOutcome;
  }

  /** The run's report (see buildReport), its rows read from the spool when there is one. */
  report(run: RunRef, startedAt: Date, finishedAt: Date, details: ReportDetails = {}): RunReport {
    if (!this.spool) return buildReport(run, startedAt, finishedAt, this.list, details);
    // One pass for the figures the report states before its rows.
    const totals = { rows: 0, absentees: this.absent.size } as Totals;
    for (const outcome of OUTCOMES) totals[outcome] = 0;
    const logins = new Set<string>();
    for (const row of this.rows()) {
      totals.rows += 1;
      totals[row.outcome] += 1;
      // Distinct logins the rows name; a row without a usable login names none.
      if (row.login) logins.add(row.login.toLowerCase());
    }
    const absentees = sortAbsentees([...this.absent.values()]);
    for (const a of absentees) totals[a.outcome] += 1;
    // The same keys in the same order as buildReport's; `rows` is read from the spool on demand.
    const report: RunReport = {
      runId: run.runId,
      file: run.file,
      status: details.status ?? (details.dryRun ? 'planned' : 'complete'),
      ...(details.dryRun ? { dryRun: true } : {}),
      roster: { mode: details.mode ?? 'delta', rows: totals.rows, logins: logins.size },
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      totals,
      guards: details.guards ?? [],
      ...(details.reason ? { reason: details.reason } : {}),
      rows: [],
      absentees,
    };
    return spoolRows(report, () => this.rows());
  }
}
