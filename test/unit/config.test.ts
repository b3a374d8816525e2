import { describe, expect, it } from 'vitest';
import { configFromEnv, parseConfig, perProcessCoupaConfig } from '../../lambdas/core/config';

describe('parseConfig', () => {
  it('defaults every option, so {} is a working config', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ delivery: 'api', coupa: { flavor: 'core', format: 'xml', ratePerSecond: 20, lookupBatchSize: 50 }, csv: { remoteDirectory: '/Incoming/Users', maxRowsPerFile: 5000 } });
  });

  it('reports an unfinished AWS run after 24 h unless configured otherwise', () => {
    expect(parseConfig({}).reports.reportAfterHours).toBe(24);
    expect(parseConfig({ reports: { reportAfterHours: 2 } }).reports.reportAfterHours).toBe(2);
    expect(() => parseConfig({ reports: { reportAfterHours: 0 } })).toThrow(/reports\.reportAfterHours/);
  });

  it('names every bad field in one error', () => {
    expect(() => parseConfig({ delivery: 'fax', coupa: { ratePerSecond: 99 }, notifications: { email: 'nope' } })).toThrow(
      /delivery: .*\n.*coupa\.ratePerSecond: Too big.*\n.*notifications\.email/s,
    );
  });

  it('reads the Lambdas\' config from COUPA_SYNC_CONFIG', () => {
    expect(configFromEnv({ COUPA_SYNC_CONFIG: JSON.stringify({ delivery: 'csv' }) }).delivery).toBe('csv');
    expect(configFromEnv({}).delivery).toBe('api');
  });
});

describe('perProcessCoupaConfig', () => {
  it('splits the instance budget across concurrent consumers, never above the configured rate', () => {
    const two = perProcessCoupaConfig(parseConfig({ api: { maxConcurrency: 2 } }));
    expect([two.ratePerSecond, two.burst]).toEqual([10, 10]);
    const five = perProcessCoupaConfig(parseConfig({ api: { maxConcurrency: 5 }, coupa: { instanceRatePerSecond: 25 } }));
    expect([five.ratePerSecond, five.burst]).toEqual([5, 5]);
    const cli = perProcessCoupaConfig(parseConfig({}), 1);
    expect([cli.ratePerSecond, cli.burst]).toEqual([20, 20]);
    expect(2 * two.ratePerSecond).toBeLessThanOrEqual(25);
  });
});
