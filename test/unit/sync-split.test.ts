import { describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../lambdas/adapters/local/console-notifier';
import { MemoryLedger } from '../../lambdas/adapters/local/memory-ledger';
import { MemoryQueue } from '../../lambdas/adapters/local/memory-queue';
import type { SyncMessage } from '../../lambdas/core/model';
import { HrFileError } from '../../lambdas/core/hr/read-hr-file';
import { channelFor, runIdFor } from '../../lambdas/core/sync/route';
import { SplitStoppedError, splitHrFile } from '../../lambdas/core/sync/split';
import { csvStream, testConfig } from '../support/factories';

const run = { runId: 'hr-abc', file: 'incoming/hr.csv' };

describe('splitHrFile', () => {
  it('queues one message per valid row, in chunks, and settles bad rows as rejected', async () => {
    // Prepare
    const sent: SyncMessage[][] = [];
    const queue = { send: async (m: SyncMessage[]) => void sent.push(m) };
    const ledger = new MemoryLedger();
    const notifier = new ConsoleNotifier(() => {});
    const rows = Array.from({ length: 5 }, (_, i) => `u.${i},u${i}@example.com`);
    const csv = ['login,email', ...rows.slice(0, 2), ',nobody@example.com', ...rows.slice(2)].join('\n');
    // Act
    const summary = await splitHrFile(csvStream(csv), run, { queue, ledger, notifier }, { sendChunk: 2 });
    // Assess
    expect(summary).toMatchObject({ rows: 6, queued: 5 });
    expect(sent.map((chunk) => chunk.length)).toEqual([2, 2, 1]);
    expect(sent.flat().map((m) => [m.record.row, m.record.login, m.runId, m.file])).toEqual([
      [1, 'u.0', 'hr-abc', 'incoming/hr.csv'], [2, 'u.1', 'hr-abc', 'incoming/hr.csv'],
      [4, 'u.2', 'hr-abc', 'incoming/hr.csv'], [5, 'u.3', 'hr-abc', 'incoming/hr.csv'], [6, 'u.4', 'hr-abc', 'incoming/hr.csv'],
    ]);
    expect(ledger.outcomes('hr-abc')).toEqual([
      { row: 3, login: '', outcome: 'rejected', errors: ['incoming/hr.csv, row 3: field "login": required (the Coupa login is the match key)'] },
    ]);
    expect(notifier.sent[0].subject).toBe('Coupa user sync: 1 row(s) not applied from incoming/hr.csv');
  });

  it('propagates a file-level error so the run is reported as not started', async () => {
    const queue = new MemoryQueue();
    const error = await splitHrFile(csvStream('mail\nx\n'), run, { queue, ledger: new MemoryLedger(), notifier: new ConsoleNotifier(() => {}) }).catch((e) => e);
    expect(error).toBeInstanceOf(HrFileError);
    expect(queue.size).toBe(0);
  });
});

describe('routing', () => {
  it('picks the channel by key prefix, else by config', () => {
    expect(channelFor('incoming/csv/x.csv', testConfig())).toBe('csv');
    expect(channelFor('incoming/api/x.csv', testConfig({ delivery: 'csv' }))).toBe('api');
    expect(channelFor('incoming/x.csv', testConfig({ delivery: 'csv' }))).toBe('csv');
    expect(channelFor('incoming/x.csv', testConfig())).toBe('api');
  });

  it('gives one object version one stable, key-safe run id', () => {
    const id = runIdFor('bucket', 'incoming/Workday export (1).csv', 'v1');
    expect(id).toMatch(/^Workday_export__1_-[0-9a-f]{12}$/);
    expect(runIdFor('bucket', 'incoming/Workday export (1).csv', 'v1')).toBe(id);
    expect(runIdFor('bucket', 'incoming/Workday export (1).csv', 'v2')).not.toBe(id);
  });
});

describe('splitHrFile on a file broken part-way', () => {
  it('queues every valid row it read before the break and says how far it got', async () => {
    // Prepare: 150 good rows, then an unterminated quote
    const rows = Array.from({ length: 150 }, (_, i) => `u.${i},u${i}@example.com`);
    const csv = ['login,email', ...rows, '"broken,x@example.com'].join('\n');
    const queue = new MemoryQueue();
    // Act
    const error = await splitHrFile(csvStream(csv), run, { queue, ledger: new MemoryLedger(), notifier: new ConsoleNotifier(() => {}) }).catch((e) => e);
    // Assess
    expect(error).toBeInstanceOf(SplitStoppedError);
    expect(error).toBeInstanceOf(HrFileError);
    // (the parser may hold a few rows when it fails: what counts is that queued = read, and both are told)
    expect(error.summary.rows).toBeGreaterThan(100);
    expect(error.summary.queued).toBe(error.summary.rows);
    expect(queue.size).toBe(error.summary.queued);
    expect(error.message).toMatch(/^incoming\/hr.csv: cannot read the file as CSV/);
  });
});
