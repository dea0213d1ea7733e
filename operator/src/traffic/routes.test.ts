import type {
  ModelVersionSpec,
  ModelVersionStatus,
} from '../../../crds/generated/modelversions.js';
import type { ModelVersion } from '../resources.js';
import {
  desiredRoutes,
  sameTraffic,
  sendsToCandidate,
  servingState,
  type TrafficState,
} from './routes.js';

const PIPELINE = 'support-emea';
const insiders = [{ headers: [{ name: 'x-canary', exact: 'insider' }] }];
const alwaysCookie = [{ cookie: { name: 'canary', value: 'always' } }];

function version(
  name: string,
  status: ModelVersionStatus,
  rollout: ModelVersionSpec['rollout'] = { steps: [{ weight: 10 }, { weight: 50 }] },
): ModelVersion {
  return {
    apiVersion: 'inquiries.mlops.io/v1alpha1',
    kind: 'ModelVersion',
    metadata: { name, creationTimestamp: new Date(`2025-03-0${name.at(-1)}T00:00:00Z`) },
    spec: { pipeline: PIPELINE, model: { name: 'clf', version: name.at(-1)! }, rollout },
    status,
  };
}

const stable = version('v1', { phase: 'Promoted', promotedAt: '2025-03-01T00:00:00Z' });
type Rollout = ModelVersionSpec['rollout'];
const abRollout: Rollout = { steps: [{ weight: 0 }, { weight: 20 }], match: insiders };
const atStep = (step: number, canaryWeight: number): ModelVersionStatus => ({
  phase: 'Progressing',
  currentStep: step,
  canaryWeight,
});
/** The candidate's pods carry any weight. */
const available = () => 100;

describe('desiredRoutes', () => {
  it('sends everything to the stable version when nothing rolls out, and nothing before a first promotion', () => {
    expect(desiredRoutes(PIPELINE, [stable], available)).toEqual({
      stable: 'v1',
      traffic: { kind: 'stable' },
    });
    expect(desiredRoutes(PIPELINE, [version('v2', atStep(0, 10))], available)).toBeUndefined();
  });

  it("gives a weighted canary its step's weight and no match", () => {
    expect(desiredRoutes(PIPELINE, [stable, version('v2', atStep(1, 50))], available)).toEqual({
      stable: 'v1',
      traffic: { kind: 'canary', candidate: 'v2', weight: 50 },
    });
  });

  it('gives an A/B canary its match at every step, with a weight of 0 (matched requests only) or beside a weight', () => {
    const routes = (status: ModelVersionStatus, rollout: Rollout = abRollout) =>
      desiredRoutes(PIPELINE, [stable, version('v2', status, rollout)], available)?.traffic;
    expect(routes(atStep(0, 0))).toEqual({
      kind: 'canary',
      candidate: 'v2',
      weight: 0,
      match: insiders,
    });
    expect(routes(atStep(1, 20))).toEqual({
      kind: 'canary',
      candidate: 'v2',
      weight: 20,
      match: insiders,
    });
    expect(routes(atStep(0, 10), { steps: [{ weight: 10 }], match: alwaysCookie })).toEqual({
      kind: 'canary',
      candidate: 'v2',
      weight: 10,
      match: alwaysCookie,
    });
    // Held before it started (no step yet): nothing, not even the matched requests.
    expect(routes({ phase: 'Paused', canaryWeight: 0 })).toEqual({ kind: 'stable' });
  });

  it('drops the match with the rollout: promoted, rolled back, failed, or being deleted', () => {
    const promoted = version(
      'v2',
      {
        ...atStep(1, 100),
        phase: 'Promoted',
        promotedAt: '2025-03-02T00:00:00Z',
      },
      abRollout,
    );
    expect(desiredRoutes(PIPELINE, [stable, promoted], available)).toEqual({
      stable: 'v2',
      traffic: { kind: 'stable' },
    });
    for (const phase of ['RolledBack', 'Failed'] as const)
      expect(
        desiredRoutes(
          PIPELINE,
          [stable, version('v2', { ...atStep(0, 0), phase }, abRollout)],
          available,
        )?.traffic,
      ).toEqual({ kind: 'stable' });
    const deleting = version('v2', atStep(0, 0), abRollout);
    deleting.metadata.deletionTimestamp = new Date();
    expect(desiredRoutes(PIPELINE, [stable, deleting], available)?.traffic).toEqual({
      kind: 'stable',
    });
  });

  it('sends a candidate whose Deployment is not available nothing, matched requests included', () => {
    expect(
      desiredRoutes(PIPELINE, [stable, version('v2', atStep(0, 0), abRollout)], () => 0)?.traffic,
    ).toEqual({ kind: 'stable' });
  });

  it('gives a step no more than the available pods carry, until the rest are available', () => {
    const routes = (capacity: number) =>
      desiredRoutes(PIPELINE, [stable, version('v2', atStep(1, 50))], () => capacity)?.traffic;
    expect(routes(25)).toEqual({ kind: 'canary', candidate: 'v2', weight: 25 });
    expect(routes(50)).toEqual({ kind: 'canary', candidate: 'v2', weight: 50 });
    expect(routes(100)).toEqual({ kind: 'canary', candidate: 'v2', weight: 50 });
    expect(routes(0)).toEqual({ kind: 'stable' });
  });

  it('sends a Shadow a mirror, never a match', () => {
    expect(
      desiredRoutes(
        PIPELINE,
        [stable, version('v2', atStep(0, 0), { strategy: 'Shadow', match: insiders })],
        available,
      )?.traffic,
    ).toEqual({ kind: 'stable' });
    expect(
      desiredRoutes(
        PIPELINE,
        [stable, version('v2', atStep(0, 0), { strategy: 'Shadow' })],
        available,
      )?.traffic,
    ).toEqual({ kind: 'shadow', candidate: 'v2' });
  });
});

describe('sameTraffic and sendsToCandidate', () => {
  const ab: TrafficState = { kind: 'canary', candidate: 'v2', weight: 0, match: insiders };

  it('tell routes apart by their match as well as their weight', () => {
    expect(sameTraffic(ab, { ...ab, match: [...insiders] })).toBe(true);
    expect(sameTraffic(ab, { ...ab, match: alwaysCookie })).toBe(false);
    expect(
      sameTraffic({ ...ab, weight: 10 }, { kind: 'canary', candidate: 'v2', weight: 10 }),
    ).toBe(false);
    expect(
      sameTraffic(
        { kind: 'canary', candidate: 'v2', weight: 10, match: [] },
        {
          kind: 'canary',
          candidate: 'v2',
          weight: 10,
        },
      ),
    ).toBe(true);
  });

  it('count matched requests as traffic to the candidate', () => {
    expect(sendsToCandidate({ stable: 'v1', traffic: ab }, 'v2')).toBe(true);
    expect(sendsToCandidate({ stable: 'v1', traffic: { kind: 'stable' } }, 'v2')).toBe(false);
  });
});

describe('servingState', () => {
  it('is empty for versions the pipeline does not serve or route to', () => {
    for (const status of [{}, { phase: 'Pending' }, { phase: 'Superseded' }, { phase: 'Failed' }])
      expect(servingState(version('v2', status as ModelVersionStatus))).toBe('');
    // An analysis or a failed check of a version that serves nothing wakes no pipeline.
    expect(servingState(version('v2', { phase: 'Pending', failedChecks: 2 }))).toBe('');
  });

  it('changes with what the pipeline reads: promotion, step, weight, artifact', () => {
    const states = [
      servingState(stable),
      servingState(version('v2', atStep(0, 10))),
      servingState(version('v2', atStep(1, 50))),
      servingState(version('v2', { ...atStep(1, 50), artifactUri: 'mlflow-artifacts:/x' })),
    ];
    expect(new Set(states).size).toBe(states.length);
    expect(states).not.toContain('');
    // Not what it does not read.
    expect(servingState(version('v2', { ...atStep(1, 50), failedChecks: 1 }))).toBe(states[2]);
  });
});
