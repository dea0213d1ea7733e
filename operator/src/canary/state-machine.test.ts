import type {
  ModelVersionSpec,
  ModelVersionStatus,
} from '../../../crds/generated/modelversions.js';
import {
  judgeMetric,
  type AnalysisMetric,
  type AnalysisResult,
  type Observation,
} from './analysis.js';
import { planRollout } from './rollout.js';
import { nextStep, type Action, type CanaryInput, type Decision } from './state-machine.js';

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
 * A fake reconciler: calls nextStep, runs the analysis when asked, applies the actions to a
 * world of weights, writes the status and sleeps for `requeueAfterMs`, until nothing is left.
 */
function reconcileUntilSettled(spec: ModelVersionSpec, observe: Observe, start = T0) {
  let status: ModelVersionStatus | undefined;
  let now = start;
  const weights: number[] = [];
  const events: string[] = [];
  const actions: Action[] = [];
  for (let i = 0; i < 200; i++) {
    let decision = nextStep({ spec, status, now });
    if (decision.needsAnalysis) {
      decision = nextStep({ spec, status, now, analysis: analyse(observe, now, spec) });
      expect(decision.needsAnalysis).toBe(false);
    }
    for (const action of decision.actions) {
      actions.push(action);
      if (action.type === 'setCanaryWeight') weights.push(action.weight);
      if (action.type === 'promote') weights.push(100);
      if (action.type === 'rollback') weights.push(0);
      if (action.type === 'event') events.push(action.reason);
    }
    status = decision.status;
    if (decision.requeueAfterMs === null) return { status, weights, events, actions, now };
    now = new Date(now.getTime() + decision.requeueAfterMs);
  }
  throw new Error('the rollout did not settle in 200 reconciles');
}

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

  it('starts at step 1 with its weight, and waits its pause', () => {
    const decision = nextStep({ spec: canary, status: undefined, now: T0 });
    expect(decision).toEqual({
      status: {
        phase: 'Progressing',
        currentStep: 0,
        canaryWeight: 10,
        stepStartedAt: T0.toISOString(),
        failedChecks: 0,
        lastAnalysis: [],
      },
      actions: [
        { type: 'setCanaryWeight', weight: 10 },
        {
          type: 'event',
          severity: 'Normal',
          reason: 'CanaryStarted',
          message:
            'Canary started: step 1/3 sends 10 % of traffic to the model for 10m before analysis.',
        },
      ],
      requeueAfterMs: 10 * MINUTE,
      needsAnalysis: false,
    });
    expect(nextStep({ spec: canary, status: { phase: 'Pending' }, now: T0 })).toEqual(decision);
  });

  it('waits the time left of the pause, then asks for an analysis', () => {
    const status = progressing(0, T0);
    expect(nextStep({ spec: canary, status, now: at(4) })).toEqual({
      status,
      actions: [],
      requeueAfterMs: 6 * MINUTE,
      needsAnalysis: false,
    });
    expect(nextStep({ spec: canary, status, now: at(10) })).toEqual({
      status,
      actions: [],
      requeueAfterMs: 2 * MINUTE,
      needsAnalysis: true,
    });
  });

  it('advances on a pass: the next weight, a new step start, an event, the results recorded', () => {
    const analysis = analyse(good, at(10));
    const decision = nextStep({ spec: canary, status: progressing(0, T0), now: at(10), analysis });
    expect(decision.status).toEqual(progressing(1, at(10), { lastAnalysis: analysis }));
    expect(decision.actions).toEqual([
      { type: 'setCanaryWeight', weight: 25 },
      {
        type: 'event',
        severity: 'Normal',
        reason: 'StepAdvanced',
        message: 'Step 1/3 passed analysis; step 2/3 sends 25 % of traffic to the model for 10m.',
      },
    ]);
    expect(decision.requeueAfterMs).toBe(10 * MINUTE);
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
    const decision = nextStep({ spec: canary, status, now: at(10), analysis });
    expect(decision.status).toEqual({ ...status, failedChecks: 2, lastAnalysis: analysis });
    expect(decision.actions).toEqual([
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
    expect(nextStep({ spec: canary, status: decision.status, now: at(11) })).toMatchObject({
      actions: [],
      requeueAfterMs: MINUTE,
      needsAnalysis: false,
    });
    expect(nextStep({ spec: canary, status: decision.status, now: at(12) }).needsAnalysis).toBe(
      true,
    );
  });

  it('stays at the step with too few samples, counting no failure, until enough arrive', () => {
    const analysis = analyse(fewSamples, at(10));
    const decision = nextStep({ spec: canary, status: progressing(0, T0), now: at(10), analysis });
    expect(decision.status).toEqual(progressing(0, T0, { lastAnalysis: analysis }));
    expect(decision.actions).toEqual([
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
    const decision = nextStep({ spec: canary, status: progressing(0, T0), now: at(10), analysis });
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
    const decision = nextStep({ spec: canary, status: progressing(0, T0), now: at(5), analysis });
    expect(decision).toEqual({
      status: progressing(0, T0, { lastAnalysis: analysis }),
      actions: [],
      requeueAfterMs: 5 * MINUTE,
      needsAnalysis: false,
    });
    // They do not push the first real analysis back.
    expect(nextStep({ spec: canary, status: decision.status, now: at(10) }).needsAnalysis).toBe(
      true,
    );
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
    const resumed = nextStep({ spec: canary, status, now: at(16) });
    expect(resumed).toEqual({
      status,
      actions: [],
      requeueAfterMs: 4 * MINUTE,
      needsAnalysis: false,
    });
    // Down past the end of the pause: it analyses at once, then goes on to step 3.
    expect(nextStep({ spec: canary, status, now: at(25) }).needsAnalysis).toBe(true);
    const analysis = analyse(good, at(25));
    const advanced = nextStep({ spec: canary, status, now: at(25), analysis });
    expect(advanced.status).toEqual(
      progressing(2, at(25), { failedChecks: 1, lastAnalysis: analysis }),
    );
    expect(advanced.actions[0]).toEqual({ type: 'setCanaryWeight', weight: 50 });
  });

  it('decides the same for the same input, and leaves the input untouched', () => {
    const inputs: CanaryInput[] = [
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
    ];
    for (const input of inputs) {
      const frozen = deepFreeze(structuredClone(input));
      expect(nextStep(frozen)).toEqual(nextStep(input));
      expect(nextStep(frozen)).toEqual(nextStep(input));
    }
  });

  it('reconciled again at the same time with the status it wrote, does nothing more', () => {
    const afterAnalysis = (observe: Observe) =>
      nextStep({
        spec: canary,
        status: progressing(0, T0),
        now: at(10),
        analysis: analyse(observe, at(10)),
      });
    const decisions: Decision[] = [
      nextStep({ spec: canary, status: undefined, now: at(10) }),
      afterAnalysis(good),
      afterAnalysis(badAccuracy),
      afterAnalysis(fewSamples),
      nextStep({ spec: { ...canary, paused: true }, status: progressing(0, T0), now: at(10) }),
    ];
    for (const first of decisions) {
      const spec = first.status.phase === 'Paused' ? { ...canary, paused: true } : canary;
      const again = nextStep({ spec, status: first.status, now: at(10) });
      expect(again.status).toEqual(first.status);
      expect(again.actions).toEqual([]);
      expect(again.needsAnalysis).toBe(first.needsAnalysis);
    }
  });
});

describe('nextStep: pausing', () => {
  const pausedSpec: ModelVersionSpec = { ...canary, paused: true };

  it('pauses at the current step and weight, with an event, requeueing for the analysis', () => {
    const status = progressing(1, T0);
    const decision = nextStep({ spec: pausedSpec, status, now: at(3) });
    expect(decision.status).toEqual({ ...status, phase: 'Paused' });
    expect(decision.actions).toEqual([
      {
        type: 'event',
        severity: 'Normal',
        reason: 'RolloutPaused',
        message: 'The rollout is paused at step 2; analysis keeps running.',
      },
    ]);
    expect(decision.requeueAfterMs).toBe(7 * MINUTE);
    const again = nextStep({ spec: pausedSpec, status: decision.status, now: at(11) });
    expect(again).toMatchObject({ actions: [], needsAnalysis: true, requeueAfterMs: 2 * MINUTE });
  });

  it('keeps analysing while paused but never advances on a pass', () => {
    const status = { ...progressing(1, T0), phase: 'Paused' as const };
    const analysis = analyse(good, at(30));
    const decision = nextStep({ spec: pausedSpec, status, now: at(30), analysis });
    expect(decision).toEqual({
      status: { ...status, lastAnalysis: analysis },
      actions: [],
      requeueAfterMs: 2 * MINUTE,
      needsAnalysis: false,
    });
  });

  it('still rolls back while paused once failures pass the limit', () => {
    const status = { ...progressing(1, T0, { failedChecks: 2 }), phase: 'Paused' as const };
    const decision = nextStep({
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
    const early = nextStep({ spec: canary, status, now: at(3) });
    expect(early.status).toEqual(progressing(1, T0));
    expect(eventsOf(early)).toEqual(['Normal RolloutResumed']);
    expect(early.requeueAfterMs).toBe(7 * MINUTE);
    // Time paused counts toward the step's pause: past it, the analysis is due at once.
    const late = nextStep({ spec: canary, status, now: at(45) });
    expect(late).toMatchObject({ status: progressing(1, T0), needsAnalysis: true });
    const advanced = nextStep({
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
    const held = nextStep({ spec: pausedSpec, status: undefined, now: T0 });
    expect(held).toEqual({
      status: {
        phase: 'Paused',
        currentStep: 0,
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
    expect(nextStep({ spec: pausedSpec, status: held.status, now: at(5) }).actions).toEqual([]);
    const started = nextStep({ spec: canary, status: held.status, now: at(60) });
    expect(started.status).toEqual(progressing(0, at(60)));
    expect(started.actions[0]).toEqual({ type: 'setCanaryWeight', weight: 10 });
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
    const decision = nextStep({ spec: canary, status, now: at(3), control: 'promote' });
    expect(decision.status).toMatchObject({ phase: 'Promoted', canaryWeight: 100 });
    expect(decision.actions[0]).toEqual({ type: 'promote' });
    expect(eventsOf(decision)).toEqual(['Normal PromotedManually']);
    expect(decision.requeueAfterMs).toBeNull();
  });

  it.each(statuses)('abort from %s: RolledBack, weight 0, a Warning', (_, status) => {
    const decision = nextStep({ spec: canary, status, now: at(3), control: 'abort' });
    expect(decision.status).toMatchObject({ phase: 'RolledBack', canaryWeight: 0 });
    expect(decision.actions[0]).toMatchObject({ type: 'rollback' });
    expect(eventsOf(decision)).toEqual(['Warning AbortedManually']);
    expect(decision.requeueAfterMs).toBeNull();
  });

  it('says where the override happened', () => {
    const decision = nextStep({
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
    const decision = nextStep({
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
        expect(nextStep({ spec: canary, status, now: at(60), ...extra })).toEqual({
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
    const decision = nextStep({ spec, status: undefined, now: T0 });
    expect(decision).toEqual({
      status: {
        phase: 'Promoted',
        currentStep: 0,
        canaryWeight: 100,
        stepStartedAt: T0.toISOString(),
        failedChecks: 0,
        lastAnalysis: [],
      },
      actions: [
        { type: 'promote' },
        {
          type: 'event',
          severity: 'Normal',
          reason: 'Promoted',
          message: 'Strategy Immediate: the model takes all traffic at once.',
        },
      ],
      requeueAfterMs: null,
      needsAnalysis: false,
    });
  });
});

describe('nextStep: Shadow', () => {
  it('starts mirroring with no live traffic, analyses after 5m without steps, then promotes', () => {
    const spec: ModelVersionSpec = {
      ...canary,
      rollout: { strategy: 'Shadow', analysis: { metrics: [onlineAccuracy] } },
    };
    const start = nextStep({ spec, status: undefined, now: T0 });
    expect(start.status).toMatchObject({ phase: 'Progressing', currentStep: 0, canaryWeight: 0 });
    expect(start.actions).toEqual([
      { type: 'startShadow' },
      {
        type: 'event',
        severity: 'Normal',
        reason: 'ShadowStarted',
        message:
          'Shadow started: the model receives mirrored traffic and never answers; step 1/1 is analysed after 5m.',
      },
    ]);
    expect(start.requeueAfterMs).toBe(5 * MINUTE);
    expect(nextStep({ spec, status: start.status, now: at(5) }).needsAnalysis).toBe(true);

    const run = reconcileUntilSettled(spec, good);
    expect(run.actions.map((a) => a.type)).toEqual(['startShadow', 'event', 'promote', 'event']);
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
    const status = nextStep({ spec, status: undefined, now: T0 }).status;
    const decision = nextStep({ spec, status, now: at(5) });
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
    const decision = nextStep({ spec, status: progressing(0, T0), now: at(1) });
    expect(decision.status).toMatchObject({ phase: 'Failed', canaryWeight: 0 });
    expect(decision.actions[0]).toMatchObject({ type: 'rollback' });
    expect(decision.actions[1]).toMatchObject({
      type: 'event',
      severity: 'Warning',
      reason: 'InvalidRollout',
    });
    expect(decision.actions[1]).toHaveProperty('message', expect.stringMatching(/"5 minutes"/));
    expect(decision.requeueAfterMs).toBeNull();
  });
});
