import { roundWait } from '../../src/core/sync/upsert.js';

describe('the wait between Upsert rounds', () => {
  it("honours Salesforce's Retry-After, rounded up and capped at 60 s", () => {
    expect(roundWait({ retryAfter: 7 }, () => 0.99)).toBe(7);
    expect(roundWait({ retryAfter: 2.2 }, () => 0)).toBe(3);
    expect(roundWait({ retryAfter: 3600 }, () => 0)).toBe(60);
  });

  it('without Retry-After, draws a full jitter of 0 to 2 s', () => {
    expect([0, 0.34, 0.5, 0.67, 0.999].map((r) => roundWait({ retryAfter: 0 }, () => r))).toEqual([
      0, 1, 1, 2, 2,
    ]);
  });
});
