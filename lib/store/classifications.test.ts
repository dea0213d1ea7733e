import { timestamptzText } from './classifications.js';

describe('timestamptzText', () => {
  it("writes years before 1 as PostgreSQL's BC, later ones as ISO text without a sign", () => {
    expect(timestamptzText(new Date('0000-01-01T00:00:00Z'))).toBe('0001-01-01T00:00:00.000Z BC');
    expect(timestamptzText(new Date('-000001-06-01T12:00:00Z'))).toBe(
      '0002-06-01T12:00:00.000Z BC',
    );
    expect(timestamptzText(new Date('0001-01-01T00:00:00Z'))).toBe('0001-01-01T00:00:00.000Z');
    expect(timestamptzText(new Date('2026-12-01T10:00:00.123Z'))).toBe('2026-12-01T10:00:00.123Z');
    // A deadline past 9999 (a received_at at the end of year 9999 plus an SLA).
    expect(timestamptzText(new Date('+010000-01-01T00:04:59Z'))).toBe('10000-01-01T00:04:59.000Z');
  });
});
