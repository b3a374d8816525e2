/** Row outcomes spooled to a file (the CLI's run folder) give the very report they would give in memory. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { FsLineSpool } from '../../lambdas/adapters/local/fs-line-spool';
import { FsRunStore } from '../../lambdas/adapters/local/fs-run-store';
import { runLocalPipeline } from '../../lambdas/adapters/local/local-pipeline';
import { writeReportFiles } from '../../lambdas/adapters/local/report-files';
import type { RowOutcome } from '../../lambdas/core/model';
import { REPORT_FORMATS, renderReport } from '../../lambdas/core/report';
import { MAX_TABLE_LINES } from '../../lambdas/core/report/report-tables';
import { isSpooled } from '../../lambdas/core/report/report-rows';
import { RowOutcomes } from '../../lambdas/core/run/row-outcomes';
import { runDigest } from '../../lambdas/core/sync/notify';
import { buildReport } from '../../lambdas/core/sync/report';
import { formatSummary } from '../../bin/cli/summary';
import { FakeDirectory, testConfig } from '../support/factories';

const run = { runId: 'hr-1a2b3c', file: 'incoming/hr.csv' };
const started = new Date('2026-03-02T07:15:04.120Z');
const finished = new Date('2026-03-02T07:16:16.480Z');
const details = { status: 'complete' as const, mode: 'full' as const, guards: [{ guard: 'deactivation' as const, held: false, detail: 'would deactivate 2 users' }] };

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'report-spool-'));
}

/**
 * `n` rows decided out of row order as a run decides them (unchanged first, then changes), some
 * decided twice (the later wins), with Müller/José text, errors, warnings and two absentees.
 */
function outcomesOf(n: number): RowOutcome[] {
  const outcomes: RowOutcome[] = [];
  for (let row = 1; row <= n; row++) if (row % 7 !== 0) outcomes.push({ row, login: `User.${row}`, outcome: row % 11 === 0 ? 'rejected' : 'unchanged', ...(row % 11 === 0 ? { errors: [`hr.csv, row ${row}: field "email": bad`] } : {}) });
  for (let row = 7; row <= n; row += 7) {
    const changes = [{ field: 'lastname', before: 'Müller', after: 'José "Pepe"\nLine' }];
    outcomes.push({ row, login: `user.${row}`, outcome: 'held', changedFields: ['lastname'], changes, errors: ['held'] });
    outcomes.push({ row, login: `user.${row}`, outcome: 'updated', changedFields: ['lastname'], changes, ...(row % 2 ? { warnings: ['manager left out'] } : {}) });
  }
  outcomes.push({ row: 0, absent: true, login: 'zed.gone', outcome: 'deactivated', changedFields: ['active'], changes: [{ field: 'active', before: true, after: false }] });
  outcomes.push({ row: 0, absent: true, login: 'amy.gone', outcome: 'failed', changedFields: ['active'], changes: [{ field: 'active', before: true, after: false }], errors: ['HTTP 500'] });
  return outcomes;
}

async function spooled(outcomes: RowOutcome[]) {
  const collected = new RowOutcomes(new FsLineSpool(join(await tempDir(), 'outcomes.jsonl')));
  collected.addAll(outcomes);
  return collected.report(run, started, finished, details);
}

describe('a report of spooled rows', () => {
  it('renders every format exactly as the report built from an array, without loading its rows', async () => {
    // Prepare: more rows than an HTML table shows, so the cap and its counts are compared too
    const outcomes = outcomesOf(MAX_TABLE_LINES * 8);
    const expected = buildReport(run, started, finished, outcomes, details);
    const report = await spooled(outcomes);

    // Act
    const rendered = REPORT_FORMATS.map((format) => renderReport(report, format));
    const summary = formatSummary(report, 1);
    const digest = runDigest(report, ['report.json']);

    // Assess
    expect(rendered).toEqual(REPORT_FORMATS.map((format) => renderReport(expected, format)));
    expect(rendered[0]).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(summary).toBe(formatSummary(expected, 1));
    expect(digest).toEqual(runDigest(expected, ['report.json']));
    expect(isSpooled(report)).toBe(true);
  });

  it('still has every row for a program that reads report.rows', async () => {
    // Prepare
    const outcomes = outcomesOf(100);
    const report = await spooled(outcomes);

    // Act
    const rows = report.rows;

    // Assess
    expect(isSpooled(report)).toBe(false);
    expect(report).toEqual(buildReport(run, started, finished, outcomes, details));
    expect(rows.map((r) => r.row)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('writes report.json (the state folder) and --report files byte for byte as from an array', async () => {
    // Prepare
    const dir = await tempDir();
    const outcomes = outcomesOf(3_000);
    const expected = buildReport(run, started, finished, outcomes, details);
    const report = await spooled(outcomes);
    const paths = REPORT_FORMATS.map((f) => join(dir, 'out', `report.${f}`));

    // Act
    const [stored] = await new FsRunStore(join(dir, 'state'), 'local').saveReport(report);
    await writeReportFiles(report, paths);

    // Assess
    expect(await readFile(stored, 'utf8')).toBe(renderReport(expected, 'json'));
    for (const [i, format] of REPORT_FORMATS.entries()) expect(await readFile(paths[i], 'utf8')).toBe(renderReport(expected, format));
  });

  it('renders a report with no rows as the array one does', async () => {
    // Act
    const report = await spooled([]);

    // Assess
    expect(renderReport(report, 'json')).toBe(`${JSON.stringify(buildReport(run, started, finished, [], details), null, 2)}\n`);
    expect(renderReport(report, 'csv')).toBe(renderReport(buildReport(run, started, finished, [], details), 'csv'));
  });
});

describe('RowOutcomes.rollback (a plan made again)', () => {
  it('takes back the rows added since mark(), spooled or in memory, and gives back a row\'s earlier outcome', async () => {
    // Prepare: row 1 rejected before the mark; then a first plan settles rows 1–3
    const first: RowOutcome[] = [{ row: 1, login: 'a', outcome: 'unchanged' }, { row: 2, login: 'b', outcome: 'unchanged' }, { row: 3, login: 'c', outcome: 'rejected', errors: ['x'] }];
    const second: RowOutcome[] = [{ row: 2, login: 'b', outcome: 'unchanged' }];
    const before: RowOutcome = { row: 1, login: 'a', outcome: 'rejected', errors: ['bad e-mail'] };
    const spool = new RowOutcomes(new FsLineSpool(join(await tempDir(), 'outcomes.jsonl')));
    const memory = new RowOutcomes();

    // Act
    for (const outcomes of [spool, memory]) {
      outcomes.add(before);
      outcomes.mark();
      outcomes.addAll(first);
      outcomes.rollback();
      outcomes.mark();
      outcomes.addAll(second);
    }

    // Assess
    const expected = buildReport(run, started, finished, [before, ...second], details);
    expect(spool.report(run, started, finished, details)).toEqual(expected);
    expect(memory.report(run, started, finished, details)).toEqual(expected);
    expect(memory.all()).toEqual([before, ...second]);
    expect([spool.count('rejected'), spool.count('unchanged')]).toEqual([1, 1]);
  });
});

describe('FsLineSpool', () => {
  it('reads lines back by index in any order, across its cached blocks, UTF-8 intact', async () => {
    // Prepare: lines larger than a block, and more blocks than it caches
    const spool = new FsLineSpool(join(await tempDir(), 'lines.jsonl'));
    const lines = Array.from({ length: 2_000 }, (_, i) => (i % 500 === 3 ? 'é'.repeat(300_000) : `line ${i} — Müller ✓`));
    const indexes = lines.map((line) => spool.append(line));
    const order = [...indexes].reverse().concat(indexes.filter((i) => i % 3 === 0));

    // Act
    const read = [...spool.read(order)];

    // Assess
    expect(indexes).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    expect(read).toEqual(order.map((i) => lines[i]));
    expect(() => [...spool.read([2_000])]).toThrow(/no line 2000 \(2000 lines\)/);
  });
});

describe('a CLI run of a file whose every row is rejected', () => {
  it('lists every rejection in its report, read back from the run folder', async () => {
    // Prepare: 5,000 rows, each with a bad e-mail
    const dir = await tempDir();
    const file = join(dir, 'hr.csv');
    const rows = Array.from({ length: 5_000 }, (_, i) => `user.${i},not-an-email,User,${i}`);
    await writeFile(file, ['login,email,firstname,lastname', ...rows].join('\n'));
    const stateDir = join(dir, 'state');

    // Act
    const { report } = await runLocalPipeline({ file, config: testConfig(), directory: new FakeDirectory(), notifier: new ConsoleNotifier(() => {}), stateDir });
    const json = JSON.parse(await readFile(join(stateDir, 'runs', report.runId, 'report.json'), 'utf8')) as { rows: RowOutcome[] };

    // Assess
    expect(report.totals).toMatchObject({ rows: 5_000, rejected: 5_000 });
    expect(json.rows).toHaveLength(5_000);
    expect(json.rows.map((r) => r.row)).toEqual(Array.from({ length: 5_000 }, (_, i) => i + 1));
    expect(json.rows.every((r, i) => r.outcome === 'rejected' && r.login === `user.${i}` && /field "email"/.test(r.errors?.[0] ?? ''))).toBe(true);
    expect(report.rows).toEqual(json.rows);
  });
});
