import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ModelVersionSpec } from '../../../crds/generated/modelversions.js';
import { planRollout, ROLLOUT_DEFAULTS, type RolloutPlan } from './rollout.js';

const base: ModelVersionSpec = { pipeline: 'support-emea', model: { name: 'clf', version: '7' } };

function planOf(rollout: ModelVersionSpec['rollout']): RolloutPlan {
  const outcome = planRollout({ ...base, rollout });
  if (!outcome.ok) throw new Error(outcome.problem);
  return outcome.plan;
}

function problemOf(rollout: unknown): string {
  const outcome = planRollout({ ...base, rollout: rollout as ModelVersionSpec['rollout'] });
  if (outcome.ok) throw new Error('expected the rollout to be refused');
  return outcome.problem;
}

describe('ROLLOUT_DEFAULTS', () => {
  it('agrees with the defaults in the CRD schema', () => {
    type Node = { default?: unknown; properties?: Record<string, Node>; items?: Node };
    const crd = parse(
      readFileSync(new URL('../../../crds/modelversions.yaml', import.meta.url), 'utf8'),
    ) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Node } } } }[] };
    };
    const rollout =
      crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties!.rollout!;
    const props = rollout.properties!;
    const analysis = props.analysis!.properties!;
    expect(rollout.default).toEqual(ROLLOUT_DEFAULTS.rollout);
    expect(props.strategy!.default).toBe(ROLLOUT_DEFAULTS.strategy);
    expect(props.steps!.items!.properties!.pause!.default).toBe(ROLLOUT_DEFAULTS.stepPause);
    expect(analysis.interval!.default).toBe(ROLLOUT_DEFAULTS.interval);
    expect(analysis.failureLimit!.default).toBe(ROLLOUT_DEFAULTS.failureLimit);
    expect(analysis.metrics!.items!.properties!.minSamples!.default).toBe(
      ROLLOUT_DEFAULTS.minSamples,
    );
  });
});

describe('planRollout', () => {
  it('uses the default Canary when spec.rollout is absent', () => {
    expect(planOf(undefined)).toEqual({
      strategy: 'Canary',
      steps: [
        { weight: 10, pause: '5m', pauseMs: 300_000 },
        { weight: 50, pause: '5m', pauseMs: 300_000 },
      ],
      interval: '1m',
      intervalMs: 60_000,
      failureLimit: 2,
      metrics: ROLLOUT_DEFAULTS.rollout.analysis?.metrics,
      scaleDownDelayMs: 120_000,
      progressDeadlineMs: 1_800_000,
    });
  });

  it('fills in each missing field of a given rollout', () => {
    const plan = planOf({ steps: [{ weight: 20 }, { weight: 60, pause: '1h30m' }] });
    expect(plan.strategy).toBe('Canary');
    expect(plan.steps.map((s) => s.pauseMs)).toEqual([300_000, 5_400_000]);
    expect(plan.intervalMs).toBe(60_000);
    expect(plan.failureLimit).toBe(2);
    expect(plan.metrics).toEqual([]);
  });

  it('gives a Shadow without steps one step of 5m, and a Shadow no live traffic', () => {
    expect(planOf({ strategy: 'Shadow' }).steps).toEqual([
      { weight: 0, pause: '5m', pauseMs: 300_000 },
    ]);
    expect(
      planOf({ strategy: 'Shadow', steps: [{ weight: 10, pause: '30s' }, { weight: 50 }] }).steps,
    ).toEqual([
      { weight: 0, pause: '30s', pauseMs: 30_000 },
      { weight: 0, pause: '5m', pauseMs: 300_000 },
    ]);
  });

  it('gives Immediate no steps', () => {
    expect(planOf({ strategy: 'Immediate', steps: [{ weight: 10 }] }).steps).toEqual([]);
  });

  it('refuses what the API server would refuse, saying what is wrong', () => {
    expect(problemOf({ strategy: 'Canary' })).toBe('a Canary rollout needs at least one step');
    expect(problemOf({ steps: [{ weight: 50 }, { weight: 50 }] })).toBe(
      'canary step weights must be strictly increasing',
    );
    expect(problemOf({ steps: [{ weight: 0 }] })).toBe('canary step 1 has weight 0; use 1 to 100');
    expect(problemOf({ steps: [{ weight: 10, pause: '5 minutes' }] })).toMatch(
      /^invalid duration "5 minutes"/,
    );
    expect(problemOf({ steps: [{ weight: 10 }], analysis: { interval: '1d' } })).toMatch(
      /^invalid duration "1d"/,
    );
    expect(problemOf({ strategy: 'BlueGreen' })).toBe(
      'unknown rollout strategy "BlueGreen"; use Canary, Immediate or Shadow',
    );
  });
});
