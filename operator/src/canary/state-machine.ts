/**
 * The rollout of one ModelVersion as an explicit state machine: from the spec, the status the
 * last reconcile wrote, the time, the pipeline's stable version, the routes as observed and
 * (when `analysisDue` said so and the caller ran one) an analysis, `nextStep` returns the whole
 * next status and the actions that take the world there. All progress lives in the status, so a
 * restart resumes at the same step; the function is pure, so reconciling again with the same
 * input decides the same.
 *
 * Phases: Pending → Progressing ⇄ Paused → Promoted → Superseded, or → RolledBack | Failed.
 * The status asks for traffic (the step's weight); the pipeline's routes follow it, and a step's
 * pause starts when the routes are observed to carry it. Each transition is built in one
 * function below.
 */
import type {
  ModelVersionSpec,
  ModelVersionStatus,
} from '../../../crds/generated/modelversions.js';
import { sameMatch, sendsToCandidate, type Routes, type TrafficState } from '../traffic/routes.js';
import { summarize, type AnalysisResult } from './analysis.js';
import { describeMatch, planRollout, type PlannedStep, type RolloutPlan } from './rollout.js';

export type Phase = NonNullable<ModelVersionStatus['phase']>;

/** A human's override: the annotation `inquiries.mlops.io/control: promote` (or `abort`). */
export type Control = 'promote' | 'abort';

export const CONTROL_ANNOTATION = 'inquiries.mlops.io/control';

/** The override a ModelVersion's annotations ask for, if any (other values are ignored). */
export function controlOf(annotations: Record<string, string> | undefined): Control | undefined {
  const requested = annotations?.[CONTROL_ANNOTATION];
  return requested === 'promote' || requested === 'abort' ? requested : undefined;
}

/** How long to wait for the routes to show a step before looking again (a watch wakes it sooner). */
export const ROUTE_RECHECK_MS = 10_000;

export interface CanaryInput {
  /** The ModelVersion's name (the routes name their candidate by it). */
  name: string;
  spec: ModelVersionSpec;
  /** As last written; undefined for a new object. */
  status: ModelVersionStatus | undefined;
  now: Date;
  /**
   * The pipeline's stable version (its latest promoted ModelVersion). Without one there is
   * nothing to compare with or share traffic with: the version is promoted at once.
   */
  stable: string | undefined;
  /** The routes as observed now; undefined when there are none yet. */
  routes: Routes | undefined;
  /** Results of an analysis run made now, when `analysisDue` said one is due. */
  analysis?: AnalysisResult[];
  control?: Control;
}

export type EventSeverity = 'Normal' | 'Warning';

/**
 * What the caller does, in order, before writing the decision's status. Each is idempotent.
 * Traffic is not an action: the pipeline's routes follow the status.
 */
export type Action =
  /** Apply the candidate's Deployment (put it back if someone deleted it). */
  | { type: 'deployCanary' }
  /** Remove the candidate's Deployment: no route sends it traffic any more. */
  | { type: 'removeCanary' }
  /** Set the candidate's MLflow `champion` alias (the routes make it stable from its status). */
  | { type: 'promote' }
  /** The rollout ended without promotion; leave the champion alias alone. */
  | { type: 'rollback'; reason: string }
  /** A Kubernetes Event on the ModelVersion; `reason` is CamelCase, `message` a sentence. */
  | { type: 'event'; severity: EventSeverity; reason: string; message: string };

export interface Decision {
  /**
   * The whole next status; `conditions` and `observedGeneration` pass through untouched. A field
   * it lacks that the previous status had is to be removed.
   */
  status: ModelVersionStatus;
  actions: Action[];
  /** Reconcile again after this long; null when only a change to the object can move it on. */
  requeueAfterMs: number | null;
  /**
   * An analysis is due: the caller runs it and calls again with its results (`analysisDue`).
   * `requeueAfterMs` is then the analysis interval, a fallback should the run not happen.
   */
  needsAnalysis: boolean;
  /** When this decision ends the rollout: its announcement, which also explains the conditions. */
  outcome?: { reason: string; message: string };
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
  const { now, control } = input;
  const status = input.status ?? {};
  const phase = status.phase ?? 'Pending';

  if (isTerminal(phase)) return afterTheEnd(input, status);
  const outcome = planRollout(input.spec);
  const ending = {
    now,
    retireAfterMs: outcome.ok ? outcome.plan.scaleDownDelayMs : 0,
    fromStable: input.stable !== undefined,
  };
  if (control === 'abort') return abortRollout(status, now);
  if (control === 'promote') return promoteManually(status, ending);

  if (!outcome.ok) return failRollout(status, outcome.problem, now);
  // The first model of a pipeline has nothing to be compared with or to share traffic with.
  const plan: RolloutPlan =
    input.stable === undefined
      ? { ...outcome.plan, strategy: 'Immediate', steps: [] }
      : outcome.plan;

  if (phase === 'Pending' || status.currentStep === undefined) {
    return input.spec.paused ? holdBeforeStart(status) : startRollout(status, plan, ending);
  }
  if (plan.strategy === 'Immediate') {
    return promoteRollout(status, ending, {
      reason: 'Promoted',
      message: 'The strategy is now Immediate: the model takes all traffic at once.',
    });
  }

  const paused = input.spec.paused === true;
  const walked = walkStep({
    status: { ...status, phase: paused ? 'Paused' : 'Progressing' },
    plan,
    now,
    ending,
    analysis: input.analysis,
    paused,
    live: liveTraffic(input),
  });
  const transition = pauseTransition(phase, paused, status.currentStep);
  return transition ? { ...walked, actions: [transition, ...walked.actions] } : walked;
}

/** True when `nextStep(input)` asks for an analysis run: the caller runs it, then decides once. */
export function analysisDue(input: CanaryInput): boolean {
  return input.analysis === undefined && nextStep(input).needsAnalysis;
}

/** The traffic the routes give this version now, as a candidate. */
function liveTraffic(input: CanaryInput): TrafficState | undefined {
  return sendsToCandidate(input.routes, input.name) ? input.routes!.traffic : undefined;
}

/** How a rollout ends: when, and whether a canary Deployment serves on for a while after. */
interface Ending {
  now: Date;
  /** After a promotion, how long the canary Deployment keeps serving (scaleDownDelay). */
  retireAfterMs: number;
  /** A stable version existed, so a canary Deployment may have run beside it. */
  fromStable: boolean;
}

// --- After the end ---

/**
 * A rollout that ended: its canary Deployment retires once its time has come and no route sends
 * it traffic; a promoted version whose pipeline has promoted a newer one is Superseded.
 */
function afterTheEnd(input: CanaryInput, status: ModelVersionStatus): Decision {
  const retiresAt = parseTime(status.canaryRetiresAt);
  if (retiresAt !== undefined) {
    const nowMs = input.now.getTime();
    if (nowMs < retiresAt) return waitFor(status, retiresAt - nowMs);
    if (liveTraffic(input) !== undefined) return waitFor(status, ROUTE_RECHECK_MS);
    const retired = { ...status };
    delete retired.canaryRetiresAt;
    return {
      status: retired,
      actions: [
        { type: 'removeCanary' },
        event(
          'Normal',
          'CanaryRetired',
          status.phase === 'Promoted'
            ? `canary Deployment removed after promotion; the stable Deployment serves ${input.name}`
            : 'canary Deployment removed; no route sends it traffic',
        ),
      ],
      requeueAfterMs: null,
      needsAnalysis: false,
    };
  }
  if (status.phase === 'Promoted' && input.stable !== undefined && input.stable !== input.name) {
    return {
      status: { ...status, phase: 'Superseded', canaryWeight: 0 },
      actions: [],
      requeueAfterMs: null,
      needsAnalysis: false,
    };
  }
  return unchanged(status);
}

// --- Starting ---

function startRollout(status: ModelVersionStatus, plan: RolloutPlan, ending: Ending): Decision {
  const first = plan.steps[0];
  if (plan.strategy === 'Immediate' || first === undefined) {
    return promoteRollout(status, ending, {
      reason: 'Promoted',
      message: 'Strategy Immediate: the model takes all traffic at once.',
    });
  }
  const started: ModelVersionStatus = {
    ...withoutStepStart(status),
    phase: 'Progressing',
    currentStep: 0,
    canaryWeight: first.weight,
    failedChecks: 0,
    lastAnalysis: [],
  };
  const actions: Action[] =
    plan.strategy === 'Shadow'
      ? [
          { type: 'deployCanary' },
          event(
            'Normal',
            'ShadowStarted',
            `Shadow started: the model receives mirrored traffic and never answers; ${stepLabel(0, plan)} is analysed after ${first.pause}.`,
          ),
        ]
      : [
          { type: 'deployCanary' },
          event(
            'Normal',
            'CanaryStarted',
            `Canary started: ${stepLabel(0, plan)} sends ${stepTraffic(first, plan)} to the model for ${first.pause} before analysis.`,
          ),
        ];
  return { status: started, actions, requeueAfterMs: ROUTE_RECHECK_MS, needsAnalysis: false };
}

/** `spec.paused` before anything started: nothing is deployed to traffic, nothing to analyse. */
function holdBeforeStart(status: ModelVersionStatus): Decision {
  const held: ModelVersionStatus = {
    ...status,
    phase: 'Paused',
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
  plan: RolloutPlan;
  now: Date;
  ending: Ending;
  analysis: AnalysisResult[] | undefined;
  paused: boolean;
  /** The traffic the routes give the candidate now (undefined: none). */
  live: TrafficState | undefined;
}

/**
 * One reconcile inside a step. The step starts when the routes are seen to carry it; the
 * analysis is due when its pause is over and then every interval after the last run
 * (`checkedAt` in `lastAnalysis`), so an early reconcile (a watch event, a restart) neither
 * skips the pause nor analyses twice in an interval. The candidate's Deployment is put back on
 * every pass.
 */
function walkStep(walk: StepWalk): Decision {
  const decision = walkStepTraffic(walk);
  return isTerminal(decision.status.phase)
    ? decision
    : { ...decision, actions: [{ type: 'deployCanary' }, ...decision.actions] };
}

function walkStepTraffic(walk: StepWalk): Decision {
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
  const stepStartedAt = parseTime(status.stepStartedAt);
  if (stepStartedAt === undefined) return awaitStepTraffic(status, plan, walk.live, now, step);
  const pauseEndsAt = stepStartedAt + step.pauseMs;
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
      return paused
        ? waitFor(recorded, plan.intervalMs)
        : advanceStep(recorded, plan, index, walk.ending);
    case 'Inconclusive':
      return !paused && nowMs - pauseEndsAt >= plan.progressDeadlineMs
        ? rollBack(recorded, walk.ending.now, {
            reason: 'ProgressDeadlineExceeded',
            message: `Rolled back at ${stepLabel(index, plan)}: the analysis stayed inconclusive for ${formatMs(nowMs - pauseEndsAt)} after the pause, past the progress deadline of ${formatMs(plan.progressDeadlineMs)}: ${messagesOf(results, 'Inconclusive')}`,
          })
        : awaitSamples(recorded, plan, index, results);
    case 'Fail':
      return countFailure(recorded, plan, index, results, walk.ending.now);
  }
}

/**
 * A step whose traffic is not live yet: it starts (its pause counts from now) once the routes
 * are seen to carry its weight and match (or its mirror); until then it waits, woken by the
 * routes' watch.
 */
function awaitStepTraffic(
  status: ModelVersionStatus,
  plan: RolloutPlan,
  live: TrafficState | undefined,
  now: Date,
  step: PlannedStep,
): Decision {
  const isLive =
    plan.strategy === 'Shadow'
      ? live?.kind === 'shadow'
      : live?.kind === 'canary' &&
        live.weight === status.canaryWeight &&
        sameMatch(live.match, plan.match);
  if (!isLive) return waitFor(status, ROUTE_RECHECK_MS);
  return waitFor({ ...status, stepStartedAt: now.toISOString() }, step.pauseMs);
}

function advanceStep(
  status: ModelVersionStatus,
  plan: RolloutPlan,
  index: number,
  ending: Ending,
): Decision {
  const next = plan.steps[index + 1];
  if (next === undefined) {
    return promoteRollout(status, ending, {
      reason: 'Promoted',
      message: `All ${plan.steps.length} steps passed analysis: the model takes all traffic.`,
    });
  }
  const advanced: ModelVersionStatus = {
    ...withoutStepStart(status),
    phase: 'Progressing',
    currentStep: index + 1,
    canaryWeight: next.weight,
  };
  const passed = `${capitalize(stepLabel(index, plan))} passed analysis`;
  const actions: Action[] = [
    plan.strategy === 'Shadow'
      ? event(
          'Normal',
          'StepAdvanced',
          `${passed}; ${stepLabel(index + 1, plan)} is analysed after ${next.pause}.`,
        )
      : event(
          'Normal',
          'StepAdvanced',
          `${passed}; ${stepLabel(index + 1, plan)} sends ${stepTraffic(next, plan)} to the model for ${next.pause}.`,
        ),
  ];
  return { status: advanced, actions, requeueAfterMs: ROUTE_RECHECK_MS, needsAnalysis: false };
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
  now: Date,
): Decision {
  const failedChecks = (status.failedChecks ?? 0) + 1;
  const counted: ModelVersionStatus = { ...status, failedChecks };
  const why = messagesOf(results, 'Fail');
  if (failedChecks > plan.failureLimit) {
    return rollBack(counted, now, {
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

function pauseTransition(phase: Phase, paused: boolean, currentStep = 0): Action | undefined {
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

function promoteManually(status: ModelVersionStatus, ending: Ending): Decision {
  return promoteRollout(status, ending, {
    reason: 'PromotedManually',
    message: `Promoted by a manual override ${whereNow(status)}: the model takes all traffic.`,
  });
}

function abortRollout(status: ModelVersionStatus, now: Date): Decision {
  return rollBack({ ...status, stepStartedAt: status.stepStartedAt ?? now.toISOString() }, now, {
    reason: 'AbortedManually',
    message: `Rolled back by a manual override ${whereNow(status)}.`,
  });
}

/** The candidate's Deployment retires at once: no route gives it traffic from now on. */
function failRollout(status: ModelVersionStatus, problem: string, now: Date): Decision {
  const message = `The rollout cannot run: ${problem}; fix spec.rollout.`;
  return {
    status: { ...ended(status, 'Failed', 0, now), canaryRetiresAt: now.toISOString() },
    actions: [
      { type: 'rollback', reason: `The rollout cannot run: ${problem}.` },
      event('Warning', 'InvalidRollout', message),
    ],
    requeueAfterMs: ROUTE_RECHECK_MS,
    needsAnalysis: false,
    outcome: { reason: 'InvalidRollout', message },
  };
}

/**
 * Promoted now (`promotedAt` makes it the pipeline's stable version). A canary Deployment that
 * ran beside a stable one keeps serving for `retireAfterMs` while the stable one rolls over.
 */
function promoteRollout(
  status: ModelVersionStatus,
  ending: Ending,
  announce: { reason: string; message: string },
): Decision {
  const { now } = ending;
  const retires = ending.fromStable
    ? { canaryRetiresAt: new Date(now.getTime() + ending.retireAfterMs).toISOString() }
    : {};
  return {
    status: { ...ended(status, 'Promoted', 100, now), promotedAt: now.toISOString(), ...retires },
    actions: [{ type: 'promote' }, event('Normal', announce.reason, announce.message)],
    requeueAfterMs: ending.fromStable ? ending.retireAfterMs : null,
    needsAnalysis: false,
    outcome: announce,
  };
}

/** Rolled back: the routes drop the candidate, whose Deployment retires once they have. */
function rollBack(
  status: ModelVersionStatus,
  now: Date,
  announce: { reason: string; message: string },
): Decision {
  return {
    status: { ...ended(status, 'RolledBack', 0, undefined), canaryRetiresAt: now.toISOString() },
    actions: [
      { type: 'rollback', reason: announce.message },
      event('Warning', announce.reason, announce.message),
    ],
    requeueAfterMs: ROUTE_RECHECK_MS,
    needsAnalysis: false,
    outcome: announce,
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

function withoutStepStart(status: ModelVersionStatus): ModelVersionStatus {
  const rest = { ...status };
  delete rest.stepStartedAt;
  return rest;
}

/** 90000 → "1m30s": durations in messages as the spec writes them. */
function formatMs(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const parts = [
    [Math.floor(seconds / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ] as const;
  return (
    parts
      .filter(([n]) => n > 0)
      .map(([n, unit]) => `${n}${unit}`)
      .join('') || '0s'
  );
}

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

/** What a canary step sends the candidate: `10 % of traffic and requests with header …`. */
function stepTraffic(step: PlannedStep, plan: RolloutPlan): string {
  if (plan.match.length === 0) return `${step.weight} % of traffic`;
  const matched = `requests with ${describeMatch(plan.match)}`;
  return step.weight === 0 ? `only ${matched}` : `${step.weight} % of traffic and ${matched}`;
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
