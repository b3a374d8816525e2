import { describe, expect, it } from 'vitest';
import type { RowOutcome } from '../../lambdas/core/model';
import { runDigest } from '../../lambdas/core/sync/notify';
import { buildReport } from '../../lambdas/core/sync/report';

const run = { runId: 'hr-0123456789ab', file: 'incoming/hr.csv' };
const split = { run, rows: 3, splitAt: '2026-11-23T04:00:00.000Z' };
const at = (minutes: number) => new Date(Date.parse(split.splitAt) + minutes * 60_000).toISOString();
const row = (n: number, outcome: RowOutcome['outcome'], errors?: string[]): RowOutcome => ({ row: n, login: `user.${n}`, outcome, ...(errors ? { errors } : {}) });

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
      { row: 2, login: '', outcome: 'failed', errors: ['no outcome was recorded for this row (check the dead-letter queues and the consumer logs)'] },
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
      'row 2, login (unknown): failed — no outcome was recorded for this row (check the dead-letter queues and the consumer logs)',
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
