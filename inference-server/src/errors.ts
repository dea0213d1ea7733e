/**
 * Errors as HTTP answers, in one place: `{"error": {"code", "message", "details"}}` with the
 * right status. Bad input is a 4xx that says what to fix; a database that cannot be reached is a
 * 503 with Retry-After; anything unexpected is a 500 that leaks nothing and is logged.
 */
import type { Context, Next } from 'koa';
import type { Logger } from '../../lib/logger.js';
import { isUnansweredQuery } from '../../lib/store/pool.js';
import type { FieldProblem } from '../../lib/inquiry.js';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: unknown): HttpError =>
  new HttpError(400, 'bad_request', message, details);
export const invalidInput = (problems: FieldProblem[]): HttpError =>
  new HttpError(
    422,
    'invalid_input',
    `the request is not valid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    problems,
  );
export const notFound = (message: string): HttpError => new HttpError(404, 'not_found', message);
export const unavailable = (message: string, retryAfterSeconds = 5): HttpError =>
  new HttpError(503, 'unavailable', message, undefined, {
    'retry-after': String(retryAfterSeconds),
  });

/** Network errors of the driver: the database cannot be reached. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE']);

/**
 * SQLSTATEs that say the database cannot serve now, whatever the request: classes 08
 * (connection exception), 53 (insufficient resources: too many connections, disk full), 57
 * (operator intervention: shutdown, database dropped) and 58 (system error), and single codes:
 * the database does not exist (3D000) or refuses connections (55000, ALLOW_CONNECTIONS false),
 * credentials refused (28000, 28P01), a standby that cannot write (25006), a serialization
 * failure, deadlock or lock not available (40001, 40P01, 55P03: retrying helps).
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58']);
const UNAVAILABLE_STATES = new Set([
  '3D000',
  '55000',
  '28000',
  '28P01',
  '25006',
  '40001',
  '40P01',
  '55P03',
]);

const isUnavailableCode = (code: string): boolean =>
  CONNECTION_CODES.has(code) ||
  (/^[0-9A-Z]{5}$/.test(code) &&
    (UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_STATES.has(code)));

/** True for errors that mean "the database is not reachable right now", not "the query is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && isUnavailableCode(code)) return true;
    if (isUnansweredQuery(current)) return true;
    const message = current instanceof Error ? current.message : '';
    if (
      /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error/i.test(
        message,
      )
    )
      return true;
    if (current instanceof AggregateError && current.errors.some(isDatabaseUnavailable))
      return true;
  }
  return false;
}

/**
 * A body the parser could not read, as a 4xx: a corrupt gzip/deflate body, an unknown charset,
 * invalid JSON. Only the parser's own statuses pass through; anything else is the client's body.
 */
export function bodyError(
  error: Error & { status?: number; type?: string; limit?: unknown },
): HttpError {
  const status = error.status !== undefined && error.status < 500 ? error.status : 400;
  if (status === 413)
    return new HttpError(
      413,
      'payload_too_large',
      typeof error.limit === 'number'
        ? `the body is too large: at most ${error.limit} bytes are accepted (a gzip, deflate or br body counted once inflated)`
        : `the body is too large: ${error.message}`,
    );
  if (
    status === 415 ||
    error.type === 'encoding.unsupported' ||
    error.type === 'charset.unsupported'
  )
    return new HttpError(
      415,
      'unsupported_media_type',
      `the body cannot be read: ${error.message}`,
    );
  if (error instanceof SyntaxError || /JSON|Unexpected token/i.test(error.message))
    return badRequest(`the body is not valid JSON: ${error.message}`);
  return badRequest(
    `the body could not be read (a corrupt or mislabelled Content-Encoding?): ${error.message}`,
  );
}

/**
 * Refuses a body over `limit` bytes from its Content-Length, before reading it (any size: Koa's
 * own length getter wraps past 2^31).
 */
export function refuseLargeBodies(limit: number) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const declared = ctx.get('content-length');
    if (declared !== '' && (!/^\d+$/.test(declared) || Number(declared) > limit)) {
      // A body far over the limit is not worth draining: the connection closes after the answer.
      if (!/^\d+$/.test(declared) || Number(declared) > 4 * limit) ctx.set('connection', 'close');
      throw new HttpError(
        /^\d+$/.test(declared) ? 413 : 400,
        /^\d+$/.test(declared) ? 'payload_too_large' : 'bad_request',
        /^\d+$/.test(declared)
          ? `the body is too large: ${declared} bytes, at most ${limit} are accepted`
          : 'the Content-Length header is not a number',
      );
    }
    await next();
  };
}

/** The charset labels of UTF-8 (and of ASCII, a subset of it). */
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * Refuses a JSON body labelled with a charset other than UTF-8 (JSON is UTF-8, RFC 8259): read
 * as UTF-8 anyway, its accented letters would be stored as U+FFFD without a word.
 */
export function refuseOtherCharsets() {
  return async (ctx: Context, next: Next): Promise<void> => {
    const charset = ctx.request.charset.toLowerCase();
    if (charset !== '' && !UTF8_LABELS.has(charset) && ctx.is('application/json'))
      throw new HttpError(
        415,
        'unsupported_media_type',
        `the body is labelled charset=${charset.slice(0, 40)}: send JSON as UTF-8 (charset=utf-8, or no charset)`,
      );
    await next();
  };
}

const STATUS_CODES: Record<number, string> = {
  405: 'method_not_allowed',
  501: 'not_implemented',
};

/**
 * What of an error may be logged: its class, codes and stack frames, never its message, detail
 * or context (a PostgreSQL error quotes the values of the statement, i.e. user content).
 */
export function loggableError(error: unknown): Record<string, unknown> {
  const chain: Record<string, unknown>[] = [];
  for (let current = error; current && chain.length < 5;) {
    const e = current as { name?: unknown; code?: unknown; routine?: unknown; stack?: unknown };
    chain.push({
      name: typeof e.name === 'string' ? e.name : typeof current,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.routine === 'string' ? { routine: e.routine } : {}),
      ...(typeof e.stack === 'string'
        ? {
            frames: e.stack
              .split('\n')
              .filter((line) => /^\s+at /.test(line))
              .slice(0, 8),
          }
        : {}),
    });
    current = (current as { cause?: unknown }).cause;
  }
  return { chain };
}

/**
 * What a failed request answers: an HttpError as it is, the database's absence as a 503, the
 * errors Koa and its body parser raise on bad requests as 4xx, anything else as a 500 that leaks
 * nothing and is logged with the method and route (never the path: it may carry ids).
 */
export function httpErrorOf(
  caught: unknown,
  logger: Logger,
  request: { method: string; route: string },
): HttpError {
  if (caught instanceof HttpError) return caught;
  if (isDatabaseUnavailable(caught))
    return unavailable('the database is not reachable; nothing was stored, retry later');
  if (
    typeof (caught as { status?: unknown }).status === 'number' &&
    (caught as { expose?: boolean }).expose
  ) {
    // Errors raised by Koa and its body parser on bad requests (too large, not JSON, …).
    const status = (caught as { status: number }).status;
    const message = (caught as Error).message;
    return new HttpError(
      status,
      status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : 'bad_request',
      status === 400 && /JSON|Unexpected|token/i.test(message)
        ? `the body is not valid JSON: ${message}`
        : message,
    );
  }
  logger.error({ error: loggableError(caught), ...request }, 'unhandled error');
  return new HttpError(500, 'internal', 'internal error; it has been logged');
}

/** The JSON body of an error answer. */
export function errorBody(error: HttpError): { error: Record<string, unknown> } {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

/** Koa middleware: the first in the chain, so every error below becomes a JSON answer. */
export function errorResponses(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw notFound(`no route ${ctx.method} ${ctx.path}`);
        if (ctx.status === 405 || ctx.status === 501)
          throw new HttpError(
            ctx.status,
            STATUS_CODES[ctx.status]!,
            `${ctx.method} is not supported on ${ctx.path}${ctx.response.get('allow') ? `; use ${ctx.response.get('allow')}` : ''}`,
          );
      }
    } catch (caught) {
      const error = httpErrorOf(caught, logger, {
        method: ctx.method,
        // The matched route pattern (ids and other user content left out).
        route: (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched',
      });
      ctx.status = error.status;
      ctx.set(error.headers);
      ctx.body = errorBody(error);
    }
  };
}
