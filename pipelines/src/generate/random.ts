/**
 * Seeded randomness for the generator, on top of pure-rand's xoroshiro128+.
 * Every record gets its own streams, jumped 2^64 steps apart, so record i never depends on
 * how many records are generated, nor on how many random draws earlier records consumed.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

export type { RandomGenerator };

/** The independent random streams one record draws from. */
export interface RecordStreams {
  /** Drives everything about the text and its true labels. */
  readonly text: RandomGenerator;
  /** Drives label noise only, so changing the noise rate never changes a text. */
  readonly noise: RandomGenerator;
}

/** Largest seed accepted: pure-rand seeds xoroshiro128+ from a 32-bit integer. */
export const MAX_SEED = 0xffff_ffff;

/**
 * Yields the streams of record 0, 1, 2, … for a seed: an endless, deterministic sequence.
 * The seed must be an integer in [0, MAX_SEED].
 */
export function* recordStreams(seed: number): Generator<RecordStreams, never> {
  const cursor = xoroshiro128plus(seed);
  for (;;) {
    cursor.jump();
    const text = cursor.clone();
    cursor.jump();
    const noise = cursor.clone();
    yield { text, noise };
  }
}

/** An integer uniformly drawn in [min, max], both included. */
export function intBetween(rng: RandomGenerator, min: number, max: number): number {
  return uniformInt(rng, min, max);
}

/** True with probability p (p <= 0 never, p >= 1 always). */
export function chance(rng: RandomGenerator, p: number): boolean {
  return uniformFloat64(rng) < p;
}

/** One element drawn uniformly; throws on an empty list. */
export function pick<T>(rng: RandomGenerator, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick: empty list');
  return items[uniformInt(rng, 0, items.length - 1)] as T;
}

/** An index drawn with probability proportional to its weight; weights must not all be 0. */
export function pickIndexWeighted(rng: RandomGenerator, weights: readonly number[]): number {
  let total = 0;
  for (const weight of weights) total += weight;
  if (!(total > 0)) throw new RangeError('pickIndexWeighted: weights sum to 0');
  let remaining = uniformFloat64(rng) * total;
  for (let index = 0; index < weights.length; index++) {
    remaining -= weights[index] ?? 0;
    if (remaining < 0) return index;
  }
  return weights.findLastIndex((weight) => weight > 0);
}

/** One element of items drawn with probability proportional to weights (same order). */
export function pickWeighted<T>(
  rng: RandomGenerator,
  items: readonly T[],
  weights: readonly number[],
): T {
  if (items.length !== weights.length) throw new RangeError('pickWeighted: length mismatch');
  return items[pickIndexWeighted(rng, weights)] as T;
}

/** Up to count distinct elements, in random order (partial Fisher–Yates on a copy). */
export function pickDistinct<T>(rng: RandomGenerator, items: readonly T[], count: number): T[] {
  const pool = items.slice();
  const taken = Math.min(count, pool.length);
  for (let index = 0; index < taken; index++) {
    const swap = uniformInt(rng, index, pool.length - 1);
    const chosen = pool[swap] as T;
    pool[swap] = pool[index] as T;
    pool[index] = chosen;
  }
  return pool.slice(0, taken);
}
