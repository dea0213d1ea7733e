/** Writing what the model said and where the inquiry went; reading consultants' open load. */
import type pg from 'pg';
import type { Classification } from '../model/runtime.js';
import type { RoutingDecision } from '../routing/engine.js';
import type { Urgency } from '../routing/urgency.js';

export interface ClassifiedInquiry {
  inquiryId: string;
  classification: Classification;
  urgency: Urgency;
  decision: RoutingDecision;
}

/** Open (unresolved) routed inquiries per consultant. */
export async function consultantLoads(
  db: pg.Pool | pg.PoolClient,
  consultants: readonly string[],
): Promise<Map<string, number>> {
  if (consultants.length === 0) return new Map();
  const { rows } = await db.query<{ consultant: string; n: string }>(
    `SELECT consultant, count(*) AS n FROM routing_decisions
      WHERE resolved_at IS NULL AND consultant = ANY($1) GROUP BY consultant`,
    [consultants],
  );
  return new Map(rows.map((row) => [row.consultant, Number(row.n)]));
}

/** Predictions (one row per head), routing decisions, and classified_at, for many inquiries at once. */
export async function saveClassifications(
  db: pg.PoolClient,
  modelVersion: string,
  items: readonly ClassifiedInquiry[],
): Promise<void> {
  if (items.length === 0) return;
  const predictions = items.flatMap(({ inquiryId, classification }) =>
    Object.entries(classification).map(([head, p]) => ({
      inquiryId,
      head,
      label: p.label,
      confidence: p.confidence,
      scores: p.scores ?? null,
    })),
  );
  await db.query(
    `INSERT INTO predictions (inquiry_id, model_version, head, label, confidence, scores)
     SELECT i, $1, h, l, c, s::jsonb FROM unnest($2::uuid[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS t(i, h, l, c, s)
     ON CONFLICT (inquiry_id, model_version, head) DO UPDATE SET label = EXCLUDED.label, confidence = EXCLUDED.confidence, scores = EXCLUDED.scores`,
    [
      modelVersion,
      predictions.map((p) => p.inquiryId),
      predictions.map((p) => p.head),
      predictions.map((p) => p.label),
      predictions.map((p) => p.confidence),
      predictions.map((p) => (p.scores ? JSON.stringify(p.scores) : null)),
    ],
  );
  const d = items.map((item) => item.decision);
  await db.query(
    `INSERT INTO routing_decisions (inquiry_id, department, priority_score, priority_band, escalated, rule, queue,
        consultant, sla_due_at, urgency, urgency_source, urgency_terms, triaged, model_version, policy_version)
     SELECT i, dep, ps, pb, esc, r, q, c, sla, u, us, coalesce(string_to_array(ut, E'\\x1f'), '{}'), tr, $1, pv
       FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[], $6::bool[], $7::text[], $8::text[], $9::text[],
                   $10::timestamptz[], $11::text[], $12::text[], $13::text[], $14::bool[], $15::text[])
         AS t(i, dep, ps, pb, esc, r, q, c, sla, u, us, ut, tr, pv)
     ON CONFLICT (inquiry_id) DO NOTHING`,
    [
      modelVersion,
      items.map((item) => item.inquiryId),
      d.map((x) => x.department),
      d.map((x) => x.priorityScore),
      d.map((x) => x.priorityBand),
      d.map((x) => x.escalated),
      d.map((x) => x.rule),
      d.map((x) => x.queue),
      d.map((x) => x.consultant),
      d.map((x) => x.slaDueAt),
      items.map((item) => item.urgency.label),
      items.map((item) => item.urgency.source),
      items.map((item) =>
        item.urgency.matchedTerms.length > 0 ? item.urgency.matchedTerms.join('\u001f') : null,
      ),
      d.map((x) => x.triaged),
      d.map((x) => x.policyVersion),
    ],
  );
  await db.query('UPDATE inquiries SET classified_at = now() WHERE id = ANY($1::uuid[])', [
    items.map((item) => item.inquiryId),
  ]);
}
