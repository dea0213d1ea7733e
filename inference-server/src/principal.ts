/**
 * Who a caller is to the inquiry store, and what that lets it read. With authentication on, a
 * client (`ctx.state.client`: the token's subject, or the token itself without one) is stored
 * only as a hash: its idempotency keys and the content it submitted are scoped by that hash, and
 * the inquiries it submitted carry it. Staff (the `inquiry:staff` or `inquiry:admin` grant) read
 * every inquiry. With authentication off there is one space for everyone and no restriction here
 * (the mesh decides who calls).
 */
import { createHash } from 'node:crypto';

/** What the authentication middleware learnt about a request (`ctx.state`). */
export interface Caller {
  /** True when the server requires tokens (authentication is on). */
  authenticated: boolean;
  /** The authenticated client; undefined with authentication off. */
  client?: string;
  /** The token grants the staff (or admin) scope or role. */
  staff?: boolean;
}

/** The stored form of a principal: the first 32 hex digits of its sha256; never the subject itself. */
export function principalHash(principal: string): string {
  return createHash('sha256').update(principal).digest('hex').slice(0, 32);
}

/**
 * `value` (an idempotency key, a content hash) in its submitter's own space: as given without one
 * (null), else prefixed by the submitter (a `principalHash`) and a newline. A header value and a
 * content hash hold no newline, so a scoped value never equals an unscoped one.
 */
export function scopedTo(value: string, submitter: string | null): string {
  return submitter === null ? value : `${submitter}\n${value}`;
}

/** The principal whose space a request's writes go to: its client with authentication on. */
export function principalOf(caller: Caller): string | undefined {
  return caller.authenticated ? caller.client : undefined;
}

/**
 * Whether `caller` may read an inquiry stored with `submitter` (a principal hash, or null when
 * none was recorded: authentication off, ingested, or stored before submitters were kept).
 * Authentication off: anyone. On: staff, or the client that submitted it.
 */
export function mayReadInquiry(caller: Caller, submitter: string | null): boolean {
  if (!caller.authenticated || caller.staff === true) return true;
  return (
    submitter !== null && caller.client !== undefined && principalHash(caller.client) === submitter
  );
}
