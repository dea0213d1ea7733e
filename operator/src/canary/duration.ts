/** Durations as the CRD writes them (`30s`, `5m`, `1h30m`): the pattern `^([0-9]+(s|m|h))+$`. */

const DURATION = /^([0-9]+[smh])+$/;
const PART = /([0-9]+)([smh])/g;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/**
 * Milliseconds in a CRD duration such as `1h30m` (units may repeat: `1m30s30s` is 2 minutes).
 * Throws an Error naming the input and the expected form when it does not match the pattern.
 */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) {
    throw new Error(
      `invalid duration ${JSON.stringify(text)}: expected numbers with a unit s, m or h, such as 30s, 5m or 1h30m`,
    );
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  if (!Number.isSafeInteger(ms)) {
    throw new Error(`invalid duration ${JSON.stringify(text)}: too long to count in milliseconds`);
  }
  return ms;
}
