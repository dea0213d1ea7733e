import { idempotencyStorageKey } from './submit.js';

describe('idempotencyStorageKey', () => {
  it('keeps the key as sent without a principal, and gives each principal a key space of its own', () => {
    expect(idempotencyStorageKey('k-1', undefined)).toBe('k-1');
    const alice = idempotencyStorageKey('k-1', 'sub:alice');
    const bob = idempotencyStorageKey('k-1', 'sub:bob');
    expect(alice).not.toBe(bob);
    expect(idempotencyStorageKey('k-1', 'sub:alice')).toBe(alice);
    // A header value holds no newline: no key sent without a principal can equal a scoped one.
    expect(alice).toMatch(/^[0-9a-f]{32}\nk-1$/);
  });
});
