/** Population stability index between a reference distribution and a recent one. */

/** Shares below this are floored, so an empty bin does not make the index infinite. */
const FLOOR = 1e-4;

/**
 * PSI = Σ (actual − expected) · ln(actual / expected) over bins given as shares (or counts:
 * both are normalized). Common reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 large.
 */
export function populationStabilityIndex(
  expected: readonly number[],
  actual: readonly number[],
): number {
  if (expected.length !== actual.length) {
    throw new Error(
      `PSI needs the same bins: ${expected.length} reference bins, ${actual.length} recent`,
    );
  }
  const normalize = (values: readonly number[]): number[] => {
    const total = values.reduce((sum, v) => sum + v, 0);
    return values.map((v) => Math.max(FLOOR, total === 0 ? 0 : v / total));
  };
  const e = normalize(expected);
  const a = normalize(actual);
  return e.reduce((sum, ei, i) => sum + (a[i]! - ei) * Math.log(a[i]! / ei), 0);
}
