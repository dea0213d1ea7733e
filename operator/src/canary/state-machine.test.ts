import type {
  ModelVersionSpec,
  ModelVersionStatus,
} from '../../../crds/generated/modelversions.js';
import type { ModelVersion } from '../resources.js';
import { requestedTraffic, type Routes } from '../traffic/routes.js';
import { judgeMetric, type AnalysisResult, type Observation } from './analysis.js';
import { planRollout, type AnalysisMetric } from './rollout.js';
import {
  analysisDue,
  controlOf,
  isTerminal,
  nextStep,
  ROUTE_RECHECK_MS,
  type Action,
  type CanaryInput,
  type Decision,
} from './state-machine.js';

const T0 = new Date('2025-03-01T10:00:00.000Z');
const MINUTE = 60_000;
const at = (minutes: number) => new Date(T0.getTime() + minutes * MINUTE);

const onlineAccuracy: AnalysisMetric = {
  name: 'online-accuracy',
  provider: 'mlflow',
  metric: 'online.accuracy',
  sampleMetric: 'online.samples',
  minSamples: 100,
  min: 0.85,
};
const offlineMacroF1: AnalysisMetric = {
  name: 'offline-macro-f1',
  provider: 'mlflow',
  metric: 'test.category.macro_f1',
  maxDegradation: 0.01,
};
const errorRate: AnalysisMetric = {
  name: 'error-rate',
  provider: 'prometheus',
  query: 'sum(rate(errors[2m]))',
  max: 0.01,
};

/** The example ModelVersion: 10 % → 25 % → 50 %, analysis every 2m, 2 failures tolerated. */
const canary: ModelVersionSpec = {
  pipeline: 'support-emea',
  model: { name: 'support-emea-classifier', version: '7' },
  rollout: {
    strategy: 'Canary',
    steps: [
      { weight: 10, pause: '10m' },
      { weight: 25, pause: '10m' },
      { weight: 50, pause: '20m' },
    ],
    analysis: {
      interval: '2m',
      failureLimit: 2,
      metrics: [onlineAccuracy, offlineMacroF1, errorRate],
    },
  },
};

const NAME = 'support-emea-v7';
const STABLE = 'support-emea-v6';

/** The routes once the pipeline has applied what `status` asks for. */
function routesFor(spec: ModelVersionSpec, status: ModelVersionStatus | undefined): Routes {
  const version = { metadata: { name: NAME }, spec, status } as ModelVersion;
  return { stable: STABLE, traffic: requestedTraffic(version) };
}

type Given = Omit<CanaryInput, 'name' | 'stable' | 'routes'> &
  Partial<Pick<CanaryInput, 'name' | 'stable' | 'routes'>>;

/**
 * `nextStep` for the candidate NAME beside the stable STABLE, its routes (unless given) already
 * carrying what its status asks for.
 */
function decide(input: Given): Decision {
  return nextStep({
    name: NAME,
    stable: STABLE,
    routes: routesFor(input.spec, input.status),
    ...input,
  });
}

type Observe = (metric: AnalysisMetric, now: Date) => Observation;

const good: Observe = (metric) =>
  ({
    'online-accuracy': { value: 0.91, samples: 500 },
    'offline-macro-f1': { value: 0.9, baseline: 0.905 },
    'error-rate': { value: 0.002 },
  })[metric.name] ?? {};

const badAccuracy: Observe = (metric, now) =>
  metric.name === 'online-accuracy' ? { value: 0.7, samples: 500 } : good(metric, now);

const fewSamples: Observe = (metric, now) =>
  metric.name === 'online-accuracy' ? { value: 0.91, samples: 3 } : good(metric, now);

function analyse(observe: Observe, now: Date, spec: ModelVersionSpec = canary): AnalysisResult[] {
  const outcome = planRollout(spec);
  if (!outcome.ok) throw new Error(outcome.problem);
  return outcome.plan.metrics.map((metric) => judgeMetric(metric, observe(metric, now), now));
}

/**
 * A fake reconciler and pipeline: asks `analysisDue`, runs the analysis when due, decides once,
 * records the actions, writes the status; the routes then follow the status at once (a step
 * awaiting its routes is reconciled again at the same time, as the routes' watch would) and
 * it sleeps for `requeueAfterMs`, until the rollout ends.
 */
function reconcileUntilSettled(spec: ModelVersionSpec, observe: Observe, start = T0) {
  let status: ModelVersionStatus | undefined;
  let now = start;
  const weights: number[] = [];
  const events: string[] = [];
  const actions: Action[] = [];
  for (let i = 0; i < 200; i++) {
    const input = { spec, status, now };
    const due = analysisDue({
      name: NAME,
      stable: STABLE,
      routes: routesFor(spec, status),
      ...input,
    });
    const decision = decide(due ? { ...input, analysis: analyse(observe, now, spec) } : input);
    expect(decision.needsAnalysis).toBe(false);
    for (const action of decision.actions) {
      actions.push(action);
      if (action.type === 'promote') weights.push(100);
      if (action.type === 'rollback') weights.push(0);
      if (action.type === 'event') events.push(action.reason);
    }
    const before = routesFor(spec, status).traffic;
    status = decision.status;
    const after = routesFor(spec, status).traffic;
    if (after.kind === 'canary' && (before.kind !== 'canary' || before.weight !== after.weight))
      weights.push(after.weight);
    if (decision.requeueAfterMs === null || isTerminal(status.phase))
      return { status, weights, events, actions, now };
    const awaitsRoutes = status.currentStep !== undefined && status.stepStartedAt === undefined;
    if (!awaitsRoutes) now = new Date(now.getTime() + decision.requeueAfterMs);
  }
  throw new Error('the rollout did not settle in 200 reconciles');
}

/** `input` for NAME beside STABLE, its routes carrying what its status asks for. */
const inputOf = (given: Given): CanaryInput => ({
  name: NAME,
  stable: STABLE,
  routes: routesFor(given.spec, given.status),
  ...given,
});

/** The status of the example canary at `step` (0-based) started at `startedAt`. */
function progressing(step: number, startedAt: Date, extra: ModelVersionStatus = {}) {
  const weights = [10, 25, 50];
  return {
    phase: 'Progressing',
    currentStep: step,
    canaryWeight: weights[step],
    stepStartedAt: startedAt.toISOString(),
    failedChecks: 0,
    lastAnalysis: [],
    ...extra,
  } satisfies ModelVersionStatus;
}

/** The status of the example canary having entered `step`, its routes not yet seen to carry it. */
function entered(step: number, extra: ModelVersionStatus = {}): ModelVersionStatus {
  const status: ModelVersionStatus = progressing(step, T0, extra);
  delete status.stepStartedAt;
  return status;
}

/** Every pass of a rollout under way puts the candidate's Deployment back. */
const DEPLOY: Action = { type: 'deployCanary' };

const eventsOf = (decision: Decision) =>
  decision.actions.filter((a) => a.type === 'event').map((a) => `${a.severity} ${a.reason}`);

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

describe('nextStep: a Canary', () => {
  it('walks a good candidate through every step to Promoted: 10 → 25 → 50 → 100', () => {
    const run = reconcileUntilSettled(canary, good);
    expect(run.weights).toEqual([10, 25, 50, 100]);
    expect(run.events).toEqual(['CanaryStarted', 'StepAdvanced', 'StepAdvanced', 'Promoted']);
    expect(run.now).toEqual(at(40));
    expect(run.status).toMatchObject({
      phase: 'Promoted',
      currentStep: 2,
      canaryWeight: 100,
      stepStartedAt: at(20).toISOString(),
      failedChecks: 0,
    });
    expect(run.status.lastAnalysis?.map((r) => [r.name, r.verdict, r.checkedAt])).toEqual([
      ['online-accuracy', 'Pass', at(40).toISOString()],
      ['offline-macro-f1', 'Pass', at(40).toISOString()],
      ['error-rate', 'Pass', at(40).toISOString()],
    ]);
  });

  it('starts at step 1 with its weight, and waits its pause from when the routes carry it', () => {
    const decision = decide({ spec: canary, status: undefined, now: T0 });
    expect(decision).toEqual({
      status: {
        phase: 'Progressing',
        currentStep: 0,
        canaryWeight: 10,
        failedChecks: 0,
        lastAnalysis: [],
      },
      actions: [
        DEPLOY,
        {
          type: 'event',
          severity: 'Normal',
          reason: 'CanaryStarted',
          message:
            'Canary started: step 1/3 sends 10 % of traffic to the model for 10m before analysis.',
        },
      ],
      requeueAfterMs: ROUTE_RECHECK_MS,
      needsAnalysis: false,
    });
    expect(decide({ spec: canary, status: { phase: 'Pending' }, now: T0 })).toEqual(decision);
    // The routes do not carry 10 % yet (a slow apply, a candidate with no ready pod): it waits.
    const stableOnly = { stable: STABLE, traffic: { kind: 'stable' as const } };
    expect(decide({ spec: canary, status: entered(0), now: at(1), routes: stableOnly })).toEqual({
      status: entered(0),
      actions: [DEPLOY],
      requeueAfterMs: ROUTE_RECHECK_MS,
      needsAnalysis: false,
    });
    const otherWeight = {
      stable: STABLE,
      traffic: { kind: 'canary' as const, candidate: NAME, weight: 25 },
    };
    expect(
      decide({ spec: canary, status: entered(0), now: at(1), routes: otherWeight }).status,
    ).toEqual(entered(0));
    // Once they do, its pause counts from then.
    expect(decide({ spec: canary, status: entered(0), now: at(2) })).toEqual({
      status: progressing(0, at(2)),
      actions: [DEPLOY],
      requeueAfterMs: 10 * MINUTE,
      needsAnalysis: false,
    });
  });

  it('waits the time left of the pause, then asks for an analysis', () => {
    const status = progressing(0, T0);
    expect(decide({ spec: canary, status, now: at(4) })).toEqual({
      status,
      actions: [DEPLOY],
      requeueAfterMs: 6 * MINUTE,
      needsAnalysis: false,
    });
    expect(decide({ spec: canary, status, now: at(10) })).toEqual({
      status,
      actions: [DEPLOY],
      requeueAfterMs: 2 * MINUTE,
      needsAnalysis: true,
    });
    expect(analysisDue(inputOf({ spec: canary, status, now: at(10) }))).toBe(true);
    expect(analysisDue(inputOf({ spec: canary, status, now: at(4) }))).toBe(false);
  });

  it('advances on a pass: the next weight, a step awaiting its routes, an event, the results recorded', () => {
    const analysis = analyse(good, at(10));
    const decision = decide({ spec: canary, status: progressing(0, T0), now: at(10), analysis });
    expect(decision.status).toEqual(entered(1, { lastAnalysis: analysis }));
    expect(decision.actions).toEqual([
      DEPLOY,
      {
        type: 'event',
        severity: 'Normal',
        reason: 'StepAdvanced',
        message: 'Step 1/3 passed analysis; step 2/3 sends 25 % of traffic to the model for 10m.',
      },
    ]);
    expect(decision.requeueAfterMs).toBe(ROUTE_RECHECK_MS);
  });

  it('rolls a bad candidate back after failureLimit + 1 failed analyses, to weight 0', () => {
    const run = reconcileUntilSettled(canary, badAccuracy);
    expect(run.weights).toEqual([10, 0]);
    expect(run.events).toEqual(['CanaryStarted', 'AnalysisFailed', 'AnalysisFailed', 'RolledBack']);
    expect(run.now).toEqual(at(14));
    expect(run.status).toMatchObject({
      phase: 'RolledBack',
      currentStep: 0,
      canaryWeight: 0,
      failedChecks: 3,
    });
    const rollback = run.actions.find((a) => a.type === 'rollback');
    expect(rollback).toEqual({
      type: 'rollback',
      reason:
        'Rolled back at step 1/3 after 3 failed analyses (2 tolerated): online-accuracy 0.7 is below the minimum 0.85.',
    });
    expect(run.actions.at(-1)).toMatchObject({ type: 'event', severity: 'Warning' });
  });

  it('counts a failure below the limit, stays at the step and analyses again after the interval', () => {
    const status = progressing(1, T0, { failedChecks: 1 });
    const analysis = analyse(badAccuracy, at(10));
    const decision = decide({ spec: canary, status, now: at(10), analysis });
    expect(decision.status).toEqual({ ...status, failedChecks: 2, lastAnalysis: analysis });
    expect(decision.actions).toEqual([
      DEPLOY,
      {
        type: 'event',
        severity: 'Warning',
        reason: 'AnalysisFailed',
        message:
          'Analysis failed at step 2/3 (2 of 2 tolerated failures); trying again in 2m: online-accuracy 0.7 is below the minimum 0.85.',
      },
    ]);
    expect(decision.requeueAfterMs).toBe(2 * MINUTE);
    // An early reconcile (a watch event) does not analyse again before the interval.
    expect(decide({ spec: canary, status: decision.status, now: at(11) })).toMatchObject({
      actions: [DEPLOY],
      requeueAfterMs: MINUTE,
      needsAnalysis: false,
    });
    expect(decide({ spec: canary, status: decision.status, now: at(12) }).needsAnalysis).toBe(true);
  });

  it('stays at the step with too few samples, counting no failure, until enough arrive', () => {
    const analysis = analyse(fewSamples, at(10));
    const decision = decide({ spec: canary, status: progressing(0, T0), now: at(10), analysis });
    expect(decision.status).toEqual(progressing(0, T0, { lastAnalysis: analysis }));
    expect(decision.actions).toEqual([
      DEPLOY,
      {
        type: 'event',
        severity: 'Normal',
        reason: 'AnalysisInconclusive',
        message:
          'Analysis at step 1/3 is inconclusive; trying again in 2m: online-accuracy: 3 samples, 100 needed.',
      },
    ]);
    expect(decision.requeueAfterMs).toBe(2 * MINUTE);

    const samplesArriveAt14: Observe = (metric, now) =>
      now < at(14) ? fewSamples(metric, now) : good(metric, now);
    const run = reconcileUntilSettled(canary, samplesArriveAt14);
    expect(run.weights).toEqual([10, 25, 50, 100]);
    expect(run.events.slice(0, 4)).toEqual([
      'CanaryStarted',
      'AnalysisInconclusive',
      'AnalysisInconclusive',
      'StepAdvanced',
    ]);
    expect(run.status).toMatchObject({ phase: 'Promoted', failedChecks: 0 });
  });

  it('counts a metric the analysis left out as inconclusive', () => {
    const analysis = analyse(good, at(10)).filter((r) => r.name !== 'error-rate');
    const decision = decide({ spec: canary, status: progressing(0, T0), now: at(10), analysis });
    expect(decision.status.currentStep).toBe(0);
    expect(decision.status.lastAnalysis?.at(-1)).toEqual({
      name: 'error-rate',
      verdict: 'Inconclusive',
      message: 'error-rate was not analysed.',
      checkedAt: at(10).toISOString(),
    });
  });

  it('records results given before the pause is over without judging them', () => {
    const analysis = analyse(badAccuracy, at(5));
    const decision = decide({ spec: canary, status: progressing(0, T0), now: at(5), analysis });
    expect(decision).toEqual({
      status: progressing(0, T0, { lastAnalysis: analysis }),
      actions: [DEPLOY],
      requeueAfterMs: 5 * MINUTE,
      needsAnalysis: false,
    });
    // They do not push the first real analysis back.
    expect(decide({ spec: canary, status: decision.status, now: at(10) }).needsAnalysis).toBe(true);
  });

  it('walks the CRD default rollout when spec.rollout is absent', () => {
    const spec: ModelVersionSpec = { pipeline: 'p', model: { name: 'm', version: '1' } };
    const observe: Observe = () => ({ value: 0.9, samples: 80 });
    const run = reconcileUntilSettled(spec, (m, now) => observe(m, now));
    // The default analysis has one metric, online-accuracy (min 0.8 over 50 samples).
    expect(run.weights).toEqual([10, 50, 100]);
    expect(run.now).toEqual(at(10));
  });
});

describe('nextStep: restarts and idempotence', () => {
  it('continues a restart in the middle of step 2 at step 2', () => {
    const earlier: AnalysisResult[] = analyse(good, at(10));
    const status = progressing(1, at(10), { failedChecks: 1, lastAnalysis: earlier });
    // The operator was down from minute 12 to 16: same status, a later now.
    const resumed = decide({ spec: canary, status, now: at(16) });
    expect(resumed).toEqual({
      status,
      actions: [DEPLOY],
      requeueAfterMs: 4 * MINUTE,
      needsAnalysis: false,
    });
    // Down past the end of the pause: it analyses at once, then goes on to step 3.
    expect(decide({ spec: canary, status, now: at(25) }).needsAnalysis).toBe(true);
    const analysis = analyse(good, at(25));
    const advanced = decide({ spec: canary, status, now: at(25), analysis });
    expect(advanced.status).toEqual(entered(2, { failedChecks: 1, lastAnalysis: analysis }));
    expect(advanced.actions).toEqual([DEPLOY, expect.objectContaining({ reason: 'StepAdvanced' })]);
  });

  it('decides the same for the same input, and leaves the input untouched', () => {
    const inputs: CanaryInput[] = (
      [
        { spec: canary, status: undefined, now: T0 },
        { spec: canary, status: progressing(1, T0), now: at(3) },
        { spec: canary, status: progressing(1, T0), now: at(10) },
        { spec: canary, status: progressing(1, T0), now: at(10), analysis: analyse(good, at(10)) },
        {
          spec: canary,
          status: progressing(2, T0, { failedChecks: 2 }),
          now: at(20),
          analysis: analyse(badAccuracy, at(20)),
        },
        { spec: { ...canary, paused: true }, status: progressing(1, T0), now: at(3) },
        { spec: canary, status: progressing(1, T0), now: at(3), control: 'abort' },
      ] as Given[]
    ).map(inputOf);
    for (const input of inputs) {
      const frozen = deepFreeze(structuredClone(input));
      expect(nextStep(frozen)).toEqual(nextStep(input));
      expect(nextStep(frozen)).toEqual(nextStep(input));
    }
  });

  it('reconciled again at the same time with the status it wrote, does nothing more', () => {
    const afterAnalysis = (observe: Observe) =>
      decide({
        spec: canary,
        status: progressing(0, T0),
        now: at(10),
        analysis: analyse(observe, at(10)),
      });
    // The routes as they were when it decided (the pipeline has not applied the new ones yet).
    const decisions: [Decision, Routes][] = [
      [decide({ spec: canary, status: undefined, now: at(10) }), routesFor(canary, undefined)],
      [afterAnalysis(good), routesFor(canary, progressing(0, T0))],
      [afterAnalysis(badAccuracy), routesFor(canary, progressing(0, T0))],
      [afterAnalysis(fewSamples), routesFor(canary, progressing(0, T0))],
      [
        decide({ spec: { ...canary, paused: true }, status: progressing(0, T0), now: at(10) }),
        routesFor(canary, progressing(0, T0)),
      ],
    ];
    for (const [first, routes] of decisions) {
      const spec = first.status.phase === 'Paused' ? { ...canary, paused: true } : canary;
      const again = decide({ spec, status: first.status, now: at(10), routes });
      expect(again.status).toEqual(first.status);
      expect(again.actions).toEqual([DEPLOY]);
      expect(again.needsAnalysis).toBe(first.needsAnalysis);
    }
  });
});

describe('nextStep: pausing', () => {
  const pausedSpec: ModelVersionSpec = { ...canary, paused: true };

  it('pauses at the current step and weight, with an event, requeueing for the analysis', () => {
    const status = progressing(1, T0);
    const decision = decide({ spec: pausedSpec, status, now: at(3) });
    expect(decision.status).toEqual({ ...status, phase: 'Paused' });
    expect(decision.actions).toEqual([
      {
        type: 'event',
        severity: 'Normal',
        reason: 'RolloutPaused',
        message: 'The rollout is paused at step 2; analysis keeps running.',
      },
      DEPLOY,
    ]);
    expect(decision.requeueAfterMs).toBe(7 * MINUTE);
    const again = decide({ spec: pausedSpec, status: decision.status, now: at(11) });
    expect(again).toMatchObject({
      actions: [DEPLOY],
      needsAnalysis: true,
      requeueAfterMs: 2 * MINUTE,
    });
  });

  it('keeps analysing while paused but never advances on a pass', () => {
    const status = { ...progressing(1, T0), phase: 'Paused' as const };
    const analysis = analyse(good, at(30));
    const decision = decide({ spec: pausedSpec, status, now: at(30), analysis });
    expect(decision).toEqual({
      status: { ...status, lastAnalysis: analysis },
      actions: [DEPLOY],
      requeueAfterMs: 2 * MINUTE,
      needsAnalysis: false,
    });
  });

  it('still rolls back while paused once failures pass the limit', () => {
    const status = { ...progressing(1, T0, { failedChecks: 2 }), phase: 'Paused' as const };
    const decision = decide({
      spec: pausedSpec,
      status,
      now: at(30),
      analysis: analyse(badAccuracy, at(30)),
    });
    expect(decision.status).toMatchObject({
      phase: 'RolledBack',
      canaryWeight: 0,
      failedChecks: 3,
    });
    expect(decision.actions.map((a) => a.type)).toEqual(['rollback', 'event']);
  });

  it('resumes at the same step when unpaused, with an event', () => {
    const status = { ...progressing(1, T0), phase: 'Paused' as const };
    const early = decide({ spec: canary, status, now: at(3) });
    expect(early.status).toEqual(progressing(1, T0));
    expect(eventsOf(early)).toEqual(['Normal RolloutResumed']);
    expect(early.requeueAfterMs).toBe(7 * MINUTE);
    // Time paused counts toward the step's pause: past it, the analysis is due at once.
    const late = decide({ spec: canary, status, now: at(45) });
    expect(late).toMatchObject({ status: progressing(1, T0), needsAnalysis: true });
    const advanced = decide({
      spec: canary,
      status,
      now: at(45),
      analysis: analyse(good, at(45)),
    });
    expect(advanced.status).toMatchObject({
      phase: 'Progressing',
      currentStep: 2,
      canaryWeight: 50,
    });
    expect(eventsOf(advanced)).toEqual(['Normal RolloutResumed', 'Normal StepAdvanced']);
  });

  it('holds a rollout paused before it started, sending it no traffic, until unpaused', () => {
    const held = decide({ spec: pausedSpec, status: undefined, now: T0 });
    expect(held).toEqual({
      status: {
        phase: 'Paused',
        canaryWeight: 0,
        failedChecks: 0,
        lastAnalysis: [],
      },
      actions: [
        {
          type: 'event',
          severity: 'Normal',
          reason: 'RolloutPaused',
          message: 'The rollout is paused before it started.',
        },
      ],
      requeueAfterMs: null,
      needsAnalysis: false,
    });
    expect(decide({ spec: pausedSpec, status: held.status, now: at(5) }).actions).toEqual([]);
    const started = decide({ spec: canary, status: held.status, now: at(60) });
    expect(started.status).toEqual(entered(0));
    expect(started.actions[0]).toEqual(DEPLOY);
  });
});

describe('nextStep: manual overrides', () => {
  const statuses: [string, ModelVersionStatus | undefined][] = [
    ['new', undefined],
    ['Pending', { phase: 'Pending' }],
    ['Progressing', progressing(1, T0)],
    ['Paused', { ...progressing(1, T0), phase: 'Paused' }],
  ];

  it.each(statuses)('promote from %s: Promoted, all traffic, a promote action', (_, status) => {
    const decision = decide({ spec: canary, status, now: at(3), control: 'promote' });
    expect(decision.status).toMatchObject({
      phase: 'Promoted',
      canaryWeight: 100,
      promotedAt: at(3).toISOString(),
      canaryRetiresAt: at(5).toISOString(),
    });
    expect(decision.actions[0]).toEqual({ type: 'promote' });
    expect(eventsOf(decision)).toEqual(['Normal PromotedManually']);
    // The canary Deployment serves on for scaleDownDelay (default 2m), then retires.
    expect(decision.requeueAfterMs).toBe(2 * MINUTE);
  });

  it.each(statuses)('abort from %s: RolledBack, weight 0, a Warning', (_, status) => {
    const decision = decide({ spec: canary, status, now: at(3), control: 'abort' });
    expect(decision.status).toMatchObject({
      phase: 'RolledBack',
      canaryWeight: 0,
      canaryRetiresAt: at(3).toISOString(),
    });
    expect(decision.actions[0]).toMatchObject({ type: 'rollback' });
    expect(eventsOf(decision)).toEqual(['Warning AbortedManually']);
    expect(decision.requeueAfterMs).toBe(ROUTE_RECHECK_MS);
  });

  it('says where the override happened', () => {
    const decision = decide({
      spec: canary,
      status: progressing(1, T0),
      now: at(3),
      control: 'abort',
    });
    expect(decision.actions[0]).toEqual({
      type: 'rollback',
      reason: 'Rolled back by a manual override at step 2 (25 % of traffic).',
    });
    expect(decision.status).toMatchObject({ currentStep: 1, stepStartedAt: T0.toISOString() });
  });

  it('wins over a pending analysis verdict', () => {
    const decision = decide({
      spec: canary,
      status: progressing(0, T0),
      now: at(10),
      analysis: analyse(good, at(10)),
      control: 'abort',
    });
    expect(decision.status.phase).toBe('RolledBack');
  });
});

describe('nextStep: terminal phases', () => {
  it.each(['Promoted', 'RolledBack', 'Failed', 'Superseded'] as const)(
    '%s never changes, whatever the input',
    (phase) => {
      const status: ModelVersionStatus = { ...progressing(2, T0), phase, canaryWeight: 100 };
      for (const extra of [
        {},
        { control: 'abort' as const },
        { control: 'promote' as const },
        { analysis: analyse(badAccuracy, at(60)) },
        { spec: { ...canary, paused: true } },
      ]) {
        // A promoted version that is still its pipeline's stable one.
        expect(decide({ spec: canary, status, now: at(60), stable: NAME, ...extra })).toEqual({
          status,
          actions: [],
          requeueAfterMs: null,
          needsAnalysis: false,
        });
      }
    },
  );
});

describe('nextStep: Immediate', () => {
  it('promotes at once', () => {
    const spec: ModelVersionSpec = { ...canary, rollout: { strategy: 'Immediate' } };
    const decision = decide({ spec, status: undefined, now: T0 });
    const announce = {
      reason: 'Promoted',
      message: 'Strategy Immediate: the model takes all traffic at once.',
    };
    expect(decision).toEqual({
      status: {
        phase: 'Promoted',
        currentStep: 0,
        canaryWeight: 100,
        stepStartedAt: T0.toISOString(),
        failedChecks: 0,
        lastAnalysis: [],
        promotedAt: T0.toISOString(),
        canaryRetiresAt: at(2).toISOString(),
      },
      actions: [{ type: 'promote' }, { type: 'event', severity: 'Normal', ...announce }],
      requeueAfterMs: 2 * MINUTE,
      needsAnalysis: false,
      outcome: announce,
    });
  });

  it('promotes the first model of a pipeline at once, whatever its strategy', () => {
    const decision = decide({ spec: canary, status: undefined, now: T0, stable: undefined });
    expect(decision.status).toMatchObject({
      phase: 'Promoted',
      canaryWeight: 100,
      promotedAt: T0.toISOString(),
    });
    // No canary Deployment ever ran: nothing to retire.
    expect(decision.status.canaryRetiresAt).toBeUndefined();
    expect(decision.actions.map((a) => a.type)).toEqual(['promote', 'event']);
    expect(decision.requeueAfterMs).toBeNull();
  });
});

describe('nextStep: after the end', () => {
  const promoted: ModelVersionStatus = {
    ...progressing(2, T0),
    phase: 'Promoted',
    canaryWeight: 100,
    promotedAt: at(30).toISOString(),
    canaryRetiresAt: at(32).toISOString(),
  };

  it('retires the canary Deployment after scaleDownDelay, once no route sends it traffic', () => {
    const early = decide({ spec: canary, status: promoted, now: at(31), stable: NAME });
    expect(early).toMatchObject({ actions: [], requeueAfterMs: MINUTE });
    const routes: Routes = { stable: NAME, traffic: { kind: 'stable' } };
    const due = decide({ spec: canary, status: promoted, now: at(32), stable: NAME, routes });
    expect(due.actions).toEqual([
      { type: 'removeCanary' },
      expect.objectContaining({ type: 'event', reason: 'CanaryRetired' }),
    ]);
    expect(due.status.canaryRetiresAt).toBeUndefined();
    expect(due.requeueAfterMs).toBeNull();
  });

  it('keeps a rolled back canary Deployment while a route still sends it traffic', () => {
    const rolledBack: ModelVersionStatus = {
      ...progressing(0, T0),
      phase: 'RolledBack',
      canaryWeight: 0,
      canaryRetiresAt: at(14).toISOString(),
    };
    // A weight, or an A/B match alone (weight 0), still sends it requests.
    const match = [{ cookie: { name: 'canary', value: 'always' } }];
    for (const stillRouted of [
      { kind: 'canary', candidate: NAME, weight: 10 },
      { kind: 'canary', candidate: NAME, weight: 0, match },
    ] as const) {
      const routes: Routes = { stable: STABLE, traffic: stillRouted };
      const waiting = decide({ spec: canary, status: rolledBack, now: at(14), routes });
      expect(waiting).toMatchObject({ actions: [], requeueAfterMs: ROUTE_RECHECK_MS });
    }
    const routes: Routes = { stable: STABLE, traffic: { kind: 'stable' } };
    const retired = decide({ spec: canary, status: rolledBack, now: at(14), routes });
    expect(retired.actions[0]).toEqual({ type: 'removeCanary' });
  });

  it('is superseded once its pipeline has promoted a newer version', () => {
    const settled = { ...promoted };
    delete settled.canaryRetiresAt;
    const decision = decide({
      spec: canary,
      status: settled,
      now: at(90),
      stable: 'support-emea-v8',
    });
    expect(decision.status).toEqual({ ...settled, phase: 'Superseded', canaryWeight: 0 });
    expect(decision.requeueAfterMs).toBeNull();
  });
});

describe('controlOf', () => {
  it('reads promote or abort from the control annotation and ignores anything else', () => {
    expect(controlOf({ 'inquiries.mlops.io/control': 'promote' })).toBe('promote');
    expect(controlOf({ 'inquiries.mlops.io/control': 'abort' })).toBe('abort');
    expect(controlOf({ 'inquiries.mlops.io/control': 'Promote!' })).toBeUndefined();
    expect(controlOf(undefined)).toBeUndefined();
  });
});

describe('nextStep: progress deadline', () => {
  it('rolls back a step that stays inconclusive past its deadline after the pause', () => {
    const spec: ModelVersionSpec = {
      ...canary,
      rollout: { ...canary.rollout, progressDeadline: '15m' },
    };
    const status = progressing(0, T0);
    const before = decide({ spec, status, now: at(24), analysis: analyse(fewSamples, at(24)) });
    expect(before.status.phase).toBe('Progressing');
    const past = decide({ spec, status, now: at(25), analysis: analyse(fewSamples, at(25)) });
    expect(past.status).toMatchObject({ phase: 'RolledBack', canaryWeight: 0 });
    expect(past.outcome?.reason).toBe('ProgressDeadlineExceeded');
    expect(past.outcome?.message).toMatch(
      /^Rolled back at step 1\/3: the analysis stayed inconclusive for 15m after the pause, past the progress deadline of 15m: online-accuracy: 3 samples, 100 needed\.$/,
    );
    // Paused by a human, it waits however long.
    const paused = decide({
      spec: { ...spec, paused: true },
      status: { ...status, phase: 'Paused' },
      now: at(90),
      analysis: analyse(fewSamples, at(90)),
    });
    expect(paused.status.phase).toBe('Paused');
  });

  it('defaults to 30m, or three analysis intervals when longer', () => {
    const plan = (interval: string) => {
      const outcome = planRollout({
        ...canary,
        rollout: { ...canary.rollout, analysis: { interval } },
      });
      if (!outcome.ok) throw new Error(outcome.problem);
      return outcome.plan.progressDeadlineMs;
    };
    expect(plan('2m')).toBe(30 * MINUTE);
    expect(plan('20m')).toBe(60 * MINUTE);
  });
});

describe('nextStep: Shadow', () => {
  it('starts mirroring with no live traffic, analyses after 5m without steps, then promotes', () => {
    const spec: ModelVersionSpec = {
      ...canary,
      rollout: { strategy: 'Shadow', analysis: { metrics: [onlineAccuracy] } },
    };
    const start = decide({ spec, status: undefined, now: T0 });
    expect(start.status).toMatchObject({ phase: 'Progressing', currentStep: 0, canaryWeight: 0 });
    expect(start.actions).toEqual([
      DEPLOY,
      {
        type: 'event',
        severity: 'Normal',
        reason: 'ShadowStarted',
        message:
          'Shadow started: the model receives mirrored traffic and never answers; step 1/1 is analysed after 5m.',
      },
    ]);
    expect(start.requeueAfterMs).toBe(ROUTE_RECHECK_MS);
    // The routes mirror to it: its pause starts.
    const mirrored = decide({ spec, status: start.status, now: T0 });
    expect(mirrored.status.stepStartedAt).toBe(T0.toISOString());
    expect(mirrored.requeueAfterMs).toBe(5 * MINUTE);
    expect(decide({ spec, status: mirrored.status, now: at(5) }).needsAnalysis).toBe(true);

    const run = reconcileUntilSettled(spec, good);
    expect(run.actions[0]).toEqual(DEPLOY);
    expect(run.actions.filter((a) => a.type !== 'deployCanary').map((a) => a.type)).toEqual([
      'event',
      'promote',
      'event',
    ]);
    expect(run.now).toEqual(at(5));
    expect(run.status).toMatchObject({ phase: 'Promoted', canaryWeight: 100 });
  });

  it("walks the steps' pauses without ever setting a weight, and rolls back a bad one", () => {
    const spec: ModelVersionSpec = {
      ...canary,
      rollout: {
        strategy: 'Shadow',
        steps: [
          { weight: 10, pause: '10m' },
          { weight: 50, pause: '30m' },
        ],
        analysis: { interval: '1m', failureLimit: 0, metrics: [onlineAccuracy] },
      },
    };
    const passing = reconcileUntilSettled(spec, good);
    expect(passing.weights).toEqual([100]);
    expect(passing.events).toEqual(['ShadowStarted', 'StepAdvanced', 'Promoted']);
    expect(passing.now).toEqual(at(40));

    const failing = reconcileUntilSettled(spec, badAccuracy);
    expect(failing.weights).toEqual([0]);
    expect(failing.status).toMatchObject({ phase: 'RolledBack', failedChecks: 1 });
  });

  it('advances on the pause alone when no metric is configured', () => {
    const spec: ModelVersionSpec = { ...canary, rollout: { strategy: 'Shadow' } };
    const started = decide({ spec, status: undefined, now: T0 }).status;
    const status = decide({ spec, status: started, now: T0 }).status;
    const decision = decide({ spec, status, now: at(5) });
    expect(decision.needsAnalysis).toBe(false);
    expect(decision.status.phase).toBe('Promoted');
  });
});

describe('nextStep: an impossible rollout', () => {
  it('fails with no traffic to the model and a Warning saying what to fix', () => {
    const spec: ModelVersionSpec = {
      ...canary,
      rollout: { strategy: 'Canary', steps: [{ weight: 10, pause: '5 minutes' }] },
    };
    const decision = decide({ spec, status: progressing(0, T0), now: at(1) });
    expect(decision.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(decision.actions[0]).toMatchObject({ type: 'rollback' });
    expect(decision.actions[1]).toMatchObject({
      type: 'event',
      severity: 'Warning',
      reason: 'InvalidRollout',
    });
    expect(decision.actions[1]).toHaveProperty('message', expect.stringMatching(/"5 minutes"/));
    // Its canary Deployment retires once no route sends it traffic.
    expect(decision.status.canaryRetiresAt).toBe(at(1).toISOString());
    expect(decision.requeueAfterMs).toBe(ROUTE_RECHECK_MS);
  });
});

describe('nextStep: an A/B canary (rollout.match)', () => {
  const insiders = [{ headers: [{ name: 'x-canary', exact: 'insider' }] }];
  /** Matched requests only for 10m, then 20 % beside them for 10m. */
  const abCanary: ModelVersionSpec = {
    ...canary,
    rollout: {
      ...canary.rollout,
      steps: [
        { weight: 0, pause: '10m' },
        { weight: 20, pause: '10m' },
      ],
      match: insiders,
    },
  };

  it('walks matched requests only, then a weight beside them, to Promoted', () => {
    const run = reconcileUntilSettled(abCanary, good);
    expect(run.weights).toEqual([0, 20, 100]);
    expect(run.events).toEqual(['CanaryStarted', 'StepAdvanced', 'Promoted']);
    expect(run.now).toEqual(at(20));
    const messages = run.actions.flatMap((a) => (a.type === 'event' ? [a.message] : []));
    expect(messages.slice(0, 2)).toEqual([
      'Canary started: step 1/2 sends only requests with header x-canary = "insider" to the model for 10m before analysis.',
      'Step 1/2 passed analysis; step 2/2 sends 20 % of traffic and requests with header x-canary = "insider" to the model for 10m.',
    ]);
  });

  it('asks the routes for the match at every step, and for nothing once the rollout ended', () => {
    const started = decide({ spec: abCanary, status: undefined, now: T0 }).status;
    expect(routesFor(abCanary, started).traffic).toEqual({
      kind: 'canary',
      candidate: NAME,
      weight: 0,
      match: insiders,
    });
    const stepTwo = { ...started, currentStep: 1, canaryWeight: 20 };
    expect(routesFor(abCanary, stepTwo).traffic).toMatchObject({ weight: 20, match: insiders });
    for (const phase of ['Promoted', 'RolledBack', 'Failed'] as const)
      expect(routesFor(abCanary, { ...stepTwo, phase }).traffic).toEqual({ kind: 'stable' });
  });

  it('starts a step only once the routes carry its match as well as its weight', () => {
    const atStepOne: ModelVersionStatus = { ...entered(0), canaryWeight: 0 };
    const routed = (match?: { headers: { name: string; exact: string }[] }[]): Routes => ({
      stable: STABLE,
      traffic: { kind: 'canary', candidate: NAME, weight: 0, ...(match && { match }) },
    });
    const stableOnly: Routes = { stable: STABLE, traffic: { kind: 'stable' } };
    const other = [{ headers: [{ name: 'x-canary', exact: 'everyone' }] }];
    for (const routes of [stableOnly, routed(other)])
      expect(
        decide({ spec: abCanary, status: atStepOne, now: at(1), routes }).status.stepStartedAt,
      ).toBeUndefined();
    expect(
      decide({ spec: abCanary, status: atStepOne, now: at(1), routes: routed(insiders) }).status
        .stepStartedAt,
    ).toBe(at(1).toISOString());
  });

  it('rolls a bad candidate back: its match route goes with its weight', () => {
    const run = reconcileUntilSettled(abCanary, badAccuracy);
    expect(run.status.phase).toBe('RolledBack');
    expect(run.weights).toEqual([0, 0]);
    expect(routesFor(abCanary, run.status).traffic).toEqual({ kind: 'stable' });
  });

  it('fails a match written past the API server that would catch every request', () => {
    const unchecked = { ...abCanary, rollout: { ...abCanary.rollout, match: [{}] } };
    const decision = decide({ spec: unchecked, status: entered(0), now: at(1) });
    expect(decision.status.phase).toBe('Failed');
    expect(decision.outcome?.message).toBe(
      'The rollout cannot run: rollout.match entry 1 has no header and no cookie: it would match every request; fix spec.rollout.',
    );
    expect(routesFor(unchecked, entered(0)).traffic).toEqual({ kind: 'stable' });
  });
});
