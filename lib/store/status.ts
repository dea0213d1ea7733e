/** Where an inquiry's handling stands: open, in progress, or resolved (and by whom). */
import type pg from 'pg';
import { boundedQuery } from './pool.js';

export const INQUIRY_STATUSES = ['open', 'in_progress', 'resolved'] as const;
export type InquiryStatus = (typeof INQUIRY_STATUSES)[number];

export interface StatusChange {
  inquiryId: string;
  status: InquiryStatus;
  previousStatus: InquiryStatus;
  consultant: string | null;
  resolvedBy: string | null;
  routedAt: Date;
  resolvedAt: Date | null;
  changedAt: Date;
}

/**
 * Sets the status of a routed inquiry. A resolved inquiry keeps the time it was first
 * resolved; reopening clears it. The consultant's open load follows (a trigger keeps it).
 * Undefined when the inquiry has no routing decision.
 */
export async function setInquiryStatus(
  db: pg.Pool | pg.PoolClient,
  inquiryId: string,
  status: InquiryStatus,
  resolvedBy: string | null,
): Promise<StatusChange | undefined> {
  const { rows } = await db.query<{
    status: InquiryStatus;
    previous_status: InquiryStatus;
    consultant: string | null;
    resolved_by: string | null;
    created_at: Date;
    resolved_at: Date | null;
    status_changed_at: Date;
  }>(
    `WITH old AS (SELECT inquiry_id, status FROM routing_decisions WHERE inquiry_id = $1 FOR UPDATE)
     UPDATE routing_decisions r
        SET status = $2,
            resolved_at = CASE WHEN $2 = 'resolved' THEN coalesce(r.resolved_at, now()) END,
            resolved_by = CASE WHEN $2 = 'resolved' THEN $3 END,
            status_changed_at = now()
       FROM old
      WHERE r.inquiry_id = old.inquiry_id
      RETURNING r.status, old.status AS previous_status, r.consultant, r.resolved_by, r.created_at,
                r.resolved_at, r.status_changed_at`,
    [inquiryId, status, resolvedBy],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    inquiryId,
    status: row.status,
    previousStatus: row.previous_status,
    consultant: row.consultant,
    resolvedBy: row.resolved_by,
    routedAt: row.created_at,
    resolvedAt: row.resolved_at,
    changedAt: row.status_changed_at,
  };
}

/** Routed inquiries not yet resolved (read through the partial index on open decisions). */
export async function countOpenInquiries(db: pg.Pool, timeoutMs = 2_000): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    boundedQuery(
      'SELECT count(*) AS n FROM routing_decisions WHERE resolved_at IS NULL',
      timeoutMs,
    ),
  );
  return Number(rows[0]!.n);
}
