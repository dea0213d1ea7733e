import fc from 'fast-check';
import {
  comparableAddress,
  comparableDomain,
  EMAIL_MAX_OCTETS,
  emailAddressProblem,
} from './email-address.js';

describe('comparableAddress', () => {
  it('leaves case out and writes the domain as DNS compares it', () => {
    expect(comparableAddress('Ann@Example.COM')).toBe('ann@example.com');
    expect(comparableAddress('Jörg@BÜCHER.de')).toBe('jörg@xn--bcher-kva.de');
    expect(comparableAddress('jörg@xn--bcher-kva.de')).toBe('jörg@xn--bcher-kva.de');
    expect(comparableAddress('用户@例子.广告')).toBe('用户@xn--fsqu00a.xn--4rr70v');
    expect(comparableDomain('not a domain')).toBe('not a domain');
  });
});

describe('emailAddressProblem', () => {
  it.each([
    'ann@example.com',
    'Finance.Team@Example.COM',
    'first.last+tag@sub.example.co.uk',
    "o'brien!#$%&*/=?^_`{|}~-@example.com",
    'user@xn--bcher-kva.de',
    'josé@ejemplo.es',
    'jose\u0301@ejemplo.es', // é as e and a combining accent
    '用户@例子.广告',
    'user@bücher.de',
    'δοκιμή@παράδειγμα.δοκιμή',
    'иван@почта.рф',
    'अजय@डाटा.भारत',
    'θσερ@εχαμπλε.ψομ',
    'user@bücher。de', // an ideographic full stop is a dot under IDNA
    '  ann@example.com\n', // surrounding white space is trimmed
    `${'a'.repeat(64)}@example.com`,
    `a@${'b'.repeat(63)}.com`,
  ])('accepts %j', (address) => {
    expect(emailAddressProblem(address)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['   ', 'it is empty'],
    ['ann.example.com', 'it has no @'],
    ['ann@@example.com', 'it has more than one @'],
    ['a@b@example.com', 'it has more than one @'],
    ['@example.com', 'it has nothing before the @'],
    ['ann@', 'it has nothing after the @'],
    ['ann smith@example.com', 'it has a space, control or invisible character (U+0020)'],
    ['ann@exam ple.com', 'it has a space, control or invisible character (U+0020)'],
    ['ann\t@example.com', 'it has a space, control or invisible character (U+0009)'],
    ['ann\u0000@example.com', 'it has a space, control or invisible character (U+0000)'],
    ['ann\u0085@example.com', 'it has a space, control or invisible character (U+0085)'],
    ['an\u200bn@example.com', 'it has a space, control or invisible character (U+200B)'],
    ['ann@bü\u00adcher.de', 'it has a space, control or invisible character (U+00AD)'],
    ['jos\u00a0é@ejemplo.es', 'it has a space, control or invisible character (U+00A0)'],
    ['ann\u202e@example.com', 'it has a space, control or invisible character (U+202E)'],
    ['ann\ud800@example.com', 'it has a space, control or invisible character (U+D800)'],
    ['\u0301ann@example.com', 'a part starts with a combining mark'],
    ['ann@\u0301example.com', 'a part starts with a combining mark'],
    ['ann@localhost', 'the domain has no dot (e.g. example.com)'],
    ['ann@例子', 'the domain has no dot (e.g. example.com)'],
    ['ann@example..com', 'the domain has an empty label (a dot at an end or two dots in a row)'],
    ['ann@.example.com', 'the domain has an empty label (a dot at an end or two dots in a row)'],
    ['ann@example.com.', 'the domain has an empty label (a dot at an end or two dots in a row)'],
    [
      `a@${'b'.repeat(64)}.com`,
      'a label of the domain is longer than 63 characters (in its punycode form)',
    ],
    [
      `a@${'ü'.repeat(60)}.de`, // 60 characters, but xn--… of 67
      'a label of the domain is longer than 63 characters (in its punycode form)',
    ],
    [`${'a'.repeat(65)}@example.com`, 'the part before the @ is longer than 64 bytes'],
    [`${'é'.repeat(33)}@example.com`, 'the part before the @ is longer than 64 bytes'],
    [
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`,
      'it is longer than 254 bytes',
    ],
    [
      `a@${'é.'.repeat(80)}de`, // 244 bytes; each label xn--9ca in punycode: 642 characters
      'the domain is longer than 253 characters in its punycode form',
    ],
    ['.ann@example.com', 'the part before the @ has a dot at an end or two dots in a row'],
    ['ann.@example.com', 'the part before the @ has a dot at an end or two dots in a row'],
    ['an..n@example.com', 'the part before the @ has a dot at an end or two dots in a row'],
    ['"ann"@example.com', 'the part before the @ has a character addresses cannot hold'],
    ['ann,bob@example.com', 'the part before the @ has a character addresses cannot hold'],
    ['<ann@example.com>', 'the part before the @ has a character addresses cannot hold'],
    ['ann@-example.com', 'the domain has a character domain names cannot hold'],
    ['ann@example-.com', 'the domain has a character domain names cannot hold'],
    ['ann@exa_mple.com', 'the domain has a character domain names cannot hold'],
    ['ann@[192.0.2.1]', 'the domain has a character domain names cannot hold'],
    ['ann@example.com:25', 'the domain has a character domain names cannot hold'],
    ['ann@192.0.2.1', 'the domain does not end in a top-level domain (e.g. .com, .es)'],
    ['ann@example.1com', 'the domain does not end in a top-level domain (e.g. .com, .es)'],
    ['ann@xn--zz.com', 'the domain has a label that starts with xn-- but is not valid punycode'],
  ])('refuses %j: %s', (address, reason) => {
    expect(emailAddressProblem(address)).toContain(reason);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const local = 'é'.repeat(32); // 64 bytes
    const domain = `${'例'.repeat(20)}.${'例'.repeat(20)}.${'例'.repeat(20)}.${'例'.repeat(20)}.广告`;
    const address = `${local}@${domain}`;
    expect(address.length).toBeLessThan(EMAIL_MAX_OCTETS);
    expect(Buffer.byteLength(address)).toBeGreaterThan(EMAIL_MAX_OCTETS);
    expect(emailAddressProblem(address)).toBe(`it is longer than ${EMAIL_MAX_OCTETS} bytes`);
  });

  it('never throws, and an accepted address has one @, no space or control character', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.emailAddress(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })),
        (address) => {
          const problem = emailAddressProblem(address);
          if (problem === undefined) {
            const trimmed = address.trim();
            expect(trimmed.split('@')).toHaveLength(2);
            expect(trimmed).not.toMatch(/[\p{C}\p{Z}]/u);
            expect(Buffer.byteLength(trimmed)).toBeLessThanOrEqual(EMAIL_MAX_OCTETS);
          } else expect(typeof problem).toBe('string');
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepts what fast-check generates as RFC addresses within the length limits', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (address) => {
        // fast-check's addresses may have labels that are all digits at the end: not ours.
        fc.pre(/\.[a-z][a-z0-9-]*$/i.test(address) && Buffer.byteLength(address) <= 254);
        expect(emailAddressProblem(address)).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });
});
