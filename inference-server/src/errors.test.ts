import { bodyError, isDatabaseUnavailable } from './errors.js';

/** An error as node-postgres raises it for a server's ErrorResponse. */
const pgError = (code: string, message = 'from the server') =>
  Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['55000', 'database "inquiries" is not currently accepting connections'],
    ['53300', 'sorry, too many clients already'],
    ['57P01', 'terminating connection due to administrator command'],
    ['57P04', 'database is being dropped'],
    ['08006', 'connection failure'],
    ['3D000', 'database "inquiries" does not exist'],
    ['28P01', 'password authentication failed for user "app"'],
    ['25006', 'cannot execute INSERT in a read-only transaction'],
    ['40001', 'could not serialize access'],
    ['58030', 'could not write to file'],
  ])('is true for SQLSTATE %s (%s)', (code, message) => {
    expect(isDatabaseUnavailable(pgError(code, message))).toBe(true);
  });

  it('is true for network errors and for an unavailable cause or member', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    // A statement a paused or unreachable server never answered (the client gave up on it).
    expect(isDatabaseUnavailable(new Error('Query read timeout'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('batch failed', { cause: pgError('55000') }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new AggregateError([new Error('a'), pgError('53300')]))).toBe(
      true,
    );
  });

  it("is false for what a query got wrong: the request's or the code's, not the database's", () => {
    for (const code of ['23505', '22P02', '42P01', '42703', '23503', '2201X'])
      expect(isDatabaseUnavailable(pgError(code))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

describe('bodyError', () => {
  it('says how large a body may be when the parser stopped reading it at the limit', () => {
    const overLimit = Object.assign(new Error('request entity too large'), {
      status: 413,
      type: 'entity.too.large',
      limit: 262144,
    });
    expect(bodyError(overLimit)).toMatchObject({
      status: 413,
      code: 'payload_too_large',
      message: expect.stringMatching(/at most 262144 bytes .*counted once inflated/) as string,
    });
  });
});
