/**
 * Token buckets keyed by client, in a bounded table. When the table is full, buckets that have
 * refilled (their clients idle) are dropped; if none has, a new key shares one overflow bucket,
 * so a flood of new keys throttles itself and never evicts the clients already tracked.
 */
export interface BucketLimits {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const OVERFLOW = Symbol('overflow');

export class TokenBuckets {
  private readonly buckets = new Map<string | typeof OVERFLOW, Bucket>();
  private lastSweep = -Infinity;

  constructor(
    private readonly limits: BucketLimits,
    private readonly maxKeys = 50_000,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string, nowMs: number): number {
    const bucket = this.refilled(this.slot(key, nowMs), nowMs);
    if (bucket.tokens < 1) return Math.ceil((1 - bucket.tokens) / this.limits.perSecond);
    bucket.tokens -= 1;
    return 0;
  }

  /** The seconds `key` must wait for a token, without taking one (0: it may go). */
  peek(key: string, nowMs: number): number {
    const existing = this.buckets.get(key);
    if (!existing) return 0;
    const bucket = this.refilled(existing, nowMs);
    return bucket.tokens < 1 ? Math.ceil((1 - bucket.tokens) / this.limits.perSecond) : 0;
  }

  private refilled(bucket: Bucket, nowMs: number): Bucket {
    bucket.tokens = Math.min(
      this.limits.burst,
      bucket.tokens + ((nowMs - bucket.at) / 1000) * this.limits.perSecond,
    );
    bucket.at = nowMs;
    return bucket;
  }

  private slot(key: string, nowMs: number): Bucket {
    const existing = this.buckets.get(key);
    if (existing) return existing;
    // One sweep a second at most: a flood of new keys costs no more than that.
    if (this.buckets.size >= this.maxKeys && nowMs - this.lastSweep >= 1000) {
      this.lastSweep = nowMs;
      this.dropRefilled(nowMs);
    }
    const slotKey = this.buckets.size >= this.maxKeys ? OVERFLOW : key;
    let bucket = this.buckets.get(slotKey);
    if (!bucket) {
      bucket = { tokens: this.limits.burst, at: nowMs };
      this.buckets.set(slotKey, bucket);
    }
    return bucket;
  }

  /** Drops the buckets full again by now: forgetting them changes nothing for their clients. */
  private dropRefilled(now: number): void {
    const fullAfterMs = (this.limits.burst / this.limits.perSecond) * 1000;
    for (const [key, bucket] of this.buckets) {
      if (key !== OVERFLOW && now - bucket.at >= fullAfterMs) this.buckets.delete(key);
    }
  }
}
