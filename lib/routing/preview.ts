/**
 * What a routing-policy change would do: the last stored inquiries routed again under the new
 * policy, compared with the decisions stored for them — counts moving between departments and
 * escalations gained or lost. Pure: the caller reads the inquiries (store/preview.ts).
 */
import type { Classification } from '../model/runtime.js';
import type { Policy } from './policy.js';
import { routeInquiry, type RoutableInquiry } from './route-inquiry.js';

export interface StoredRouting {
  inquiry: RoutableInquiry;
  classification: Classification;
  /** The decision stored when it was routed. */
  department: string;
  escalated: boolean;
}

export interface RoutingPreview {
  /** Inquiries routed again. */
  sampled: number;
  /** Inquiries whose department would change. */
  changed: number;
  /** Department moves, largest first. */
  moves: { from: string; to: string; count: number }[];
  escalationsGained: number;
  escalationsLost: number;
  policyVersion: string;
}

/** Consultants are not compared: the preview never assigns one. */
const noConsultant = (): null => null;

export function previewRouting(stored: readonly StoredRouting[], policy: Policy): RoutingPreview {
  const moves = new Map<string, { from: string; to: string; count: number }>();
  let changed = 0;
  let escalationsGained = 0;
  let escalationsLost = 0;
  let policyVersion = '';
  for (const item of stored) {
    const { decision } = routeInquiry(item.inquiry, item.classification, policy, noConsultant);
    policyVersion = decision.policyVersion;
    if (decision.department !== item.department) {
      changed += 1;
      const key = `${item.department}\u0000${decision.department}`;
      const move = moves.get(key) ?? { from: item.department, to: decision.department, count: 0 };
      move.count += 1;
      moves.set(key, move);
    }
    if (decision.escalated && !item.escalated) escalationsGained += 1;
    if (!decision.escalated && item.escalated) escalationsLost += 1;
  }
  return {
    sampled: stored.length,
    changed,
    moves: [...moves.values()].sort(
      (a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to),
    ),
    escalationsGained,
    escalationsLost,
    policyVersion,
  };
}
