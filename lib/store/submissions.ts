/**
 * The SQL of the submit path, for many submissions in one transaction: the first call opens it
 * and locks and reads what the decisions need (answers under idempotency keys, inquiries stored
 * once by content, consultants' loads), the second writes what was decided, then it commits.
 * Each call is one statement of the functions of migrations 003 and 004 with the whole batch as one
 * bound jsonb parameter: four round trips (BEGIN, submit_begin, submit_finish, COMMIT) whatever
 * the batch's size. The inquiries never travel in the query text (pg_stat_statements and
 * statement logs would keep them). No decisions here: the submit use case decides, these
 * statements read and write.
 */
import pg from 'pg';
import type { InquiryInput } from '../inquiry.js';
import { classificationRows, timestamptzText, type ClassifiedInquiry } from './classifications.js';

export interface StoredAnswer {
  requestHash: string;
  status: number;
  response: Record<string, unknown>;
}

export interface SubmissionToStore {
  inquiry: InquiryInput & { received_at: Date };
  /** Its `contentHash`, scoped by its submitter when it has one. */
  hash: string;
  /** The hash of the principal that submitted it (authentication on), else null. */
  submitter: string | null;
  /** The idempotency key it came with. */
  key: string | undefined;
}

export interface OpenedSubmitBatch {
  /** Answers already stored under the batch's keys (read after locking the keys). */
  answers: Map<string, StoredAnswer>;
  /** content hash → id of each inquiry stored now. */
  stored: Map<string, string>;
  /** content hash → id of each inquiry of the batch that was already there. */
  existing: Map<string, string>;
  /** Open load of each consultant asked for, read under lock (as `lockConsultantLoads`). */
  loads: Map<string, number>;
}

/**
 * Opens the transaction of a batch: locks the keys of `submissions` and
 * reads their answers; stores the inquiries of those whose key has no answer (the first of each
 * content hash, in batch order) unless their content is already stored, and finds the ids of the
 * others; locks and reads the open loads of `consultants`. Keys and consultants are locked in
 * sorted order, inquiries written in hash order (no deadlock between two batches).
 */
export async function openSubmitBatch(
  db: pg.PoolClient,
  submissions: readonly SubmissionToStore[],
  consultants: readonly string[],
): Promise<OpenedSubmitBatch> {
  const batch = {
    keys: submissions.flatMap((s) => (s.key === undefined ? [] : [s.key])),
    consultants,
    inquiries: submissions.map(({ inquiry: i, hash, submitter, key }, o) => ({
      o,
      k: key ?? null,
      h: hash,
      p: submitter,
      e: i.external_id,
      s: i.subject,
      b: i.body,
      m: i.sender_email,
      n: i.sender_name,
      c: i.channel,
      md: i.metadata,
      r: timestamptzText(i.received_at),
    })),
  };
  await db.query('BEGIN');
  const opened = (
    await db.query<{ submit_begin: OpenedRow }>('SELECT submit_begin($1::jsonb)', [
      JSON.stringify(batch),
    ])
  ).rows[0]!.submit_begin;
  return {
    answers: new Map(
      Object.entries(opened.answers).map(([key, a]) => [
        key,
        {
          requestHash: a.request_hash,
          status: a.status,
          response: JSON.parse(a.response) as Record<string, unknown>,
        },
      ]),
    ),
    stored: new Map(Object.entries(opened.stored)),
    existing: new Map(Object.entries(opened.existing)),
    loads: new Map(Object.entries(opened.loads)),
  };
}

interface OpenedRow {
  /** Each response is the answer's JSON text (see `commitSubmitBatch`). */
  answers: Record<string, { request_hash: string; status: number; response: string }>;
  stored: Record<string, string>;
  existing: Record<string, string>;
  loads: Record<string, number>;
}

/**
 * Writes the predictions and routing decisions of the stored inquiries and the answers to keep
 * under keys, and commits: it returns once the batch is durable.
 */
export async function commitSubmitBatch(
  db: pg.PoolClient,
  classified: readonly (ClassifiedInquiry & { modelVersion: string })[],
  answers: readonly (StoredAnswer & { key: string })[],
): Promise<void> {
  const batch = {
    classifications: classificationRows(classified),
    answers: answers.map((a) => ({
      key: a.key,
      request_hash: a.requestHash,
      status: a.status,
      // The answer's JSON text as a jsonb string: a jsonb object reorders keys, and a replay
      // must be the first answer byte for byte (JSON.parse keeps the order JSON.stringify wrote).
      response: JSON.stringify(a.response),
    })),
  };
  await db.query('SELECT submit_finish($1::jsonb)', [JSON.stringify(batch)]);
  await db.query('COMMIT');
}
