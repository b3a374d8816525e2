/** The handlers' metrics: outcomes counted as they are recorded, Coupa requests from the client hook, one namespace, two dimensions. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { M } from '../../lambdas/adapters/aws/metric-names';
import { countCoupaRequest, countingLedger, flushMetrics, metrics, setChannel } from '../../lambdas/adapters/aws/wiring/metrics';
import { logger } from '../../lambdas/adapters/aws/wiring/runtime';
import type { RowOutcome } from '../../lambdas/core/model';
import type { OutcomeLedger } from '../../lambdas/core/ports';

let blobs: Array<Record<string, any>>;

beforeEach(() => {
  blobs = [];
  // Powertools prints each EMF blob as one JSON line on stdout.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.includes('"_aws"')) blobs.push(JSON.parse(line));
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    if (typeof line === 'string' && line.includes('"_aws"')) blobs.push(JSON.parse(line));
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

const outcome = (row: number, o: RowOutcome['outcome']): RowOutcome => ({ row, login: `u${row}`, outcome: o });

describe('handler metrics', () => {
  it('counts each recorded outcome by kind once the ledger has it, with the channel and service dimensions', async () => {
    // Prepare
    const recorded: RowOutcome[][] = [];
    const ledger = countingLedger({ record: async (_run, outcomes) => void recorded.push(outcomes) });
    setChannel('api');
    // Act
    await ledger.record({ runId: 'r-1', file: 'incoming/hr.csv' }, [
      outcome(1, 'created'), outcome(2, 'updated'), outcome(3, 'updated'), outcome(4, 'deactivated'),
      outcome(5, 'reactivated'), outcome(6, 'unchanged'), outcome(7, 'failed'), outcome(8, 'rejected'), outcome(9, 'held'),
    ]);
    flushMetrics();
    // Assess
    expect(recorded).toHaveLength(1);
    expect(blobs).toHaveLength(1);
    const [blob] = blobs;
    expect(blob).toMatchObject({
      service: 'coupa-user-sync',
      channel: 'api',
      [M.usersCreated]: 1,
      [M.usersUpdated]: 2,
      [M.usersDeactivated]: 1,
      [M.usersReactivated]: 1,
      [M.usersUnchanged]: 1,
      [M.usersFailed]: 1,
      [M.rowsRejected]: 1,
    });
    expect(blob._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'CoupaUserSync', Dimensions: [expect.arrayContaining(['service', 'channel'])] });
    expect(JSON.stringify(blob)).not.toMatch(/r-1|u\d|hr\.csv/);
  });

  it('counts nothing when the ledger refuses the outcomes', async () => {
    // Prepare
    const failing: OutcomeLedger = { record: async () => Promise.reject(new Error('S3 down')) };
    // Act / Assess
    await expect(countingLedger(failing).record({ runId: 'r', file: 'f' }, [outcome(1, 'created')])).rejects.toThrow('S3 down');
    expect(metrics.hasStoredMetrics()).toBe(false);
  });

  it('turns Coupa request events into latency, request, 429 and retry counts', () => {
    // Prepare
    setChannel('csv');
    // Act
    countCoupaRequest({ method: 'GET', path: '/api/users', status: 200, attempt: 1, ms: 120 });
    countCoupaRequest({ method: 'PUT', path: '/api/users/7', status: 429, attempt: 1, ms: 30 });
    countCoupaRequest({ method: 'PUT', path: '/api/users/7', status: 200, attempt: 2, ms: 80 });
    flushMetrics();
    // Assess
    const [blob] = blobs;
    expect(blob).toMatchObject({ channel: 'csv', [M.coupaRequests]: [1, 1, 1], [M.coupaThrottled]: 1, [M.coupaRetries]: 1 });
    expect(blob[M.coupaLatency]).toEqual([120, 30, 80]);
    const units = Object.fromEntries(blob._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string; Unit: string }) => [m.Name, m.Unit]));
    expect(units[M.coupaLatency]).toBe('Milliseconds');
  });

  it('does not warn when a pass had nothing to count (the scheduled Lambdas, every 5 minutes)', () => {
    // Prepare
    const warn = vi.spyOn(logger, 'warn');
    // Act: what the logMetrics middleware does after an idle invocation
    metrics.publishStoredMetrics();
    flushMetrics();
    // Assess
    expect(warn).not.toHaveBeenCalled();
    expect(blobs).toEqual([]);
  });
});
