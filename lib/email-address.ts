/**
 * Whether a sender's address is one mail can be sent to, internationalised addresses included
 * (RFC 6531 local parts, IDNA domains: `josé@ejemplo.es`, `用户@例子.广告`), as the original
 * system's pydantic `EmailStr` (the `email-validator` package) accepts them. The grammar is
 * @hapi/address's (dot-atom local part, domain labels checked in their punycode form); on top of
 * it, the limits in octets and the characters email-validator also refuses.
 */
import { analyzeEmail } from '@hapi/address';
import { domainToASCII, domainToUnicode } from 'node:url';

/** RFC 5321 §4.5.3.1.3 (a path of 256 octets less its angle brackets), counted in UTF-8. */
export const EMAIL_MAX_OCTETS = 254;
/** A domain name's longest written form (RFC 1035's 255 octets on the wire), in punycode. */
const DOMAIN_MAX_OCTETS = 253;

/**
 * Characters that make an address render as another one or not at all: controls, format marks
 * (zero-width, bidi, soft hyphen), surrogates, private-use and unassigned code points, and
 * every kind of space; as email-validator's `check_unsafe_chars`.
 */
const UNSAFE = /[\p{C}\p{Z}]/u;
/** A combining mark at the start of a part would combine with what stands before it. */
const LEADING_MARK = /^\p{M}/u;

/** What hapi's codes mean, said as what is wrong with the address. */
const REASONS: Record<string, string> = {
  EMPTY_STRING: 'it is empty',
  MISSING_AT_CHAR: 'it has no @',
  MULTIPLE_AT_CHAR: 'it has more than one @',
  EMPTY_LOCAL: 'it has nothing before the @',
  ADDRESS_TOO_LONG: `it is longer than ${EMAIL_MAX_OCTETS} bytes`,
  LOCAL_TOO_LONG: 'the part before the @ is longer than 64 bytes',
  EMPTY_LOCAL_SEGMENT: 'the part before the @ has a dot at an end or two dots in a row',
  INVALID_LOCAL_CHARS:
    'the part before the @ has a character addresses cannot hold (a space, quote, comma, bracket, …)',
  DOMAIN_NON_EMPTY_STRING: 'it has nothing after the @',
  DOMAIN_TOO_LONG: `the domain is longer than ${DOMAIN_MAX_OCTETS} characters in its punycode form`,
  DOMAIN_INVALID_CHARS:
    'the domain has a character domain names cannot hold, or a label that starts or ends with a hyphen',
  DOMAIN_INVALID_TLDS_CHARS: 'the domain does not end in a top-level domain (e.g. .com, .es)',
  DOMAIN_SEGMENTS_COUNT: 'the domain has no dot (e.g. example.com)',
  DOMAIN_EMPTY_SEGMENT: 'the domain has an empty label (a dot at an end or two dots in a row)',
  DOMAIN_LONG_SEGMENT: 'a label of the domain is longer than 63 characters (in its punycode form)',
};

/**
 * A domain as DNS compares it: lower case, an internationalised one in punycode (`BÜCHER.de`
 * and `xn--bcher-kva.de` are one domain). One that is no domain name is only lowercased.
 */
export function comparableDomain(domain: string): string {
  return domainToASCII(domain) || domain.toLowerCase();
}

/**
 * An address as the duplicate check compares senders: case left out, the domain as DNS compares
 * it. For an ASCII address, its lower case (what was stored before addresses were kept as given).
 */
export function comparableAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, at + 1).toLowerCase()}${comparableDomain(address.slice(at + 1))}`;
}

/** A label written as punycode (`xn--…`) that does not decode to Unicode. */
function badALabel(domain: string): boolean {
  return domain
    .split('.')
    .some((label) => /^xn--/i.test(label) && /^xn--/i.test(domainToUnicode(label)));
}

/**
 * Why `address` (surrounding white space aside) is not a valid email address, as a clause that
 * follows "is not a valid email address: ", or undefined when it is one.
 */
export function emailAddressProblem(address: string): string | undefined {
  const trimmed = address.trim();
  if (Buffer.byteLength(trimmed) > EMAIL_MAX_OCTETS) return REASONS.ADDRESS_TOO_LONG;
  const unsafe = UNSAFE.exec(trimmed);
  if (unsafe)
    return `it has a space, control or invisible character (U+${unsafe[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
  const domain = trimmed.slice(trimmed.indexOf('@') + 1);
  if (LEADING_MARK.test(trimmed) || LEADING_MARK.test(domain))
    return 'a part starts with a combining mark';
  const analysis = analyzeEmail(trimmed);
  if (analysis) return REASONS[analysis.code] ?? analysis.error;
  if (badALabel(domain))
    return 'the domain has a label that starts with xn-- but is not valid punycode';
  if (domainToASCII(domain).length > DOMAIN_MAX_OCTETS) return REASONS.DOMAIN_TOO_LONG;
  return undefined;
}
