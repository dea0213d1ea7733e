/** Writing inquiries: de-duplicated by content hash, many rows per statement. */
import type pg from 'pg';
import { contentHash, type InquiryInput } from '../inquiry.js';

export interface StoredInquiryIds {
  /** content hash → id of each inquiry this call stored. */
  stored: Map<string, string>;
  /** How many were already there (or repeated within the call). */
  duplicates: number;
}

/** Inserts inquiries not already stored (by content hash); parameterized, one statement. */
export async function insertInquiries(
  db: pg.Pool | pg.PoolClient,
  inquiries: readonly InquiryInput[],
  source: string,
): Promise<StoredInquiryIds> {
  if (inquiries.length === 0) return { stored: new Map(), duplicates: 0 };
  const columns = {
    content_hash: [] as string[],
    external_id: [] as (string | null)[],
    subject: [] as string[],
    body: [] as string[],
    sender_email: [] as string[],
    sender_name: [] as (string | null)[],
    channel: [] as string[],
    metadata: [] as string[],
    received_at: [] as (Date | null)[],
  };
  const seen = new Set<string>();
  for (const inquiry of inquiries) {
    const hash = contentHash(inquiry);
    if (seen.has(hash)) continue;
    seen.add(hash);
    columns.content_hash.push(hash);
    columns.external_id.push(inquiry.external_id);
    columns.subject.push(inquiry.subject);
    columns.body.push(inquiry.body);
    columns.sender_email.push(inquiry.sender_email);
    columns.sender_name.push(inquiry.sender_name);
    columns.channel.push(inquiry.channel);
    columns.metadata.push(JSON.stringify(inquiry.metadata));
    columns.received_at.push(inquiry.received_at);
  }
  const { rows } = await db.query<{ id: string; content_hash: string }>(
    `INSERT INTO inquiries
       (content_hash, external_id, subject, body, sender_email, sender_name, channel, metadata, received_at, source)
     SELECT h, e, s, b, m, n, c, md::jsonb, coalesce(r, now()), $10
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
         AS t(h, e, s, b, m, n, c, md, r)
     ON CONFLICT (content_hash) DO NOTHING
     RETURNING id, content_hash`,
    [
      columns.content_hash,
      columns.external_id,
      columns.subject,
      columns.body,
      columns.sender_email,
      columns.sender_name,
      columns.channel,
      columns.metadata,
      columns.received_at,
      source,
    ],
  );
  return {
    stored: new Map(rows.map((row) => [row.content_hash, row.id])),
    duplicates: inquiries.length - rows.length,
  };
}

/** Human labels for inquiries, one row per head. */
export async function insertFeedback(
  db: pg.Pool | pg.PoolClient,
  rows: readonly { inquiryId: string; head: string; label: string; reviewer: string | null }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `INSERT INTO feedback (inquiry_id, head, label, reviewer)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])`,
    [
      rows.map((r) => r.inquiryId),
      rows.map((r) => r.head),
      rows.map((r) => r.label),
      rows.map((r) => r.reviewer),
    ],
  );
}
