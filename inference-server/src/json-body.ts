/**
 * A JSON request body from its bytes, in one place for the Koa routes and the classify fast path:
 * the bytes must be UTF-8 (JSON is, RFC 8259 §8.1), since decoding others would store U+FFFD in
 * place of what the client sent; a UTF-8 byte order mark is dropped, an empty body is '', and a
 * `__proto__` key is refused.
 */
import { isUtf8 } from 'node:buffer';
import { parse as parseJson } from '@hapi/bourne';
import coBody from 'co-body';
import type { Context, Next } from 'koa';
import { badRequest, bodyError } from './errors.js';

/** The media types read as JSON (those Koa's JSON body parsers take). */
const JSON_TYPES = [
  'application/json',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/csp-report',
  'application/reports+json',
  'application/scim+json',
];
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The offset of the first byte that does not begin or continue a well-formed UTF-8 character
 * (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF), or -1 when all do.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const trailing = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : 3;
    if (lead < 0xc2 || lead > 0xf4) return i;
    // The second byte's range narrows after E0, ED, F0 and F4 (Table 3-7 of the Unicode standard).
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    const second = bytes[i + 1];
    if (second === undefined || second < low || second > high) return i;
    for (let k = 2; k <= trailing; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += trailing + 1;
  }
  return -1;
}

/** The body's JSON value, or a 400 saying why not (not UTF-8, not JSON). */
export function parseJsonBody(bytes: Buffer): unknown {
  if (!isUtf8(bytes)) {
    const at = firstInvalidUtf8(bytes);
    const shown = [...bytes.subarray(at, at + 4)]
      .map((b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`)
      .join(' ');
    throw badRequest(
      `the body is not valid UTF-8: the bytes at offset ${at} (${shown}) are not a UTF-8 character; encode the JSON as UTF-8 (a Latin-1 or Windows-1252 text is not)`,
      { offset: at },
    );
  }
  const text = bytes.toString('utf8');
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return json === '' ? '' : (parseJson(json, { protoAction: 'error' }) as unknown);
  } catch (error) {
    throw bodyError(error as Error);
  }
}

/**
 * Koa middleware: reads a POST, PUT or PATCH body of a JSON type (inflating gzip, deflate or br,
 * at most `limit` bytes once inflated) into `ctx.request.body`; a body of another type is not
 * read and leaves `{}`, for the route to refuse.
 */
export function jsonBody(limit: number) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const request = ctx.request as { body?: unknown };
    if (!BODY_METHODS.has(ctx.method) || request.body !== undefined) {
      await next();
      return;
    }
    if (!ctx.is(JSON_TYPES)) {
      request.body = {};
      await next();
      return;
    }
    let bytes: Buffer;
    try {
      // No encoding: the bytes as they came (inflated), checked before anything decodes them.
      bytes = (await coBody.text(ctx, { limit, encoding: null as unknown as string })) as Buffer;
    } catch (error) {
      throw bodyError(error as Error);
    }
    request.body = parseJsonBody(bytes);
    await next();
  };
}
