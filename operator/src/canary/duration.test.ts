import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2h0m15s', 7_215_000],
    ['0s', 0],
    ['1m30s30s', 120_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '5', 'm', '5 m', '1.5h', '-5m', '5min', '5M', '1d', ' 5m', '5m '])(
    'refuses %j with an error naming the input and the expected form',
    (text) => {
      expect(() => parseDuration(text)).toThrow(
        `invalid duration ${JSON.stringify(text)}: expected numbers with a unit s, m or h, such as 30s, 5m or 1h30m`,
      );
    },
  );

  it('refuses a duration too long to count in milliseconds', () => {
    expect(() => parseDuration('99999999999999999999h')).toThrow(/too long/);
  });
});
