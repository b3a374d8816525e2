import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from '../../lambdas/adapters/aws/sqs-visibility';

describe('retry backoff of handed-back messages (issue 9: not the 31.5-minute visibility timeout)', () => {
  it('doubles from 30 s with each delivery and stops at 15 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(retryDelaySeconds)).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
  });
});
