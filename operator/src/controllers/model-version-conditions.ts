/**
 * The standard conditions of a ModelVersion, derived from its rollout status: Ready (promoted,
 * serving as stable), Progressing (walking its steps), Degraded (rolled back, failed, or a
 * dependency failing now). A pure function of the status, so an unchanged rollout writes the
 * same conditions and the API server sees a no-op.
 */
import type { ModelVersionStatus } from '../../../crds/generated/modelversions.js';
import type { Condition } from '../resources.js';
import { setCondition } from './status.js';

export interface ConditionContext {
  generation: number | undefined;
  /** Steps of the rollout plan (0 when it has none, e.g. Immediate). */
  steps: number;
  shadow: boolean;
  /** The rollout's A/B match in words (`describeMatch`), when it has one. */
  match?: string;
  /** The decision's announcement when this reconcile ended the rollout (its Event). */
  outcome?: { reason: string; message: string };
  /** A failure of this reconcile (MLflow, the API server, a missing pipeline). */
  problem?: { reason: string; message: string };
}

type Next = Omit<Condition, 'lastTransitionTime' | 'type'>;

function ready(phase: string, context: ConditionContext): Next {
  if (phase === 'Promoted')
    return {
      status: 'True',
      reason: 'Promoted',
      message: 'Serving all traffic as the stable version.',
    };
  const why: Record<string, string> = {
    Pending: 'The rollout has not started.',
    Progressing: 'Rolling out; not promoted yet.',
    Paused: 'The rollout is paused (spec.paused); not promoted.',
    Superseded: 'A newer version was promoted; this one serves no traffic.',
    RolledBack: context.outcome?.message ?? 'Rolled back; serves no traffic.',
    Failed: context.outcome?.message ?? 'The rollout failed; serves no traffic.',
  };
  return { status: 'False', reason: phase, message: why[phase] ?? `Phase ${phase}.` };
}

function progressing(status: ModelVersionStatus, context: ConditionContext): Next {
  const phase = status.phase ?? 'Pending';
  const where = context.shadow
    ? 'receives a mirror of live traffic and answers none'
    : `step ${(status.currentStep ?? 0) + 1} of ${context.steps}, ${status.canaryWeight ?? 0} % of traffic${context.match ? ` and requests with ${context.match}` : ''}`;
  switch (phase) {
    case 'Pending':
      return { status: 'Unknown', reason: 'Pending', message: 'Waiting to start.' };
    case 'Progressing':
      return {
        status: 'True',
        reason: context.shadow ? 'Shadowing' : 'CanaryStep',
        message: `Rolling out: ${where}.`,
      };
    case 'Paused':
      return { status: 'Unknown', reason: 'Paused', message: `Held by spec.paused: ${where}.` };
    default:
      return { status: 'False', reason: phase, message: `The rollout ended: ${phase}.` };
  }
}

function degraded(phase: string, context: ConditionContext): Next {
  if (context.problem) return { status: 'True', ...context.problem };
  if (phase === 'RolledBack' || phase === 'Failed')
    return {
      status: 'True',
      reason: context.outcome?.reason ?? phase,
      message: context.outcome?.message ?? `The rollout ended ${phase}.`,
    };
  return { status: 'False', reason: 'AsExpected', message: 'No failure.' };
}

/**
 * Ready, Progressing and Degraded for `status`, keeping each condition's lastTransitionTime
 * while its status holds. (A rollout that ended is not reconciled again, so its outcome is
 * only ever given by the reconcile that ended it.)
 */
export function modelVersionConditions(
  status: ModelVersionStatus,
  context: ConditionContext,
  now: Date,
): Condition[] {
  const previous = status.conditions as Condition[] | undefined;
  const phase = status.phase ?? 'Pending';
  const observed =
    context.generation === undefined ? {} : { observedGeneration: context.generation };
  let conditions = previous;
  for (const [type, next] of [
    ['Ready', ready(phase, context)],
    ['Progressing', progressing(status, context)],
    ['Degraded', degraded(phase, context)],
  ] as const)
    conditions = setCondition(conditions, { type, ...next, ...observed }, now);
  return conditions!;
}
