import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import { consumerShare, coupaConfigAtRate, rateShares, worstCaseRate } from '../../lambdas/core/rate-shares';

const configs = [
  {},
  { api: { maxConcurrency: 5 } },
  { api: { maxConcurrency: 50 }, coupa: { instanceRatePerSecond: 25 } },
  { api: { maxConcurrency: 1000 }, coupa: { instanceRatePerSecond: 25 } },
  { api: { maxConcurrency: 3 }, coupa: { instanceRatePerSecond: 1 } },
  { api: { maxConcurrency: 2 }, coupa: { instanceRatePerSecond: 0.5 } },
  { api: { maxConcurrency: 7 }, coupa: { instanceRatePerSecond: 13.7 } },
];

describe('rateShares', () => {
  it.each(configs)('never lets everything at once exceed coupa.instanceRatePerSecond, and leaves every share something: %j', (input) => {
    // Prepare
    const config = parseConfig(input);
    // Act
    const shares = rateShares(config);
    // Assess
    expect(shares.budget).toBe(config.coupa.instanceRatePerSecond);
    expect(worstCaseRate(shares, config.api.maxConcurrency)).toBeLessThanOrEqual(config.coupa.instanceRatePerSecond + 1e-9);
    for (const share of [shares.turn, shares.consumer, shares.preview, shares.strayConsumer, shares.poller]) expect(share).toBeGreaterThan(0);
  });

  it('gives the defaults (20 req/s, 2 consumers) these figures', () => {
    // Act
    const shares = rateShares(parseConfig({}));
    // Assess
    expect(shares).toEqual({ budget: 20, turn: 16, consumer: 8, preview: 3, strayConsumer: 1 / 3, poller: 1 / 3 });
  });
});

describe('consumerShare', () => {
  it('gives a batch of the turn-holding run the consumer share', () => {
    expect(consumerShare(['run-a', 'run-a'], 'run-a')).toBe('consumer');
  });

  it('gives a batch of another run, a mixed batch, or one with the holder unknown the stray share', () => {
    expect(consumerShare(['run-b'], 'run-a')).toBe('strayConsumer');
    expect(consumerShare(['run-a', 'run-b'], 'run-a')).toBe('strayConsumer');
    expect(consumerShare(['run-a'], undefined)).toBe('strayConsumer');
  });
});

describe('coupaConfigAtRate', () => {
  it('sets the client to the share, never above coupa.ratePerSecond, with a burst of at least one', () => {
    // Prepare
    const coupa = parseConfig({ coupa: { ratePerSecond: 5, burst: 20 } }).coupa;
    // Act / Assess
    expect([coupaConfigAtRate(coupa, 8).ratePerSecond, coupaConfigAtRate(coupa, 8).burst]).toEqual([5, 5]);
    expect([coupaConfigAtRate(coupa, 2.5).ratePerSecond, coupaConfigAtRate(coupa, 2.5).burst]).toEqual([2.5, 2]);
    expect([coupaConfigAtRate(coupa, 1 / 3).ratePerSecond, coupaConfigAtRate(coupa, 1 / 3).burst]).toEqual([1 / 3, 1]);
  });
});
