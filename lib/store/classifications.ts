/** Writing what the model said and where the inquiry went; consultants' open load. */
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

/**
 * Open (unresolved) routed inquiries per consultant, from the counter the database keeps,
 * with the consultants' rows locked until the transaction ends: a concurrent writer waits and
 * then reads the load this one leaves, so two transactions never assign from the same stale
 * count. Rows are locked in consultant order (no deadlock between two such transactions).
 */
export async function lockConsultantLoads(
  db: pg.PoolClient,
  consultants: readonly string[],
): Promise<Map<string, number>> {
  if (consultants.length === 0) return new Map();
  const { rows } = await db.query<{ consultant: string; open: number }>({
    name: 'lock-consultant-loads',
    text: `INSERT INTO consultant_loads AS l (consultant)
           SELECT DISTINCT c FROM unnest($1::text[]) AS c ORDER BY c
           ON CONFLICT (consultant) DO UPDATE SET open = l.open
           RETURNING consultant, open`,
    values: [consultants],
  });
  return new Map(rows.map((row) => [row.consultant, row.open]));
}

/** Predictions (one row per head) and routing decisions, many inquiries in one statement. */
export async function insertClassifications(
  db: pg.PoolClient,
  items: readonly (ClassifiedInquiry & { modelVersion: string })[],
): Promise<void> {
  if (items.length === 0) return;
  const predictions = items.flatMap(({ inquiryId, classification, modelVersion }) =>
    Object.entries(classification).map(([head, p]) => ({
      inquiryId,
      modelVersion,
      head,
      label: p.label,
      confidence: p.confidence,
      scores: p.scores ?? null,
    })),
  );
  const d = items.map((item) => item.decision);
  await db.query({
    name: 'insert-classifications',
    text: `WITH p AS (
       INSERT INTO predictions (inquiry_id, model_version, head, label, confidence, scores)
       SELECT i, v, h, l, c, s::jsonb
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS t(i, v, h, l, c, s)
       ON CONFLICT (inquiry_id, model_version, head)
         DO UPDATE SET label = EXCLUDED.label, confidence = EXCLUDED.confidence, scores = EXCLUDED.scores
     )
     INSERT INTO routing_decisions (inquiry_id, department, priority_score, priority_band, escalated, rule, queue,
        consultant, sla_due_at, urgency, urgency_source, urgency_terms, triaged, model_version, policy_version)
     SELECT i, dep, ps, pb, esc, r, q, c, sla, u, us, coalesce(string_to_array(ut, E'\\x1f'), '{}'), tr, v, pv
       FROM unnest($7::uuid[], $8::text[], $9::int[], $10::text[], $11::bool[], $12::text[], $13::text[], $14::text[],
                   $15::timestamptz[], $16::text[], $17::text[], $18::text[], $19::bool[], $20::text[], $21::text[])
         AS t(i, dep, ps, pb, esc, r, q, c, sla, u, us, ut, tr, v, pv)
     ON CONFLICT (inquiry_id) DO NOTHING`,
    values: [
      predictions.map((p) => p.inquiryId),
      predictions.map((p) => p.modelVersion),
      predictions.map((p) => p.head),
      predictions.map((p) => p.label),
      predictions.map((p) => p.confidence),
      predictions.map((p) => (p.scores ? JSON.stringify(p.scores) : null)),
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
      items.map((item) => item.modelVersion),
      d.map((x) => x.policyVersion),
    ],
  });
}

/** Predictions, routing decisions, and classified_at, for many inquiries at once. */
export async function saveClassifications(
  db: pg.PoolClient,
  modelVersion: string,
  items: readonly ClassifiedInquiry[],
): Promise<void> {
  if (items.length === 0) return;
  await insertClassifications(
    db,
    items.map((item) => ({ ...item, modelVersion })),
  );
  await db.query('UPDATE inquiries SET classified_at = now() WHERE id = ANY($1::uuid[])', [
    items.map((item) => item.inquiryId),
  ]);
}
