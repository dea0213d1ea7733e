/**
 * Status helpers the reconcilers share: standard conditions (lastTransitionTime kept while the
 * status holds) and a key-order-free comparison, so an unchanged status is never written.
 */

import type { Condition } from '../resources.js';

/** Keeps lastTransitionTime when a condition's status did not change. */
export function setCondition(
  previous: Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const old = previous?.find((c) => c.type === next.type);
  const condition = {
    ...next,
    lastTransitionTime:
      old && old.status === next.status ? old.lastTransitionTime : now.toISOString(),
  };
  return [...(previous ?? []).filter((c) => c.type !== next.type), condition];
}

/** JSON with object keys sorted: the API server returns status keys in its own order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
