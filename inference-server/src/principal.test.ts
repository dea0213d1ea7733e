import { mayReadInquiry, principalHash, principalOf, scopedTo } from './principal.js';

describe('scopedTo', () => {
  it('keeps the value as given without a submitter, and gives each submitter a space of its own', () => {
    expect(scopedTo('k-1', null)).toBe('k-1');
    const alice = scopedTo('k-1', principalHash('sub:alice'));
    const bob = scopedTo('k-1', principalHash('sub:bob'));
    expect(alice).not.toBe(bob);
    expect(scopedTo('k-1', principalHash('sub:alice'))).toBe(alice);
    // A header value and a content hash hold no newline: no unscoped value equals a scoped one.
    expect(alice).toBe(`${principalHash('sub:alice')}\nk-1`);
    expect(principalHash('sub:alice')).toMatch(/^[0-9a-f]{32}$/);
    expect(principalHash('sub:alice')).not.toContain('alice');
  });
});

describe('principalOf', () => {
  it('is the client with authentication on, and none with it off', () => {
    expect(principalOf({ authenticated: true, client: 'sub:alice' })).toBe('sub:alice');
    expect(principalOf({ authenticated: false, client: 'sub:alice' })).toBeUndefined();
    expect(principalOf({ authenticated: false })).toBeUndefined();
  });
});

describe('mayReadInquiry', () => {
  const alices = principalHash('sub:alice');
  const alice = { authenticated: true, client: 'sub:alice', staff: false };
  const bob = { authenticated: true, client: 'sub:bob', staff: false };
  const staff = { authenticated: true, client: 'sub:desk', staff: true };

  it('with authentication on: the submitter and staff read an inquiry, no other client does', () => {
    expect(mayReadInquiry(alice, alices)).toBe(true);
    expect(mayReadInquiry(bob, alices)).toBe(false);
    expect(mayReadInquiry(staff, alices)).toBe(true);
  });

  it('with authentication on: an inquiry without a submitter is for staff only', () => {
    expect(mayReadInquiry(alice, null)).toBe(false);
    expect(mayReadInquiry(staff, null)).toBe(true);
    // A request on an open path has no client: it reads nothing.
    expect(mayReadInquiry({ authenticated: true }, null)).toBe(false);
    expect(mayReadInquiry({ authenticated: true }, alices)).toBe(false);
  });

  it('with authentication off: anyone reads any inquiry', () => {
    expect(mayReadInquiry({ authenticated: false }, null)).toBe(true);
    expect(mayReadInquiry({ authenticated: false }, alices)).toBe(true);
  });
});
