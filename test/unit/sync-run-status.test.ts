import { describe, expect, it } from 'vitest';
import type { RowOutcome, RunReport } from '../../lambdas/core/model';
import type { BreakerVerdict, Notification } from '../../lambdas/core/ports';
import { runDigest } from '../../lambdas/core/sync/notify';
import { buildReport } from '../../lambdas/core/sync/report';
import { inPassOrder, REPORT_RUN_RESERVE_MS, reportPendingRuns, type PendingRunStore, type ReportRunsDeps } from '../../lambdas/core/sync/report-runs';
import { assessRun, overdueError, type RecordedOutcomes, type RunSplit } from '../../lambdas/core/sync/run-status';

const run = { runId: 'hr-0123456789ab', file: 'incoming/hr.csv' };
const split: RunSplit = { run, rows: 3, splitAt: '2026-11-23T04:00:00.000Z' };
const at = (minutes: number) => new Date(Date.parse(split.splitAt) + minutes * 60_000).toISOString();
const rec = (minutes: number, ...outcomes: RowOutcome[]): RecordedOutcomes => ({ recordedAt: at(minutes), outcomes });
const row = (n: number, outcome: RowOutcome['outcome'], errors?: string[]): RowOutcome => ({ row: n, login: `user.${n}`, outcome, ...(errors ? { errors } : {}) });
const soon = new Date(at(10));

describe('assessRun', () => {
  it('waits while a row has no outcome yet, naming the missing rows', () => {
    // Prepare
    const records = [rec(1, row(1, 'created')), rec(2, row(3, 'unchanged'))];
    // Act
    const status = assessRun(split, records, soon, 24);
    // Assess
    expect(status).toEqual({ state: 'waiting', missingRows: [2] });
  });

  it('is complete when every row has an outcome: report from split time to the last record, in row order', () => {
    // Prepare: the splitter's rejected row and two consumer batches, listed out of order.
    const records = [rec(3, row(3, 'failed', ['Email has already been taken'])), rec(0, row(2, 'rejected', ['bad e-mail'])), rec(2, row(1, 'updated'))];
    // Act
    const status = assessRun(split, records, soon, 24);
    // Assess
    expect(status.state).toBe('complete');
    if (status.state === 'waiting') return;
    expect(status.report).toEqual(buildReport(run, new Date(split.splitAt), new Date(at(3)), [row(1, 'updated'), row(2, 'rejected', ['bad e-mail']), row(3, 'failed', ['Email has already been taken'])]));
    expect(status.report.totals).toMatchObject({ rows: 3, updated: 1, rejected: 1, failed: 1 });
  });

  it('counts a row recorded twice after a redelivery once, keeping the later outcome', () => {
    // Prepare: row 1 first failed in a consumer, then its redelivery found it applied; row 2 never came.
    const records = [rec(5, row(1, 'unchanged')), rec(1, row(1, 'failed', ['timeout'])), rec(2, row(3, 'created'))];
    // Act
    const waiting = assessRun(split, records, soon, 24);
    const complete = assessRun(split, [...records, rec(6, row(2, 'created'))], soon, 24);
    // Assess: two records for row 1 do not stand in for row 2.
    expect(waiting).toEqual({ state: 'waiting', missingRows: [2] });
    expect(complete.state === 'complete' && complete.report.rows.map((r) => r.outcome)).toEqual(['unchanged', 'created', 'created']);
    expect(complete.state === 'complete' && complete.report.totals.rows).toBe(3);
  });

  it('counts submitted as final, and lets a later applied or failed of that row replace it', () => {
    // Prepare
    const submittedOnly = [rec(1, row(1, 'submitted'), row(2, 'submitted'), row(3, 'submitted'))];
    const withVerdicts = [...submittedOnly, rec(9, row(1, 'applied'), row(2, 'failed', ['Login is invalid']))];
    // Act
    const first = assessRun(split, submittedOnly, soon, 24);
    const later = assessRun(split, withVerdicts, soon, 24);
    // Assess
    expect(first.state === 'complete' && first.report.totals).toMatchObject({ rows: 3, submitted: 3 });
    expect(later.state === 'complete' && later.report.totals).toMatchObject({ rows: 3, applied: 1, failed: 1, submitted: 1 });
    expect(later.state === 'complete' && later.report.finishedAt).toBe(at(9));
  });

  it('prefers a verdict over submitted recorded at the same instant', () => {
    // Act
    const status = assessRun({ ...split, rows: 1 }, [rec(4, row(1, 'applied')), rec(4, row(1, 'submitted'))], soon, 24);
    // Assess
    expect(status.state === 'complete' && status.report.rows).toEqual([row(1, 'applied')]);
  });

  it('reports an overdue run anyway, every missing row failed with the reason, closed at now', () => {
    // Prepare
    const now = new Date(at(24 * 60 + 1));
    // Act
    const status = assessRun(split, [rec(1, row(2, 'created'))], now, 24);
    // Assess
    expect(status.state).toBe('overdue');
    if (status.state === 'waiting') return;
    expect(status.missingRows).toEqual([1, 3]);
    expect(status.report.rows).toEqual([
      { row: 1, login: '', outcome: 'failed', errors: [overdueError(24)] },
      row(2, 'created'),
      { row: 3, login: '', outcome: 'failed', errors: ['no outcome recorded within 24 h (check the DLQ and logs)'] },
    ]);
    expect(status.report.totals).toMatchObject({ rows: 3, created: 1, failed: 2 });
    expect(status.report.finishedAt).toBe(now.toISOString());
  });

  it('reports an overdue run\'s absentees that never settled as failed when their logins are known, each settled one once', () => {
    // Prepare: 1 row and 3 absentees queued; gone.a recorded twice, gone.b once, gone.c never.
    const now = new Date(at(24 * 60 + 1));
    const absent = (login: string, outcome: RowOutcome['outcome']): RowOutcome => ({ row: 0, absent: true, login, outcome });
    const records = [rec(1, row(1, 'created'), absent('gone.a', 'failed')), rec(2, absent('gone.b', 'deactivated')), rec(3, absent('Gone.A', 'deactivated'))];
    const withLogins = { ...split, rows: 1, absentees: 3, absenteeLogins: ['gone.a', 'gone.b', 'gone.c'] };
    // Act
    const waiting = assessRun(withLogins, records, soon, 24);
    const overdue = assessRun(withLogins, records, now, 24);
    // Assess
    expect(waiting).toEqual({ state: 'waiting', missingRows: [] });
    expect(overdue.state === 'overdue' && overdue.report.absentees).toEqual([
      { login: 'Gone.A', outcome: 'deactivated' },
      { login: 'gone.b', outcome: 'deactivated' },
      { login: 'gone.c', outcome: 'failed', errors: [overdueError(24)] },
    ]);
    expect(overdue.state === 'overdue' && overdue.report.totals).toMatchObject({ rows: 1, absentees: 3, created: 1, deactivated: 2, failed: 1 });
  });

  it('counts a held row as settled while the run is held, and waits for it once the run is approved', () => {
    // Prepare: rows 1 and 3 applied, row 2 held by a guard (roster.onHold "apply-rest").
    const records = [rec(1, row(1, 'created'), row(2, 'held', ['held by the deactivation guard']), row(3, 'unchanged'))];
    const held = { ...split, details: { status: 'held' as const } };
    const approved = { ...split, details: { status: 'complete' as const } };
    // Act
    const whileHeld = assessRun(held, records, soon, 24);
    const onceApproved = assessRun(approved, records, soon, 24);
    const applied = assessRun(approved, [...records, rec(5, row(2, 'deactivated'))], soon, 24);
    // Assess
    expect(whileHeld.state === 'complete' && whileHeld.report.rows.map((r) => r.outcome)).toEqual(['created', 'held', 'unchanged']);
    expect(whileHeld.state === 'complete' && whileHeld.report.status).toBe('held');
    expect(onceApproved).toEqual({ state: 'waiting', missingRows: [2] });
    expect(applied.state === 'complete' && applied.report.rows.map((r) => r.outcome)).toEqual(['created', 'deactivated', 'unchanged']);
  });

  it('completes a run without data rows at once', () => {
    // Act
    const status = assessRun({ ...split, rows: 0 }, [], soon, 24);
    // Assess
    expect(status.state === 'complete' && status.report).toMatchObject({ startedAt: split.splitAt, finishedAt: split.splitAt, totals: { rows: 0 } });
  });
});

describe('runDigest', () => {
  it('is info with the totals when every row went through', () => {
    // Prepare
    const report = buildReport(run, new Date(split.splitAt), new Date(at(3)), [row(1, 'created'), row(2, 'unchanged')]);
    // Act
    const n = runDigest(report, ['s3://b/runs/x/report.html', 's3://b/runs/x/report.json']);
    // Assess
    expect(n).toEqual({
      kind: 'digest',
      severity: 'info',
      subject: 'Coupa user sync report: incoming/hr.csv: all rows done',
      message: `Run ${run.runId}, file incoming/hr.csv: 2 row(s): 1 created, 1 unchanged.\nReport: s3://b/runs/x/report.html\nReport: s3://b/runs/x/report.json`,
      run,
    });
  });

  it('is info counting the rows the config skips on purpose (a footer, a duplicate row): they are no failure', () => {
    // Prepare
    const report = buildReport(run, new Date(split.splitAt), new Date(at(3)), [
      row(1, 'created'),
      { row: 2, login: 'user.1', outcome: 'skipped', skippedBy: 'hr.duplicates', errors: ['incoming/hr.csv, row 2: duplicate of row 1 (the same values): row 1 applies'] },
      { row: 3, login: '', outcome: 'skipped', skippedBy: 'hr.rows.skip', errors: ['skipped by hr.rows.skip[0] (column "Type" equals "Total")'] },
    ]);
    // Act
    const n = runDigest(report);
    // Assess
    expect(n.severity).toBe('info');
    expect(n.message.split('\n')).toEqual([
      `Run ${run.runId}, file incoming/hr.csv: 3 row(s): 1 created, 2 skipped.`,
      '1 row(s) skipped by hr.rows.skip.',
      '1 row(s) skipped as duplicates of another row of their login (hr.duplicates).',
      ]);
    });

  it("names the run's Coupa integration run, and the monitoring warning, after the report locations", () => {
    // Prepare
    const report = buildReport(run, new Date(split.splitAt), new Date(at(3)), [row(1, 'created')]);
    report.coupaMonitoring = { integrationRunId: '17', status: 'failed', raised: 2, resolved: 1, url: 'https://acme.coupahost.com/integration_runs/17', warning: 'could not resolve one error' };
    // Act
    const n = runDigest(report, ['s3://b/runs/x/report.html']);
    // Assess
    expect(n.message.split('\n').slice(1)).toEqual([
      'Report: s3://b/runs/x/report.html',
      'Coupa integration run 17: failed, 2 errors raised, 1 resolved (https://acme.coupahost.com/integration_runs/17)',
      'Warning: could not resolve one error',
    ]);
  });

  it('is a failure listing every row not applied, unknown logins named as such and left out of the logins', () => {
    // Prepare
    const report = buildReport(run, new Date(split.splitAt), new Date(at(3)), [
      row(1, 'failed', ['Email has already been taken']),
      { row: 2, login: '', outcome: 'failed', errors: [overdueError(24)] },
      row(3, 'rejected', ['bad e-mail']),
    ]);
    // Act
    const n = runDigest(report);
    // Assess
    expect(n.severity).toBe('failure');
    expect(n.subject).toBe('Coupa user sync report: incoming/hr.csv: 3 row(s) not applied');
    expect(n.message.split('\n')).toEqual([
      `Run ${run.runId}, file incoming/hr.csv: 3 row(s): 1 rejected, 2 failed.`,
      'row 1, login user.1: failed — Email has already been taken',
      'row 2, login (unknown): failed — no outcome recorded within 24 h (check the DLQ and logs)',
      'row 3, login user.3: rejected — bad e-mail',
    ]);
    expect(n.logins).toEqual(['user.1', 'user.3']);
  });
});

describe('runDigest of a full roster', () => {
  it('is a failure naming an absentee whose deactivation failed, even when every row went through', () => {
    // Prepare
    const report = buildReport(
      run,
      new Date(split.splitAt),
      new Date(at(3)),
      [row(1, 'unchanged'), { row: 0, absent: true, login: 'gone.one', outcome: 'failed', errors: ['Coupa refused it'] }, { row: 0, absent: true, login: 'gone.two', outcome: 'deactivated' }],
      { mode: 'full' },
    );
    // Act
    const n = runDigest(report, ['s3://b/runs/x/report.json']);
    // Assess
    expect(n).toEqual({
      kind: 'digest',
      severity: 'failure',
      subject: 'Coupa user sync report: incoming/hr.csv: 1 absentee(s) not applied',
      message: [
        `Run ${run.runId}, file incoming/hr.csv: 1 row(s) and 2 absentee(s): 1 deactivated, 1 unchanged, 1 failed.`,
        'Report: s3://b/runs/x/report.json',
        'absentee gone.one: failed — Coupa refused it',
      ].join('\n'),
      run,
      logins: ['gone.one'],
    });
  });
});

/** A PendingRunStore in memory: runs by id, and what the reporter did to them (no held runs). */
function memoryStore(runs: Record<string, { split: RunSplit; records: RecordedOutcomes[] } | Error>, verdicts: Record<string, BreakerVerdict> = {}) {
  const saved: string[] = [];
  const closed: string[] = [];
  const store: PendingRunStore & Pick<ReportRunsDeps['runs'], 'saveReport'> = {
    pendingRuns: async () => Object.keys(runs).filter((id) => !closed.includes(id)),
    split: async (id) => {
      const r = runs[id];
      if (r instanceof Error) throw r;
      return r.split;
    },
    outcomes: async (id) => (runs[id] as { records: RecordedOutcomes[] }).records,
    saveReport: async (report) => {
      saved.push(report.runId);
      return [`mem://${report.runId}`];
    },
    close: async (id) => void closed.push(id),
    heldRuns: async () => [],
    closeHeld: async () => {
      throw new Error('no held run here');
    },
    breakerVerdict: async (id) => verdicts[id],
  };
  return { store, saved, closed };
}

/** The reporter's other dependencies: no plan is ever asked for (no held runs). */
function reporterDeps(store: PendingRunStore & Partial<Pick<ReportRunsDeps['runs'], 'saveReport'>>, notifier: ReportRunsDeps['notifier']): ReportRunsDeps {
  const noPlans = async () => {
    throw new Error('no plan should be read');
  };
  return {
    store,
    // Reports are written through the state store; the memory store above stands in for it.
    runs: { loadPlan: noPlans, savePlan: noPlans, loadReport: noPlans, saveReport: store.saveReport ?? noPlans },
    notifier,
    clock: { now: () => soon, sleep: async () => {} },
    reportAfterHours: 24,
    expireAfterHours: 72,
  };
}

describe('reportPendingRuns', () => {
  it('reports and closes finished runs, leaves waiting ones, and carries on past a broken one', async () => {
    // Prepare
    const done = { split: { ...split, run: { ...run, runId: 'done-000000000001' }, rows: 1 }, records: [rec(1, row(1, 'created'))] };
    const open = { split: { ...split, run: { ...run, runId: 'open-000000000002' } }, records: [rec(1, row(1, 'created'))] };
    const { store, saved, closed } = memoryStore({ 'broken-000000000003': new Error('no split.json'), 'done-000000000001': done, 'open-000000000002': open });
    const published: Notification[] = [];
    // Act
    const result = await reportPendingRuns(reporterDeps(store, { publish: async (n) => void published.push(n) }));
    // Assess
    expect(result).toEqual({
      reported: [{ runId: 'done-000000000001', state: 'complete' }],
      expired: [],
      waiting: ['open-000000000002'],
      deferred: [],
      errors: [{ runId: 'broken-000000000003', error: 'no split.json' }],
    });
    expect(saved).toEqual(['done-000000000001']);
    expect(closed).toEqual(['done-000000000001']);
    expect(published.map((n) => [n.severity, n.run?.runId])).toEqual([['info', 'done-000000000001']]);
    expect(published[0].message).toContain('Report: mem://done-000000000001');
  });

  it('reports a run the circuit breaker stopped as "stopped", with the breaker\'s reason, once every row has its outcome', async () => {
    // Prepare: two rows, both failed; the consumers recorded a tripped verdict
    const reason = 'the circuit breaker stopped run r-000000000001 after 11 of the first 11 writes failed (apply.maxFailureShare 0.5 of apply.breakerWindow 20); the first failures say what is wrong';
    const failed = (n: number) => row(n, 'failed', ['Department is invalid']);
    const { store, closed } = memoryStore(
      { 'r-000000000001': { split: { ...split, run: { ...run, runId: 'r-000000000001' }, rows: 2 }, records: [rec(1, failed(1), failed(2))] }, 'p-000000000002': { split: { ...split, run: { ...run, runId: 'p-000000000002' }, rows: 1 }, records: [rec(1, row(1, 'created'))] } },
      {
        'r-000000000001': { state: 'tripped', writes: 11, failures: 11, at: '2026-11-23T04:10:00.000Z', reason },
        'p-000000000002': { state: 'passed', writes: 20, failures: 0, at: '2026-11-23T04:10:00.000Z' },
      },
    );
    const reports: RunReport[] = [];
    const published: Notification[] = [];
    // Act
    const result = await reportPendingRuns({ ...reporterDeps(store, { publish: async (n) => void published.push(n) }), runs: { ...reporterDeps(store, { publish: async () => {} }).runs, saveReport: async (r) => (reports.push(r), [`mem://${r.runId}`]) } });
    // Assess
    expect(result.reported).toEqual([{ runId: 'r-000000000001', state: 'complete' }, { runId: 'p-000000000002', state: 'complete' }]);
    expect(reports.map((r) => [r.runId, r.status, r.reason])).toEqual([['r-000000000001', 'stopped', reason], ['p-000000000002', 'complete', undefined]]);
    expect(closed).toEqual(['r-000000000001', 'p-000000000002']);
    expect(published.map((n) => n.kind)).toEqual(['digest', 'digest']);
  });

  it('keeps the run pending when the digest cannot be published, so the next pass tries again', async () => {
    // Prepare
    const { store, closed } = memoryStore({ 'r-000000000001': { split: { ...split, rows: 1 }, records: [rec(1, row(1, 'created'))] } });
    // Act
    const result = await reportPendingRuns(reporterDeps(store, { publish: async () => { throw new Error('SNS down'); } }));
    // Assess
    expect(result.errors).toEqual([{ runId: 'r-000000000001', error: 'SNS down' }]);
    expect(closed).toEqual([]);
  });

  it('is not starved by a run that takes a whole pass: each pass starts at another run, and stops in time', async () => {
    // Prepare: three finished runs; assessing "huge" uses up the pass's time.
    const finished = (runId: string) => ({ split: { ...split, run: { ...run, runId }, rows: 1 }, records: [rec(1, row(1, 'created'))] });
    const ids = ['huge-000000000001', 'next-000000000002', 'last-000000000003'];
    const { store, saved } = memoryStore(Object.fromEntries(ids.map((id) => [id, finished(id)])));
    let timeLeft = 0;
    const readOutcomes = store.outcomes;
    store.outcomes = async (id) => {
      if (id === ids[0]) timeLeft = REPORT_RUN_RESERVE_MS - 1;
      return readOutcomes(id);
    };
    const passAt = (slot: number) => new Date(Date.UTC(2026, 10, 29, 0, 5 * slot));
    const pass = (slot: number) => {
      timeLeft = 10 * 60_000;
      return reportPendingRuns({ ...reporterDeps(store, { publish: async () => {} }), clock: { now: () => passAt(slot), sleep: async () => {} }, timeLeftMs: () => timeLeft });
    };
    // Act: a pass whose slot starts at the huge run, then the next slot.
    const slotOfHuge = [0, 1, 2].find((slot) => inPassOrder(ids, passAt(slot))[0] === ids[0])!;
    const first = await pass(slotOfHuge);
    const second = await pass(slotOfHuge + 1);
    // Assess
    expect(first.reported).toEqual([{ runId: ids[0], state: 'complete' }]);
    expect(first.deferred).toEqual([ids[1], ids[2]]);
    expect(second.reported.map((r) => r.runId).sort()).toEqual([ids[1], ids[2]].sort());
    expect(saved.sort()).toEqual([...ids].sort());
  });
});

describe('inPassOrder', () => {
  it('starts each 5-minute pass at the next run, so every run comes first once in n passes', () => {
    // Prepare
    const ids = ['a', 'b', 'c'];
    // Act
    const firsts = [0, 1, 2, 3].map((slot) => inPassOrder(ids, new Date(Date.UTC(2026, 0, 1, 0, 5 * slot)))[0]);
    // Assess
    expect(new Set(firsts.slice(0, 3))).toEqual(new Set(ids));
    expect(firsts[3]).toBe(firsts[0]);
    expect(inPassOrder([], new Date())).toEqual([]);
  });
});
