import fc from 'fast-check';
import {
  CLASSIFY_TEXT_CHARS,
  classifyTextProblem,
  contentHash,
  LIMITS,
  validateInquiry,
} from './inquiry.js';

const valid = {
  subject: 'Cannot log in',
  body: 'Since this morning  the login page fails.',
  sender_email: 'Ann@Example.com',
};

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('validateInquiry', () => {
  it('accepts a valid inquiry and normalizes it', () => {
    const result = validateInquiry({
      ...valid,
      body: '  Since this morning\r\n  the   login page fails. ',
    });
    expect(result.ok).toBe(true);
    expect(result.ok && result.value).toEqual(
      expect.objectContaining({
        subject: 'Cannot log in',
        body: 'Since this morning\nthe login page fails.',
        sender_email: 'Ann@Example.com',
        channel: 'api',
        sender_name: null,
        metadata: {},
      }),
    );
  });

  it.each(['josé@ejemplo.es', '用户@例子.广告', 'user@bücher.de', 'Jörg.Meier@Bücher.DE'])(
    'accepts the internationalised address %j and keeps it as given',
    (address) => {
      const result = validateInquiry({ ...valid, sender_email: ` ${address} ` });
      expect(result.ok && result.value.sender_email).toBe(address);
    },
  );

  it.each([
    [{ ...valid, body: '' }, 'body', 'must not be empty'],
    [{ ...valid, body: '   \n  ' }, 'body', 'must not be blank'],
    [
      { ...valid, body: 'x'.repeat(LIMITS.bodyChars + 1) },
      'body',
      `at most ${LIMITS.bodyChars} characters`,
    ],
    [
      { ...valid, sender_email: 'not-an-email' },
      'sender_email',
      'is not a valid email address: it has no @',
    ],
    [
      { ...valid, sender_email: 'josé@ejemplo' },
      'sender_email',
      'is not a valid email address: the domain has no dot (e.g. example.com)',
    ],
    [{ subject: 'x', body: 'y' }, 'sender_email', 'is required'],
    [{ ...valid, body: 42 }, 'body', 'must be a string'],
    [
      { ...valid, channel: 'fax' },
      'channel',
      'must be one of email, web_form, chat, phone_transcript, api',
    ],
    [{ ...valid, priority: 'high' }, 'priority', 'is not a known field'],
    [{ ...valid, metadata: [1, 2] }, 'metadata', 'must be an object'],
    [{ ...valid, body: 'a\u0000b' }, 'body', 'contains a NUL character'],
    [{ ...valid, body: 'broken \ud800 text' }, 'body', 'is not valid Unicode text'],
    [{ ...valid, received_at: 'yesterday' }, 'received_at', 'must be date-time'],
    [{ ...valid, received_at: '2016-12-31T23:59:60Z' }, 'received_at', 'no leap second'],
    [{ ...valid, body: '\u200b\u200d\ufeff \u2060' }, 'body', 'must not be blank'],
    [{ ...valid, metadata: { phone: 'a\u0000b' } }, 'metadata.phone', 'NUL'],
    [{ ...valid, metadata: { list: ['ok', '\udc00'] } }, 'metadata.list.1', 'unpaired surrogate'],
    [{ ...valid, metadata: { 'k\u0000': 1 } }, 'metadata key', 'NUL'],
  ])('refuses %j: %s %s', (input, field, message) => {
    const result = validateInquiry(input);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toContainEqual({
        field,
        message: expect.stringContaining(message) as string,
      });
  });

  it('refuses metadata nested thousands of levels deep, and accepts it up to the limit', () => {
    expect(validateInquiry({ ...valid, metadata: nested(5000) })).toEqual({
      ok: false,
      problems: [{ field: 'metadata', message: 'must be nested at most 32 levels deep' }],
    });
    expect(validateInquiry({ ...valid, metadata: nested(LIMITS.metadataDepth - 1) }).ok).toBe(true);
  });

  it('refuses what is not an object', () => {
    for (const input of [null, 'text', 42, [valid]]) {
      expect(validateInquiry(input)).toEqual({
        ok: false,
        problems: [{ field: '(body)', message: 'must be a JSON object' }],
      });
    }
  });

  it('never throws, whatever JSON arrives', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        const result = validateInquiry(input);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            subject: fc.anything(),
            body: fc.string(),
            sender_email: fc.oneof(fc.emailAddress(), fc.string()),
            channel: fc.anything(),
            metadata: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        (input) => {
          const result = validateInquiry(input);
          if (result.ok) {
            expect(result.value.body.trim()).not.toBe('');
            const stored = JSON.stringify(result.value.metadata);
            expect(stored.includes('\\u0000') || !stored.isWellFormed()).toBe(false);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('classifyTextProblem', () => {
  it('counts characters as the inquiry schema does: an emoji is one, not two', () => {
    const emoji = '\u{1F600}';
    expect(classifyTextProblem(emoji.repeat(CLASSIFY_TEXT_CHARS))).toBeUndefined();
    expect(classifyTextProblem(emoji.repeat(CLASSIFY_TEXT_CHARS + 1))).toEqual({
      tooLong: true,
      message: `must be at most ${CLASSIFY_TEXT_CHARS} characters (got ${CLASSIFY_TEXT_CHARS + 1})`,
    });
    expect(classifyTextProblem('a'.repeat(CLASSIFY_TEXT_CHARS + 1))?.tooLong).toBe(true);
  });
});

describe('contentHash', () => {
  it('is the same for the same inquiry written with other case and spacing, and differs otherwise', () => {
    const a = contentHash({
      sender_email: 'ann@example.com',
      subject: 'Login',
      body: 'It fails.\nHelp',
    });
    const b = contentHash({
      sender_email: 'ann@example.com',
      subject: 'LOGIN ',
      body: 'It  fails. Help',
    });
    const upper = contentHash({
      sender_email: 'Ann@EXAMPLE.com',
      subject: 'Login',
      body: 'It fails.\nHelp',
    });
    const c = contentHash({
      sender_email: 'bob@example.com',
      subject: 'Login',
      body: 'It fails.\nHelp',
    });
    expect(a).toBe(b);
    expect(a).toBe(upper);
    const unicode = { subject: 'Login', body: 'It fails.' };
    expect(contentHash({ ...unicode, sender_email: 'Jörg@Bücher.de' })).toBe(
      contentHash({ ...unicode, sender_email: 'jörg@xn--bcher-kva.de' }),
    );
    expect(a).not.toBe(c);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
