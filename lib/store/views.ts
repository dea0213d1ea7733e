/** Reading inquiries back for the API: one inquiry with everything known about it, and statistics. */
import type pg from 'pg';
import type { StoredRouting } from '../routing/preview.js';

/**
 * One inquiry as the API shows it, and apart from it its submitter (a principal's hash, or null)
 * for the caller to decide who may see it.
 */
export async function inquiryById(
  db: pg.Pool,
  id: string,
): Promise<{ inquiry: Record<string, unknown>; submitter: string | null } | undefined> {
  const { rows } = await db.query<Record<string, unknown> & { submitter: string | null }>(
    `SELECT i.submitter, i.id, i.subject, i.body, i.sender_email, i.sender_name, i.channel, i.metadata, i.external_id, i.source,
            i.received_at, i.created_at, i.classified_at,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('model_version', p.model_version, 'head', p.head, 'label', p.label,
                     'confidence', p.confidence, 'created_at', p.created_at) ORDER BY p.created_at, p.head), '[]')
               FROM predictions p WHERE p.inquiry_id = i.id) AS predictions,
            (SELECT to_jsonb(r) - 'inquiry_id' FROM routing_decisions r WHERE r.inquiry_id = i.id) AS routing,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('head', f.head, 'label', f.label, 'reviewer', f.reviewer,
                     'created_at', f.created_at) ORDER BY f.id), '[]')
               FROM feedback f WHERE f.inquiry_id = i.id) AS feedback
       FROM inquiries i WHERE i.id = $1`,
    [id],
  );
  if (rows.length === 0) return undefined;
  const { submitter, ...inquiry } = rows[0]!;
  return { inquiry, submitter };
}

/** The latest prediction of each head for an inquiry (to tell whether feedback agrees). */
export async function latestPredictions(
  db: pg.Pool,
  id: string,
): Promise<Map<string, { label: string; modelVersion: string }>> {
  const { rows } = await db.query<{ head: string; label: string; model_version: string }>(
    `SELECT DISTINCT ON (head) head, label, model_version FROM predictions WHERE inquiry_id = $1 ORDER BY head, created_at DESC`,
    [id],
  );
  return new Map(
    rows.map((row) => [row.head, { label: row.label, modelVersion: row.model_version }]),
  );
}

export async function inquiryExists(db: pg.Pool, id: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM inquiries WHERE id = $1', [id]);
  return rows.length > 0;
}

export interface Stats {
  window: { from: string; to: string };
  total: number;
  byCategory: Record<string, number>;
  bySentiment: Record<string, number>;
  byUrgency: Record<string, number>;
  byDepartment: Record<string, number>;
  escalationRate: number;
  triageRate: number;
  meanConfidence: Record<string, number>;
  byModelVersion: Record<string, number>;
  /** Where the inquiries routed in the window stand now. */
  byStatus: { open: number; inProgress: number; resolved: number };
  /** Inquiries resolved in the window: time from routing to resolution, in seconds. */
  timeToResolution: {
    resolved: number;
    meanSeconds: number | null;
    p50Seconds: number | null;
    p90Seconds: number | null;
  };
}

export async function statistics(db: pg.Pool, from: Date, to: Date): Promise<Stats> {
  const counts = async (sql: string, extra: string[] = []): Promise<Record<string, number>> => {
    const { rows } = await db.query<{ key: string; n: string }>(sql, [from, to, ...extra]);
    return Object.fromEntries(rows.map((row) => [row.key, Number(row.n)]));
  };
  const byHead = (head: string): Promise<Record<string, number>> =>
    counts(
      `SELECT p.label AS key, count(*) AS n FROM predictions p JOIN routing_decisions r USING (inquiry_id)
        WHERE p.head = $3 AND p.model_version = r.model_version AND r.created_at >= $1 AND r.created_at < $2 GROUP BY 1`,
      [head],
    );
  const [
    byCategory,
    bySentiment,
    byUrgency,
    byDepartment,
    byModelVersion,
    totals,
    confidence,
    resolution,
  ] = await Promise.all([
    byHead('category'),
    byHead('sentiment'),
    counts(
      `SELECT urgency AS key, count(*) AS n FROM routing_decisions WHERE created_at >= $1 AND created_at < $2 GROUP BY 1`,
    ),
    counts(
      `SELECT department AS key, count(*) AS n FROM routing_decisions WHERE created_at >= $1 AND created_at < $2 GROUP BY 1`,
    ),
    counts(
      `SELECT model_version AS key, count(*) AS n FROM routing_decisions WHERE created_at >= $1 AND created_at < $2 GROUP BY 1`,
    ),
    db.query<{
      total: string;
      escalated: string;
      triaged: string;
      open: string;
      in_progress: string;
      resolved: string;
    }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE escalated) AS escalated, count(*) FILTER (WHERE triaged) AS triaged,
                count(*) FILTER (WHERE status = 'open') AS open, count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
                count(*) FILTER (WHERE status = 'resolved') AS resolved
         FROM routing_decisions WHERE created_at >= $1 AND created_at < $2`,
      [from, to],
    ),
    db.query<{ head: string; mean: number }>(
      `SELECT p.head, avg(p.confidence)::float8 AS mean FROM predictions p JOIN routing_decisions r USING (inquiry_id)
        WHERE p.model_version = r.model_version AND r.created_at >= $1 AND r.created_at < $2 GROUP BY 1`,
      [from, to],
    ),
    db.query<{ n: string; mean: number | null; p50: number | null; p90: number | null }>(
      `SELECT count(*) AS n, avg(s)::float8 AS mean,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY s) AS p90
           FROM (SELECT extract(epoch FROM resolved_at - created_at)::float8 AS s FROM routing_decisions
                  WHERE resolved_at >= $1 AND resolved_at < $2) t`,
      [from, to],
    ),
  ]);
  const total = Number(totals.rows[0]!.total);
  return {
    window: { from: from.toISOString(), to: to.toISOString() },
    total,
    byCategory,
    bySentiment,
    byUrgency,
    byDepartment,
    escalationRate: total === 0 ? 0 : Number(totals.rows[0]!.escalated) / total,
    triageRate: total === 0 ? 0 : Number(totals.rows[0]!.triaged) / total,
    meanConfidence: Object.fromEntries(confidence.rows.map((row) => [row.head, row.mean])),
    byModelVersion,
    byStatus: {
      open: Number(totals.rows[0]!.open),
      inProgress: Number(totals.rows[0]!.in_progress),
      resolved: Number(totals.rows[0]!.resolved),
    },
    timeToResolution: {
      resolved: Number(resolution.rows[0]!.n),
      meanSeconds: resolution.rows[0]!.mean,
      p50Seconds: resolution.rows[0]!.p50,
      p90Seconds: resolution.rows[0]!.p90,
    },
  };
}

/**
 * The latest `limit` routed inquiries with the predictions their routing used (the decision's
 * model version) and the stored decision: the input of a routing-policy preview.
 */
export async function recentRoutings(db: pg.Pool, limit: number): Promise<StoredRouting[]> {
  const { rows } = await db.query<{
    subject: string;
    body: string;
    sender_email: string;
    received_at: Date;
    department: string;
    escalated: boolean;
    predictions: { head: string; label: string; confidence: number }[];
  }>(
    `SELECT i.subject, i.body, i.sender_email, i.received_at, r.department, r.escalated,
            (SELECT coalesce(jsonb_agg(jsonb_build_object('head', p.head, 'label', p.label, 'confidence', p.confidence)), '[]')
               FROM predictions p WHERE p.inquiry_id = i.id AND p.model_version = r.model_version) AS predictions
       FROM routing_decisions r JOIN inquiries i ON i.id = r.inquiry_id
      ORDER BY r.created_at DESC, r.inquiry_id
      LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    inquiry: {
      subject: row.subject,
      body: row.body,
      sender_email: row.sender_email,
      received_at: row.received_at,
    },
    classification: Object.fromEntries(
      row.predictions.map((p) => [p.head, { label: p.label, confidence: p.confidence }]),
    ),
    department: row.department,
    escalated: row.escalated,
  }));
}
