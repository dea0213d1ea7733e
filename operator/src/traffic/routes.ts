/**
 * The routes of a pipeline as a pure function of its ModelVersions: which one is stable (the
 * latest promoted), which one is rolling out, and what traffic that rollout asks for. The
 * pipeline's reconciler applies the result through a `TrafficRouter`; the ModelVersion
 * reconciler compares it with what it observes, so a step's pause starts when its weight is live.
 */
import { planRollout, type RequestMatch } from '../canary/rollout.js';
import { canonicalJson } from '../controllers/status.js';
import type { ModelVersion } from '../resources.js';

/**
 * What the routes do with a candidate beside the stable version. A canary gets `weight` % of
 * the requests and, when `match` is there (never empty), every request that matches it first;
 * with a match its weight may be 0 (A/B only).
 */
export type TrafficState =
  | { kind: 'stable' }
  | { kind: 'canary'; candidate: string; weight: number; match?: RequestMatch[] }
  | { kind: 'shadow'; candidate: string };

export interface Routes {
  /** The ModelVersion the stable subset serves. */
  stable: string;
  traffic: TrafficState;
}

export const STABLE_ONLY: TrafficState = { kind: 'stable' };

type Version = Pick<ModelVersion, 'metadata' | 'spec' | 'status'>;

const ofPipeline = (pipeline: string, v: Version) =>
  v.spec?.pipeline === pipeline && v.metadata.deletionTimestamp === undefined;

/**
 * The stable version of a pipeline: its Promoted ModelVersion promoted last (by
 * `status.promotedAt`, then name), or undefined before the first promotion.
 */
export function stableVersion<V extends Version>(
  pipeline: string,
  versions: readonly V[],
): V | undefined {
  return versions
    .filter((v) => ofPipeline(pipeline, v) && v.status?.phase === 'Promoted')
    .sort(
      (a, b) =>
        (b.status?.promotedAt ?? '').localeCompare(a.status?.promotedAt ?? '') ||
        (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''),
    )[0];
}

/** True when `v` has entered a step of its rollout (not merely held before it started). */
export function isRollingOut(v: Version): boolean {
  const phase = v.status?.phase;
  return (
    (phase === 'Progressing' || phase === 'Paused') &&
    v.status?.currentStep !== undefined &&
    v.metadata.deletionTimestamp === undefined
  );
}

/**
 * What a pipeline reads of one of its versions (its stable version, its rollout under way); a
 * change of it wakes the pipeline. '' for a version that neither serves nor rolls out (new,
 * pending, superseded, failed): its changes leave the pipeline's children and routes as they are.
 */
export function servingState(v: Version): string {
  const s = v.status;
  if (s?.phase !== 'Promoted' && s?.phase !== 'Progressing' && s?.phase !== 'Paused') return '';
  return canonicalJson([
    v.spec?.pipeline,
    v.metadata.generation,
    s.phase,
    s.artifactUri,
    s.currentStep,
    s.canaryWeight,
    s.promotedAt,
    v.metadata.deletionTimestamp,
  ]);
}

/** The rollout that gets traffic: the oldest one under way (others wait for its end). */
export function activeRollout<V extends Version>(
  pipeline: string,
  versions: readonly V[],
): V | undefined {
  return versions
    .filter((v) => ofPipeline(pipeline, v) && isRollingOut(v))
    .sort(
      (a, b) =>
        String(a.metadata.creationTimestamp ?? '').localeCompare(
          String(b.metadata.creationTimestamp ?? ''),
        ) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    )[0];
}

/**
 * The traffic a rollout's status asks for: its step's weight and its spec's match, or a mirror
 * for a Shadow.
 */
export function requestedTraffic(v: Version): TrafficState {
  if (!isRollingOut(v)) return STABLE_ONLY;
  const plan = planRollout(v.spec);
  const candidate = v.metadata.name!;
  if (!plan.ok || plan.plan.strategy === 'Immediate') return STABLE_ONLY;
  if (plan.plan.strategy === 'Shadow') return { kind: 'shadow', candidate };
  const weight = v.status?.canaryWeight ?? 0;
  const { match } = plan.plan;
  if (match.length > 0) return { kind: 'canary', candidate, weight, match };
  return weight > 0 ? { kind: 'canary', candidate, weight } : STABLE_ONLY;
}

/**
 * The routes of `pipeline`: all to its stable version, or the share its active rollout asks for
 * as far as the candidate's available pods carry it. `candidateCapacity` gives the weight (0–100)
 * they carry: 0 (no pod available yet) keeps every request, matched ones included, on stable; a
 * step asking for more than its pods carry gets what they carry until the rest are available
 * (the rollout's step starts only once its whole weight is live). Undefined before the first
 * promotion (nothing to route to).
 */
export function desiredRoutes(
  pipeline: string,
  versions: readonly Version[],
  candidateCapacity: (candidate: string) => number,
): Routes | undefined {
  const stable = stableVersion(pipeline, versions);
  if (!stable) return undefined;
  const rollout = activeRollout(pipeline, versions);
  const requested = rollout ? requestedTraffic(rollout) : STABLE_ONLY;
  return { stable: stable.metadata.name!, traffic: carried(requested, candidateCapacity) };
}

function carried(
  traffic: TrafficState,
  candidateCapacity: (candidate: string) => number,
): TrafficState {
  if (traffic.kind === 'stable') return traffic;
  const capacity = candidateCapacity(traffic.candidate);
  if (capacity <= 0) return STABLE_ONLY;
  return traffic.kind === 'canary' && traffic.weight > capacity
    ? { ...traffic, weight: capacity }
    : traffic;
}

export function sameTraffic(a: TrafficState, b: TrafficState): boolean {
  if (a.kind === 'stable' || b.kind === 'stable') return a.kind === b.kind;
  if (a.kind === 'canary' && b.kind === 'canary')
    return a.candidate === b.candidate && a.weight === b.weight && sameMatch(a.match, b.match);
  return a.kind === b.kind && a.candidate === b.candidate;
}

/** Two normalized matches (see `RequestMatch`) ask for the same requests; none equals empty. */
export function sameMatch(
  a: readonly RequestMatch[] | undefined,
  b: readonly RequestMatch[] | undefined,
): boolean {
  return canonicalJson(a ?? []) === canonicalJson(b ?? []);
}

/** True when `routes` send `version` any traffic (weighted or mirrored) as a candidate. */
export function sendsToCandidate(routes: Routes | undefined, version: string): boolean {
  return routes !== undefined && routes.traffic.kind !== 'stable'
    ? routes.traffic.candidate === version
    : false;
}
