/**
 * What human feedback says about the models: online accuracy per model version and head, new
 * labels since a time, and the labeled data a retraining reads (feedback over predictions).
 */
import type pg from 'pg';

export interface OnlineAccuracy {
  modelVersion: string;
  head: string;
  samples: number;
  correct: number;
}

/** Predictions compared with the latest human label of the same inquiry and head, for labels given since `since`. */
export async function onlineAccuracy(db: pg.Pool, since: Date): Promise<OnlineAccuracy[]> {
  const { rows } = await db.query<{
    model_version: string;
    head: string;
    samples: string;
    correct: string;
  }>(
    `WITH latest AS (
       SELECT DISTINCT ON (inquiry_id, head) inquiry_id, head, label
         FROM feedback WHERE created_at >= $1
        ORDER BY inquiry_id, head, created_at DESC, id DESC)
     SELECT p.model_version, p.head, count(*) AS samples, count(*) FILTER (WHERE p.label = latest.label) AS correct
       FROM predictions p JOIN latest USING (inquiry_id, head)
      GROUP BY p.model_version, p.head
      ORDER BY p.model_version, p.head`,
    [since],
  );
  return rows.map((row) => ({
    modelVersion: row.model_version,
    head: row.head,
    samples: Number(row.samples),
    correct: Number(row.correct),
  }));
}

export async function feedbackCountSince(db: pg.Pool, since: Date): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM feedback WHERE created_at >= $1',
    [since],
  );
  return Number(rows[0]!.n);
}

/** Counts of predicted labels and of confidence deciles (0–9) for one model version and head. */
export async function predictionDistribution(
  db: pg.Pool,
  modelVersion: string,
  head: string,
  since: Date,
): Promise<{ labels: Map<string, number>; confidence: number[]; total: number }> {
  const { rows } = await db.query<{ label: string; decile: number; n: string }>(
    `SELECT label, least(9, floor(confidence * 10))::int AS decile, count(*) AS n
       FROM predictions WHERE model_version = $1 AND head = $2 AND created_at >= $3
      GROUP BY 1, 2`,
    [modelVersion, head, since],
  );
  const labels = new Map<string, number>();
  const confidence = new Array<number>(10).fill(0);
  let total = 0;
  for (const row of rows) {
    const n = Number(row.n);
    labels.set(row.label, (labels.get(row.label) ?? 0) + n);
    confidence[row.decile]! += n;
    total += n;
  }
  return { labels, confidence, total };
}

export interface LabeledInquiry {
  id: string;
  subject: string;
  body: string;
  labels: Record<string, string>;
  /** The heads of `labels` whose label a person gave (feedback); the others are predictions. */
  reviewed: string[];
}

/**
 * Inquiries with a label for at least one of `heads`: the latest human feedback, else the
 * latest prediction when its confidence reaches `minPredictionConfidence` (pass a value above 1
 * to train on human labels only). Ordered by arrival, so the same database gives the same data.
 */
export async function labeledInquiries(
  db: pg.Pool,
  heads: readonly string[],
  minPredictionConfidence: number,
): Promise<LabeledInquiry[]> {
  const { rows } = await db.query<LabeledInquiry>(
    `WITH human AS (
       SELECT DISTINCT ON (inquiry_id, head) inquiry_id, head, label, 0 AS rank
         FROM feedback WHERE head = ANY($1)
        ORDER BY inquiry_id, head, created_at DESC, id DESC),
     predicted AS (
       SELECT DISTINCT ON (inquiry_id, head) inquiry_id, head, label, 1 AS rank
         FROM predictions WHERE head = ANY($1) AND confidence >= $2
        ORDER BY inquiry_id, head, created_at DESC),
     chosen AS (
       SELECT DISTINCT ON (inquiry_id, head) inquiry_id, head, label, rank
         FROM (SELECT * FROM human UNION ALL SELECT * FROM predicted) AS candidates
        ORDER BY inquiry_id, head, rank)
     SELECT i.id, i.subject, i.body, jsonb_object_agg(chosen.head, chosen.label) AS labels,
            coalesce(array_agg(chosen.head ORDER BY chosen.head) FILTER (WHERE chosen.rank = 0),
                     '{}') AS reviewed
       FROM inquiries i JOIN chosen ON chosen.inquiry_id = i.id
      GROUP BY i.id
      ORDER BY min(i.received_at), i.id`,
    [heads, minPredictionConfidence],
  );
  return rows;
}
