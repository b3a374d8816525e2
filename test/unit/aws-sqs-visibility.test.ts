import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../lambdas/adapters/aws/sqs-visibility';

describe('retry backoff of handed-back messages (issue 9: not the 31.5-minute visibility timeout)', () => {
  it('doubles from 1 minute with each delivery and stops at 30 minutes (10 deliveries span about 2.5 h)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelaySeconds)).toEqual([60, 120, 240, 480, 960, 1800, 1800, 1800]);
    const span = Array.from({ length: 9 }, (_, i) => retryDelaySeconds(i + 1)).reduce((a, b) => a + b, 0);
    expect(span / 3600).toBeCloseTo(2.5, 1);
  });
});
