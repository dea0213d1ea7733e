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

/**
 * The document `insert_classifications` (migration 003) takes: predictions (one row per head)
 * and routing decisions of many inquiries.
 */
export function classificationRows(
  items: readonly (ClassifiedInquiry & { modelVersion: string })[],
) {
  return {
    predictions: items.flatMap(({ inquiryId, classification, modelVersion }) =>
      Object.entries(classification).map(([head, p]) => ({
        i: inquiryId,
        v: modelVersion,
        h: head,
        l: p.label,
        c: p.confidence,
        s: p.scores ?? null,
      })),
    ),
    decisions: items.map(({ inquiryId, decision: d, urgency, modelVersion }) => ({
      i: inquiryId,
      dep: d.department,
      ps: d.priorityScore,
      pb: d.priorityBand,
      esc: d.escalated,
      r: d.rule,
      q: d.queue,
      c: d.consultant,
      sla: timestamptzText(d.slaDueAt),
      u: urgency.label,
      us: urgency.source,
      ut: urgency.matchedTerms,
      tr: d.triaged,
      v: modelVersion,
      pv: d.policyVersion,
    })),
  };
}

/** Predictions and routing decisions, many inquiries in one statement. */
export async function insertClassifications(
  db: pg.PoolClient,
  items: readonly (ClassifiedInquiry & { modelVersion: string })[],
): Promise<void> {
  if (items.length === 0) return;
  await db.query({
    name: 'insert-classifications',
    text: 'SELECT insert_classifications($1::jsonb)',
    values: [JSON.stringify(classificationRows(items))],
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

/**
 * A Date as PostgreSQL reads a timestamptz from text. JSON's ISO form writes 1 BC as year 0000,
 * and years before it or after 9999 with a sign, which PostgreSQL refuses (node-postgres writes
 * bound Dates as "… BC" for the same reason); the documents' dates must say it the same way.
 */
export function timestamptzText(date: Date): string {
  const iso = date.toISOString();
  const year = date.getUTCFullYear();
  const bc = year < 1;
  // ISO text writes years outside 0000-9999 with a sign and six digits: from the month on.
  const rest = iso.slice(iso.indexOf('-', 1));
  return `${String(bc ? 1 - year : year).padStart(4, '0')}${rest}${bc ? ' BC' : ''}`;
}
