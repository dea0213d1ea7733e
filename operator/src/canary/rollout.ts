/**
 * `spec.rollout` resolved into the plan the state machine walks: defaults applied (they agree
 * with the CRD schema's defaults; a test reads crds/modelversions.yaml and compares), durations
 * parsed, and the rules the API server enforces checked again, so an object written by a client
 * that skips validation fails clearly instead of half-rolling out.
 */
import type { ModelVersionSpec } from '../../../crds/generated/modelversions.js';
import { parseDuration } from './duration.js';

type Rollout = NonNullable<ModelVersionSpec['rollout']>;
export type Strategy = NonNullable<Rollout['strategy']>;

/** One entry of `spec.rollout.analysis.metrics`. */
export type AnalysisMetric = NonNullable<NonNullable<Rollout['analysis']>['metrics']>[number];

const DEFAULT_ROLLOUT: Rollout = {
  strategy: 'Canary',
  steps: [
    { weight: 10, pause: '5m' },
    { weight: 50, pause: '5m' },
  ],
  analysis: {
    interval: '1m',
    failureLimit: 2,
    metrics: [
      {
        name: 'online-accuracy',
        provider: 'mlflow',
        metric: 'online.accuracy',
        sampleMetric: 'online.samples',
        minSamples: 50,
        min: 0.8,
      },
    ],
  },
};

export const ROLLOUT_DEFAULTS = {
  /** The whole `spec.rollout` when it is absent. */
  rollout: DEFAULT_ROLLOUT,
  strategy: 'Canary' as Strategy,
  stepPause: '5m',
  interval: '1m',
  failureLimit: 2,
  minSamples: 0,
  /** A Shadow without steps analyses once, after this long. */
  shadowPause: '5m',
  /** After promotion, how long the canary Deployment keeps serving beside the stable one. */
  scaleDownDelay: '2m',
  /** How long a step may stay inconclusive after its pause (at least three intervals). */
  progressDeadline: '30m',
} as const;

export interface PlannedStep {
  /** Percent of live traffic to the candidate: the step's weight, or 0 for a Shadow. */
  weight: number;
  /** The pause as written, for messages. */
  pause: string;
  pauseMs: number;
}

export interface RolloutPlan {
  strategy: Strategy;
  /** Empty for Immediate; at least one step otherwise. */
  steps: PlannedStep[];
  interval: string;
  intervalMs: number;
  failureLimit: number;
  metrics: AnalysisMetric[];
  scaleDownDelayMs: number;
  /** Past a step's pause by this long and still inconclusive: rolled back. */
  progressDeadlineMs: number;
}

export type PlanOutcome = { ok: true; plan: RolloutPlan } | { ok: false; problem: string };

/**
 * The rollout to walk for `spec`, or the problem that makes it impossible (a Canary without
 * steps, weights not strictly increasing within 1–100, a malformed duration).
 */
export function planRollout(spec: ModelVersionSpec): PlanOutcome {
  const d = ROLLOUT_DEFAULTS;
  const rollout = spec.rollout ?? d.rollout;
  const strategy = rollout.strategy ?? d.strategy;
  const analysis = rollout.analysis ?? {};
  try {
    const steps = plannedSteps(strategy, rollout.steps ?? []);
    const interval = analysis.interval ?? d.interval;
    const intervalMs = parseDuration(interval);
    return {
      ok: true,
      plan: {
        strategy,
        steps,
        interval,
        intervalMs,
        failureLimit: analysis.failureLimit ?? d.failureLimit,
        metrics: [...(analysis.metrics ?? [])],
        scaleDownDelayMs: parseDuration(rollout.scaleDownDelay ?? d.scaleDownDelay),
        progressDeadlineMs: rollout.progressDeadline
          ? parseDuration(rollout.progressDeadline)
          : Math.max(parseDuration(d.progressDeadline), 3 * intervalMs),
      },
    };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

function plannedSteps(
  strategy: Strategy,
  steps: readonly { weight: number; pause?: string }[],
): PlannedStep[] {
  const d = ROLLOUT_DEFAULTS;
  const planned = (pause: string, weight: number): PlannedStep => ({
    weight,
    pause,
    pauseMs: parseDuration(pause),
  });
  switch (strategy) {
    case 'Immediate':
      return [];
    case 'Shadow':
      return steps.length === 0
        ? [planned(d.shadowPause, 0)]
        : steps.map((step) => planned(step.pause ?? d.stepPause, 0));
    case 'Canary':
      if (steps.length === 0) throw new Error('a Canary rollout needs at least one step');
      steps.forEach((step, i) => {
        const previous = steps[i - 1]?.weight ?? 0;
        if (!Number.isInteger(step.weight) || step.weight < 1 || step.weight > 100) {
          throw new Error(`canary step ${i + 1} has weight ${step.weight}; use 1 to 100`);
        }
        if (step.weight <= previous) {
          throw new Error('canary step weights must be strictly increasing');
        }
      });
      return steps.map((step) => planned(step.pause ?? d.stepPause, step.weight));
    default:
      throw new Error(
        `unknown rollout strategy ${JSON.stringify(strategy)}; use Canary, Immediate or Shadow`,
      );
  }
}
