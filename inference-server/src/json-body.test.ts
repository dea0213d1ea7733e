import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { HttpError } from './errors.js';
import { firstInvalidUtf8, parseJsonBody } from './json-body.js';

/** Byte strings rich in the edges of UTF-8: lead bytes, continuations, overlongs, surrogates. */
const utf8ishBytes = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 255 }),
    fc.constantFrom(0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff),
  ),
  { maxLength: 12 },
);

function refusal(bytes: Buffer): HttpError {
  try {
    parseJsonBody(bytes);
  } catch (error) {
    return error as HttpError;
  }
  throw new Error('the body was accepted');
}

describe('firstInvalidUtf8', () => {
  it('agrees with Node on which byte strings are UTF-8', () => {
    fc.assert(
      fc.property(utf8ishBytes, (bytes) => {
        const buffer = Buffer.from(bytes);
        expect(firstInvalidUtf8(buffer) === -1).toBe(isUtf8(buffer));
      }),
      { numRuns: 5000 },
    );
  });

  it('points at the first byte that breaks, after valid text of any kind', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.constantFrom(0x80, 0xc0, 0xe9, 0xff),
        (text, bad) => {
          const valid = Buffer.from(text, 'utf8');
          expect(firstInvalidUtf8(Buffer.concat([valid, Buffer.from([bad, 0x41])]))).toBe(
            valid.length,
          );
        },
      ),
    );
    // A surrogate encoded as UTF-8 (CESU-8) and an overlong "/" are not UTF-8.
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0xaf]))).toBe(0);
    // A character cut at the end of the body.
    expect(firstInvalidUtf8(Buffer.from([0x7b, 0xe2, 0x82]))).toBe(1);
  });
});

describe('parseJsonBody', () => {
  it('refuses a body that is not UTF-8 with a 400 naming the offset and the bytes', () => {
    // {"body":"café"} written in Latin-1: é is the single byte 0xE9.
    const latin1 = Buffer.from('{"body":"café"}', 'latin1');
    const error = refusal(latin1);
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(400);
    expect(error.message).toBe(
      'the body is not valid UTF-8: the bytes at offset 12 (0xE9 0x22 0x7D) are not a UTF-8 character; encode the JSON as UTF-8 (a Latin-1 or Windows-1252 text is not)',
    );
    expect(error.details).toEqual({ offset: 12 });
  });

  it('reads UTF-8 JSON as it was sent, U+FFFD included when the client sent it', () => {
    expect(parseJsonBody(Buffer.from('{"body":"café \ufffd 🙂"}', 'utf8'))).toEqual({
      body: 'café \ufffd 🙂',
    });
    expect(parseJsonBody(Buffer.from('\ufeff"x"', 'utf8'))).toBe('x');
    expect(parseJsonBody(Buffer.alloc(0))).toBe('');
  });

  it('refuses invalid JSON and a __proto__ key as a 400', () => {
    expect(refusal(Buffer.from('{"a":')).message).toMatch(/^the body is not valid JSON/);
    expect(refusal(Buffer.from('{"__proto__":{"x":1}}')).status).toBe(400);
  });
});
