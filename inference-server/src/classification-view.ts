/** How classifications and routing decisions look in API answers (snake_case, rounded confidences). */
import type { Classification } from '../../lib/model/runtime.js';
import type { RoutingDecision } from '../../lib/routing/engine.js';
import type { Urgency } from '../../lib/routing/urgency.js';

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

export function classificationView(
  classification: Classification,
  urgency: Urgency,
  allScores: boolean,
): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [head, prediction] of Object.entries(classification)) {
    view[head] = {
      label: prediction.label,
      confidence: round(prediction.confidence),
      ...(allScores && prediction.scores
        ? {
            scores: Object.fromEntries(
              Object.entries(prediction.scores).map(([label, p]) => [label, round(p)]),
            ),
          }
        : {}),
    };
  }
  view.urgency = {
    ...(view.urgency as object | undefined),
    label: urgency.label,
    confidence: round(urgency.confidence),
    source: urgency.source,
    matched_terms: urgency.matchedTerms,
  };
  return view;
}

export function routingView(decision: RoutingDecision): Record<string, unknown> {
  return {
    department: decision.department,
    queue: decision.queue,
    priority_score: decision.priorityScore,
    priority_band: decision.priorityBand,
    escalated: decision.escalated,
    rule: decision.rule,
    consultant_pool: decision.consultantPool,
    consultant: decision.consultant,
    triaged: decision.triaged,
    sla_due_at: decision.slaDueAt.toISOString(),
    policy_version: decision.policyVersion,
  };
}
