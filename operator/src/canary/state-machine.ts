/**
 * The rollout of one ModelVersion as an explicit state machine: from the spec, the status the
 * last reconcile wrote, the time, and (when the caller ran one) an analysis, `nextStep` returns
 * the whole next status and the actions that take the world there. All progress lives in the
 * status, so a restart resumes at the same step; the function is pure, so reconciling again
 * with the same input decides the same.
 *
 * Phases: Pending → Progressing ⇄ Paused → Promoted | RolledBack | Failed (Superseded is set by
 * the caller on the old stable). Each transition is built in one function below.
 */
import type {
  ModelVersionSpec,
  ModelVersionStatus,
} from '../../../crds/generated/modelversions.js';
import { summarize, type AnalysisResult } from './analysis.js';
import { planRollout, type PlannedStep, type RolloutPlan } from './rollout.js';

export type Phase = NonNullable<ModelVersionStatus['phase']>;

/** A human's override, read from an annotation by the caller. */
export type Control = 'promote' | 'abort';

export interface CanaryInput {
  spec: ModelVersionSpec;
  /** As last written; undefined for a new object. */
  status: ModelVersionStatus | undefined;
  now: Date;
  /** Results of an analysis run made now, when the previous decision asked for one. */
  analysis?: AnalysisResult[];
  control?: Control;
}

export type EventSeverity = 'Normal' | 'Warning';

/** What the caller does, in order, before writing the decision's status. Each is idempotent. */
export type Action =
  /** Send this percent of live traffic to the candidate. */
  | { type: 'setCanaryWeight'; weight: number }
  /** Move all traffic to the candidate, set its MLflow `champion` alias, mark the old stable Superseded. */
  | { type: 'promote' }
  /** Send no traffic to the candidate (and stop mirroring to it); leave the champion alias alone. */
  | { type: 'rollback'; reason: string }
  /** Mirror live traffic to the candidate, which never answers. */
  | { type: 'startShadow' }
  /** A Kubernetes Event on the ModelVersion; `reason` is CamelCase, `message` a sentence. */
  | { type: 'event'; severity: EventSeverity; reason: string; message: string };

export interface Decision {
  /** The whole next status; `conditions` and `observedGeneration` pass through untouched. */
  status: ModelVersionStatus;
  actions: Action[];
  /** Reconcile again after this long; null when only a change to the object can move it on. */
  requeueAfterMs: number | null;
  /**
   * The caller should run the analysis now and call again with its results. `requeueAfterMs` is
   * then the analysis interval, a fallback should the run not happen.
   */
  needsAnalysis: boolean;
}

const TERMINAL_PHASES: ReadonlySet<Phase> = new Set([
  'Promoted',
  'RolledBack',
  'Failed',
  'Superseded',
]);

/** True for the phases a rollout never leaves. */
export function isTerminal(phase: Phase | undefined): boolean {
  return phase !== undefined && TERMINAL_PHASES.has(phase);
}

/**
 * The next status and actions of a rollout. In order of precedence: a terminal phase never
 * changes; a manual abort or promote wins over everything else; an unplannable rollout Fails;
 * a rollout not yet started starts (or is held when `spec.paused`); a started one waits out its
 * step's pause, asks for an analysis every interval after it, and on the verdict advances,
 * promotes, counts a failure, rolls back or keeps waiting. While paused, analysis keeps running
 * and failures still roll back, but a pass never advances.
 */
export function nextStep(input: CanaryInput): Decision {
  const { spec, now, control } = input;
  const status = input.status ?? {};
  const phase = status.phase ?? 'Pending';

  if (isTerminal(phase)) return unchanged(status);
  if (control === 'abort') return abortRollout(status, now);
  if (control === 'promote') return promoteManually(status, now);

  const outcome = planRollout(spec);
  if (!outcome.ok) return failRollout(status, outcome.problem, now);
  const { plan } = outcome;

  const stepStartedAt = parseTime(status.stepStartedAt);
  if (phase === 'Pending' || stepStartedAt === undefined) {
    return spec.paused ? holdBeforeStart(status) : startRollout(status, plan, now);
  }
  if (plan.strategy === 'Immediate') {
    return promoteRollout(status, now, {
      reason: 'Promoted',
      message: 'The strategy is now Immediate: the model takes all traffic at once.',
    });
  }

  const paused = spec.paused === true;
  const walked = walkStep({
    status: { ...status, phase: paused ? 'Paused' : 'Progressing' },
    stepStartedAt,
    plan,
    now,
    analysis: input.analysis,
    paused,
  });
  const transition = pauseTransition(phase, paused, status.currentStep ?? 0);
  return transition ? { ...walked, actions: [transition, ...walked.actions] } : walked;
}

// --- Starting ---

function startRollout(status: ModelVersionStatus, plan: RolloutPlan, now: Date): Decision {
  const first = plan.steps[0];
  if (plan.strategy === 'Immediate' || first === undefined) {
    return promoteRollout(status, now, {
      reason: 'Promoted',
      message: 'Strategy Immediate: the model takes all traffic at once.',
    });
  }
  const started: ModelVersionStatus = {
    ...status,
    phase: 'Progressing',
    currentStep: 0,
    canaryWeight: first.weight,
    stepStartedAt: now.toISOString(),
    failedChecks: 0,
    lastAnalysis: [],
  };
  const actions: Action[] =
    plan.strategy === 'Shadow'
      ? [
          { type: 'startShadow' },
          event(
            'Normal',
            'ShadowStarted',
            `Shadow started: the model receives mirrored traffic and never answers; ${stepLabel(0, plan)} is analysed after ${first.pause}.`,
          ),
        ]
      : [
          { type: 'setCanaryWeight', weight: first.weight },
          event(
            'Normal',
            'CanaryStarted',
            `Canary started: ${stepLabel(0, plan)} sends ${first.weight} % of traffic to the model for ${first.pause} before analysis.`,
          ),
        ];
  return { status: started, actions, requeueAfterMs: first.pauseMs, needsAnalysis: false };
}

/** `spec.paused` before anything started: nothing is deployed to traffic, nothing to analyse. */
function holdBeforeStart(status: ModelVersionStatus): Decision {
  const held: ModelVersionStatus = {
    ...status,
    phase: 'Paused',
    currentStep: 0,
    canaryWeight: 0,
    failedChecks: status.failedChecks ?? 0,
    lastAnalysis: status.lastAnalysis ?? [],
  };
  const actions: Action[] =
    status.phase === 'Paused'
      ? []
      : [event('Normal', 'RolloutPaused', 'The rollout is paused before it started.')];
  return { status: held, actions, requeueAfterMs: null, needsAnalysis: false };
}

// --- Walking a step ---

interface StepWalk {
  status: ModelVersionStatus & { phase: 'Progressing' | 'Paused' };
  stepStartedAt: number;
  plan: RolloutPlan;
  now: Date;
  analysis: AnalysisResult[] | undefined;
  paused: boolean;
}

/**
 * One reconcile inside a step. The analysis is due when the step's pause is over and then every
 * interval after the last run (`checkedAt` in `lastAnalysis`), so an early reconcile (a watch
 * event, a restart) neither skips the pause nor analyses twice in an interval.
 */
function walkStep(walk: StepWalk): Decision {
  const { plan, now, paused } = walk;
  const index = clamp(walk.status.currentStep ?? 0, 0, plan.steps.length - 1);
  const step = stepAt(plan, index);
  const status: ModelVersionStatus = {
    ...walk.status,
    currentStep: index,
    canaryWeight: walk.status.canaryWeight ?? step.weight,
    failedChecks: walk.status.failedChecks ?? 0,
    lastAnalysis: walk.status.lastAnalysis ?? [],
  };
  const nowMs = now.getTime();
  const pauseEndsAt = walk.stepStartedAt + step.pauseMs;
  const lastCheckedAt = latestCheck(status.lastAnalysis ?? []);
  const analysisDueAt =
    lastCheckedAt !== undefined && lastCheckedAt >= pauseEndsAt
      ? lastCheckedAt + plan.intervalMs
      : pauseEndsAt;

  const analysis =
    walk.analysis ?? (plan.metrics.length === 0 && nowMs >= analysisDueAt ? [] : undefined);
  if (analysis === undefined) {
    return nowMs < analysisDueAt
      ? waitFor(status, analysisDueAt - nowMs)
      : { status, actions: [], requeueAfterMs: plan.intervalMs, needsAnalysis: true };
  }

  const results = withMissingMetrics(analysis, plan, now);
  const recorded: ModelVersionStatus = { ...status, lastAnalysis: results };
  // Results from before the pause ended describe too short a stretch: kept, not judged.
  if (nowMs < pauseEndsAt) return waitFor(recorded, pauseEndsAt - nowMs);

  switch (summarize(results)) {
    case 'Pass':
      return paused ? waitFor(recorded, plan.intervalMs) : advanceStep(recorded, plan, index, now);
    case 'Inconclusive':
      return awaitSamples(recorded, plan, index, results);
    case 'Fail':
      return countFailure(recorded, plan, index, results);
  }
}

function advanceStep(
  status: ModelVersionStatus,
  plan: RolloutPlan,
  index: number,
  now: Date,
): Decision {
  const next = plan.steps[index + 1];
  if (next === undefined) {
    return promoteRollout(status, now, {
      reason: 'Promoted',
      message: `All ${plan.steps.length} steps passed analysis: the model takes all traffic.`,
    });
  }
  const advanced: ModelVersionStatus = {
    ...status,
    phase: 'Progressing',
    currentStep: index + 1,
    canaryWeight: next.weight,
    stepStartedAt: now.toISOString(),
  };
  const passed = `${capitalize(stepLabel(index, plan))} passed analysis`;
  const actions: Action[] =
    plan.strategy === 'Shadow'
      ? [
          event(
            'Normal',
            'StepAdvanced',
            `${passed}; ${stepLabel(index + 1, plan)} is analysed after ${next.pause}.`,
          ),
        ]
      : [
          { type: 'setCanaryWeight', weight: next.weight },
          event(
            'Normal',
            'StepAdvanced',
            `${passed}; ${stepLabel(index + 1, plan)} sends ${next.weight} % of traffic to the model for ${next.pause}.`,
          ),
        ];
  return { status: advanced, actions, requeueAfterMs: next.pauseMs, needsAnalysis: false };
}

/** Every inconclusive run raises an event: repeats aggregate into one Event with a count. */
function awaitSamples(
  status: ModelVersionStatus,
  plan: RolloutPlan,
  index: number,
  results: AnalysisResult[],
): Decision {
  const why = messagesOf(results, 'Inconclusive');
  return {
    status,
    actions: [
      event(
        'Normal',
        'AnalysisInconclusive',
        `Analysis at ${stepLabel(index, plan)} is inconclusive; trying again in ${plan.interval}: ${why}`,
      ),
    ],
    requeueAfterMs: plan.intervalMs,
    needsAnalysis: false,
  };
}

/** `failedChecks` counts failed runs over the whole rollout; one more than `failureLimit` rolls back. */
function countFailure(
  status: ModelVersionStatus,
  plan: RolloutPlan,
  index: number,
  results: AnalysisResult[],
): Decision {
  const failedChecks = (status.failedChecks ?? 0) + 1;
  const counted: ModelVersionStatus = { ...status, failedChecks };
  const why = messagesOf(results, 'Fail');
  if (failedChecks > plan.failureLimit) {
    return rollBack(counted, {
      reason: 'RolledBack',
      message: `Rolled back at ${stepLabel(index, plan)} after ${failedChecks} failed analyses (${plan.failureLimit} tolerated): ${why}`,
    });
  }
  return {
    status: counted,
    actions: [
      event(
        'Warning',
        'AnalysisFailed',
        `Analysis failed at ${stepLabel(index, plan)} (${failedChecks} of ${plan.failureLimit} tolerated failures); trying again in ${plan.interval}: ${why}`,
      ),
    ],
    requeueAfterMs: plan.intervalMs,
    needsAnalysis: false,
  };
}

function pauseTransition(phase: Phase, paused: boolean, currentStep: number): Action | undefined {
  if (paused && phase !== 'Paused') {
    return event(
      'Normal',
      'RolloutPaused',
      `The rollout is paused at step ${currentStep + 1}; analysis keeps running.`,
    );
  }
  if (!paused && phase === 'Paused') {
    return event('Normal', 'RolloutResumed', `The rollout resumes at step ${currentStep + 1}.`);
  }
  return undefined;
}

// --- Ending ---

function promoteManually(status: ModelVersionStatus, now: Date): Decision {
  return promoteRollout(status, now, {
    reason: 'PromotedManually',
    message: `Promoted by a manual override ${whereNow(status)}: the model takes all traffic.`,
  });
}

function abortRollout(status: ModelVersionStatus, now: Date): Decision {
  return rollBack(
    { ...status, stepStartedAt: status.stepStartedAt ?? now.toISOString() },
    {
      reason: 'AbortedManually',
      message: `Rolled back by a manual override ${whereNow(status)}.`,
    },
  );
}

function failRollout(status: ModelVersionStatus, problem: string, now: Date): Decision {
  const failed = ended(status, 'Failed', 0, now);
  return {
    status: failed,
    actions: [
      { type: 'rollback', reason: `The rollout cannot run: ${problem}.` },
      event('Warning', 'InvalidRollout', `The rollout cannot run: ${problem}; fix spec.rollout.`),
    ],
    requeueAfterMs: null,
    needsAnalysis: false,
  };
}

function promoteRollout(
  status: ModelVersionStatus,
  now: Date,
  announce: { reason: string; message: string },
): Decision {
  return {
    status: ended(status, 'Promoted', 100, now),
    actions: [{ type: 'promote' }, event('Normal', announce.reason, announce.message)],
    requeueAfterMs: null,
    needsAnalysis: false,
  };
}

function rollBack(
  status: ModelVersionStatus,
  announce: { reason: string; message: string },
): Decision {
  return {
    status: ended(status, 'RolledBack', 0, undefined),
    actions: [
      { type: 'rollback', reason: announce.message },
      event('Warning', announce.reason, announce.message),
    ],
    requeueAfterMs: null,
    needsAnalysis: false,
  };
}

/** A terminal status: the step, its start and the analysis stay as the record of how it ended. */
function ended(
  status: ModelVersionStatus,
  phase: 'Promoted' | 'RolledBack' | 'Failed',
  canaryWeight: number,
  now: Date | undefined,
): ModelVersionStatus {
  const stepStartedAt = status.stepStartedAt ?? now?.toISOString();
  return {
    ...status,
    phase,
    currentStep: status.currentStep ?? 0,
    canaryWeight,
    ...(stepStartedAt !== undefined && { stepStartedAt }),
    failedChecks: status.failedChecks ?? 0,
    lastAnalysis: status.lastAnalysis ?? [],
  };
}

function unchanged(status: ModelVersionStatus): Decision {
  return { status, actions: [], requeueAfterMs: null, needsAnalysis: false };
}

function waitFor(status: ModelVersionStatus, ms: number): Decision {
  return { status, actions: [], requeueAfterMs: ms, needsAnalysis: false };
}

// --- Small helpers ---

/** A configured metric the run left out counts as Inconclusive, so a partial run cannot pass. */
function withMissingMetrics(
  results: AnalysisResult[],
  plan: RolloutPlan,
  now: Date,
): AnalysisResult[] {
  const reported = new Set(results.map((r) => r.name));
  const missing = plan.metrics
    .filter((m) => !reported.has(m.name))
    .map((m): AnalysisResult => ({
      name: m.name,
      verdict: 'Inconclusive',
      message: `${m.name} was not analysed.`,
      checkedAt: now.toISOString(),
    }));
  return [...results, ...missing];
}

function latestCheck(results: readonly AnalysisResult[]): number | undefined {
  const times = results
    .map((r) => parseTime(r.checkedAt))
    .filter((t): t is number => t !== undefined);
  return times.length === 0 ? undefined : Math.max(...times);
}

function messagesOf(results: readonly AnalysisResult[], verdict: AnalysisResult['verdict']) {
  return results
    .filter((r) => r.verdict === verdict)
    .map((r) => r.message ?? `${r.name} is ${verdict}.`)
    .join(' ');
}

function stepAt(plan: RolloutPlan, index: number): PlannedStep {
  const step = plan.steps[index];
  if (step === undefined) throw new Error(`rollout plan has no step ${index + 1}`);
  return step;
}

function stepLabel(index: number, plan: RolloutPlan): string {
  return `step ${index + 1}/${plan.steps.length}`;
}

function whereNow(status: ModelVersionStatus): string {
  return status.stepStartedAt === undefined
    ? 'before the rollout started'
    : `at step ${(status.currentStep ?? 0) + 1} (${status.canaryWeight ?? 0} % of traffic)`;
}

function event(severity: EventSeverity, reason: string, message: string): Action {
  return { type: 'event', severity, reason, message };
}

function parseTime(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
