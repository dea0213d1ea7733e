/**
 * The SQL of the submit path, for many submissions in one transaction: idempotency keys,
 * inquiries stored once by content, and the answers kept for retries. No decisions here: the
 * submit use case decides, these statements read and write.
 */
import type pg from 'pg';
import { contentHash, type InquiryInput } from '../inquiry.js';

/** Advisory-lock namespace of idempotency keys (any constant shared by every instance). */
const KEY_LOCK_NAMESPACE = 41_207;

export interface StoredAnswer {
  requestHash: string;
  status: number;
  response: Record<string, unknown>;
}

/**
 * Locks `keys` until the transaction ends, then reads the answers already stored under them.
 * Two statements: the read must take its snapshot after the locks are held, so it sees an
 * answer committed by whoever held a lock before. Keys are locked in sorted order (no deadlock
 * between two batches).
 */
export async function lockIdempotencyKeys(
  db: pg.PoolClient,
  keys: readonly string[],
): Promise<Map<string, StoredAnswer>> {
  if (keys.length === 0) return new Map();
  const sorted = [...new Set(keys)].sort();
  await db.query({
    name: 'lock-idempotency-keys',
    text: 'SELECT pg_advisory_xact_lock($1, hashtext(k)) FROM unnest($2::text[]) AS k',
    values: [KEY_LOCK_NAMESPACE, sorted],
  });
  const { rows } = await db.query<{
    key: string;
    request_hash: string;
    status: number;
    response: Record<string, unknown> | string;
  }>({
    name: 'read-idempotency-keys',
    text: 'SELECT key, request_hash, status, response FROM idempotency_keys WHERE key = ANY($1::text[])',
    values: [sorted],
  });
  return new Map(
    rows.map((row) => [
      row.key,
      {
        requestHash: row.request_hash,
        status: row.status,
        response:
          typeof row.response === 'string'
            ? (JSON.parse(row.response) as Record<string, unknown>)
            : row.response,
      },
    ]),
  );
}

/** Keeps the answers given under idempotency keys, for retries. */
export async function saveIdempotentAnswers(
  db: pg.PoolClient,
  answers: readonly (StoredAnswer & { key: string })[],
): Promise<void> {
  if (answers.length === 0) return;
  await db.query({
    name: 'save-idempotent-answers',
    text: `INSERT INTO idempotency_keys (key, request_hash, status, response)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::jsonb[])`,
    values: [
      answers.map((a) => a.key),
      answers.map((a) => a.requestHash),
      answers.map((a) => a.status),
      // The answer's JSON text as a jsonb string: a jsonb object reorders keys, and a replay
      // must be the first answer byte for byte (JSON.parse keeps the order JSON.stringify wrote).
      answers.map((a) => JSON.stringify(JSON.stringify(a.response))),
    ],
  });
}

export interface SubmittedInquiryIds {
  /** content hash → id of each inquiry this statement stored. */
  stored: Map<string, string>;
  /** content hash → id of each inquiry that was already there. */
  existing: Map<string, string>;
  /** Open load of each consultant asked for, read under lock (as `lockConsultantLoads`). */
  loads: Map<string, number>;
}

/**
 * Stores inquiries (source `api`, classified now) not already stored, finds the ids of those
 * that were, and locks and reads the open loads of `consultants` (sorted, distinct), in one
 * statement: one round trip of the transaction. `inquiries` must have distinct content hashes.
 * An inquiry committed by another transaction while this statement ran is in neither map; the
 * caller reads it with `inquiryIdsByHash`.
 */
export async function insertSubmittedInquiries(
  db: pg.PoolClient,
  inquiries: readonly (InquiryInput & { received_at: Date })[],
  consultants: readonly string[],
): Promise<SubmittedInquiryIds> {
  const { rows } = await db.query<{
    ids: { id: string; h: string; new: boolean }[] | null;
    loads: Record<string, number> | null;
  }>({
    name: 'insert-submitted-inquiries',
    text: `WITH loads AS (
       INSERT INTO consultant_loads AS l (consultant)
       SELECT c FROM unnest($10::text[]) AS c ORDER BY c
       ON CONFLICT (consultant) DO UPDATE SET open = l.open
       RETURNING consultant, open
     ), input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::timestamptz[]) AS t(h, e, s, b, m, n, c, md, r)
     ), inserted AS (
       INSERT INTO inquiries
         (content_hash, external_id, subject, body, sender_email, sender_name, channel, metadata, received_at,
          source, classified_at)
       SELECT h, e, s, b, m, n, c, md::jsonb, r, 'api', now() FROM input
       ON CONFLICT (content_hash) DO NOTHING
       RETURNING id, content_hash
     ), ids AS (
       SELECT id, content_hash AS h, true AS new FROM inserted
       UNION ALL
       SELECT i.id, i.content_hash, false FROM inquiries i JOIN input ON i.content_hash = input.h
     )
     -- Inquiries first, then the loads: waits on shared content come before the consultant locks,
     -- and a transaction holding those locks never waits on another's inquiries.
     SELECT (SELECT json_agg(ids) FROM ids) AS ids,
            (SELECT json_object_agg(consultant, open) FROM loads) AS loads`,
    values: [
      inquiries.map((i) => contentHash(i)),
      inquiries.map((i) => i.external_id),
      inquiries.map((i) => i.subject),
      inquiries.map((i) => i.body),
      inquiries.map((i) => i.sender_email),
      inquiries.map((i) => i.sender_name),
      inquiries.map((i) => i.channel),
      inquiries.map((i) => JSON.stringify(i.metadata)),
      inquiries.map((i) => i.received_at),
      consultants,
    ],
  });
  const result: SubmittedInquiryIds = {
    stored: new Map(),
    existing: new Map(),
    loads: new Map(Object.entries(rows[0]?.loads ?? {})),
  };
  for (const row of rows[0]?.ids ?? [])
    (row.new ? result.stored : result.existing).set(row.h, row.id);
  return result;
}

/** Ids of stored inquiries by content hash. */
export async function inquiryIdsByHash(
  db: pg.PoolClient,
  hashes: readonly string[],
): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; content_hash: string }>(
    'SELECT id, content_hash FROM inquiries WHERE content_hash = ANY($1::text[])',
    [hashes],
  );
  return new Map(rows.map((row) => [row.content_hash, row.id]));
}
