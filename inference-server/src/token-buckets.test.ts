import { TokenBuckets } from './token-buckets.js';

describe('TokenBuckets', () => {
  it('allows the burst, then asks to wait, and refills over time', () => {
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3 });
    expect([0, 1, 2, 3].map(() => buckets.take('a', 0))).toEqual([0, 0, 0, 1]);
    expect(buckets.take('a', 500)).toBe(0);
    expect(buckets.take('b', 500)).toBe(0);
  });

  it('keeps tracked clients when a flood of new keys fills the table', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 2 }, 100);
    buckets.take('victim', 0);
    buckets.take('victim', 0);
    expect(buckets.take('victim', 0)).toBe(1);
    for (let i = 0; i < 100_000; i++) buckets.take(`spoofed-${i}`, 10);
    expect(buckets.size).toBeLessThanOrEqual(101);
    // The victim's empty bucket was not evicted (which would have refilled it) …
    expect(buckets.take('victim', 20)).toBe(1);
    // … and the flood of new keys shares one overflow bucket, long exhausted.
    expect(buckets.take('spoofed-new', 20)).toBeGreaterThan(0);
  });

  it('makes room by dropping buckets of idle clients, which are full again anyway', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 2 }, 10);
    for (let i = 0; i < 10; i++) buckets.take(`idle-${i}`, 0);
    expect(buckets.take('newcomer', 5000)).toBe(0);
    expect(buckets.size).toBe(1);
  });
});
