import type { ModelVersionStatus } from '../../../crds/generated/modelversions.js';
import { modelVersionObject, pipelineObject, quickCanary } from '../../../test/fixtures.js';
import type { AnalysisProvider } from '../analysis/provider.js';
import { NoopProvider } from '../analysis/noop.js';
import { MemoryKube } from '../kube/memory.js';
import type { InquiryPipeline, ModelVersion } from '../resources.js';
import { IstioRouter } from '../traffic/istio.js';
import type { Routes } from '../traffic/routes.js';
import { ALIAS_FINALIZER, reconcileModelVersion, statusPatch } from './model-version.js';

const T0 = new Date('2025-03-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const NAMESPACE = 'inquiries';

const pipeline = {
  ...pipelineObject('support'),
  metadata: { name: 'support', namespace: NAMESPACE, uid: 'uid-support' },
} as InquiryPipeline;

function version(name: string, status?: ModelVersionStatus): ModelVersion {
  return {
    ...modelVersionObject(name, {
      pipeline: 'support',
      // A run, no registered version: nothing to do in the MLflow registry.
      model: { name: 'clf', runId: `run-${name}` },
      rollout: quickCanary([
        { weight: 10, pause: '1s' },
        { weight: 40, pause: '1s' },
      ]),
    }),
    metadata: { name, namespace: NAMESPACE, creationTimestamp: T0 },
    status: { artifactUri: `mlflow-artifacts:/${name}`, runId: `run-${name}`, ...status },
  };
}

const stable = version('support-v1', { phase: 'Promoted', promotedAt: T0.toISOString() });

/** A provider of our own interface that reads a fixed online accuracy. */
const accuracy = (value: number): AnalysisProvider => ({
  observe: () => Promise.resolve({ value, samples: 500 }),
});

function setup(candidate: ModelVersion, mlflowAccuracy = 0.95) {
  const kube = new MemoryKube();
  for (const object of [pipeline, stable, candidate]) kube.put(object);
  const router = new IstioRouter(kube);
  const deps = {
    kube,
    router,
    mlflow: () => {
      throw new Error('no MLflow registry in this test');
    },
    providers: {
      mlflow: accuracy(mlflowAccuracy),
      prometheus: new NoopProvider('no Prometheus here'),
    },
  };
  const current = () =>
    kube.get<ModelVersion>('ModelVersion', NAMESPACE, candidate.metadata.name!)!;
  const reconcile = (now: Date) =>
    reconcileModelVersion(deps, current(), now, {
      pipeline,
      versions: kube.list<ModelVersion>('ModelVersion'),
    });
  /** The routes as the pipeline's reconciler would set them (it is not under test here). */
  const route = async (routes: Routes) => {
    await router.setRoutes(pipeline, routes);
    kube.writes.length = 0;
  };
  return { kube, current, reconcile, route };
}

describe('reconcileModelVersion', () => {
  it('writes only its own status and its canary Deployment, never the routes', async () => {
    const { kube, current, reconcile } = setup(version('support-v2'));
    await reconcile(T0);
    expect(current().status).toMatchObject({
      phase: 'Progressing',
      currentStep: 0,
      canaryWeight: 10,
    });
    expect(current().status?.stepStartedAt).toBeUndefined();
    expect(kube.writes.map((w) => `${w.verb} ${w.kind} ${w.name}`)).toEqual([
      'apply Deployment support-inference-support-v2',
      'status ModelVersion support-v2',
    ]);
    expect(kube.events.map((e) => e.reason)).toEqual(['CanaryStarted']);
  });

  it("starts a step's pause when the routes are seen to carry its weight", async () => {
    const { current, reconcile, route } = setup(version('support-v2'));
    await reconcile(T0);
    // Not live yet: it waits, and reconciling again writes nothing new.
    await route({ stable: 'support-v1', traffic: { kind: 'stable' } });
    expect(await reconcile(at(5))).toBe(10_000);
    expect(current().status?.stepStartedAt).toBeUndefined();
    await route({
      stable: 'support-v1',
      traffic: { kind: 'canary', candidate: 'support-v2', weight: 10 },
    });
    expect(await reconcile(at(7))).toBe(1000);
    expect(current().status?.stepStartedAt).toBe(at(7).toISOString());
    // After the pause: analysed (pass), on to step 2, whose pause waits for its own weight.
    await reconcile(at(8));
    expect(current().status).toMatchObject({ currentStep: 1, canaryWeight: 40 });
    expect(current().status?.stepStartedAt).toBeUndefined();
    expect(current().status?.lastAnalysis?.[0]).toMatchObject({ verdict: 'Pass', value: 0.95 });
  });

  it('is promoted by its status; the old stable supersedes itself in its own reconcile', async () => {
    const candidate = version('support-v2', {
      phase: 'Progressing',
      currentStep: 1,
      canaryWeight: 40,
      stepStartedAt: T0.toISOString(),
    });
    const { kube, current, reconcile, route } = setup(candidate);
    await route({
      stable: 'support-v1',
      traffic: { kind: 'canary', candidate: 'support-v2', weight: 40 },
    });
    await reconcile(at(2));
    expect(current().status).toMatchObject({
      phase: 'Promoted',
      promotedAt: at(2).toISOString(),
      canaryRetiresAt: at(122).toISOString(),
    });
    expect(kube.writes.map((w) => `${w.verb} ${w.name}`)).toEqual(['status support-v2']);

    const deps = {
      kube,
      router: new IstioRouter(kube),
      mlflow: () => {
        throw new Error('no MLflow');
      },
      providers: { mlflow: accuracy(1), prometheus: new NoopProvider('none') },
    };
    const old = kube.get<ModelVersion>('ModelVersion', NAMESPACE, 'support-v1')!;
    await reconcileModelVersion(deps, old, at(3), {
      pipeline,
      versions: kube.list<ModelVersion>('ModelVersion'),
    });
    expect(kube.get<ModelVersion>('ModelVersion', NAMESPACE, 'support-v1')?.status).toMatchObject({
      phase: 'Superseded',
      canaryWeight: 0,
    });
  });

  it('rolls back a bad candidate and retires its Deployment once no route sends it traffic', async () => {
    const candidate = version('support-v2', {
      phase: 'Progressing',
      currentStep: 0,
      canaryWeight: 10,
      stepStartedAt: T0.toISOString(),
      failedChecks: 1,
    });
    const { kube, current, reconcile, route } = setup(candidate, 0.5);
    const canary: Routes = {
      stable: 'support-v1',
      traffic: { kind: 'canary', candidate: 'support-v2', weight: 10 },
    };
    await route(canary);
    await reconcile(at(2));
    expect(current().status).toMatchObject({ phase: 'RolledBack', canaryWeight: 0 });
    expect(kube.events.at(-1)?.reason).toBe('RolledBack');
    await reconcile(at(3));
    expect(kube.writes.some((w) => w.verb === 'delete')).toBe(false);
    await route({ stable: 'support-v1', traffic: { kind: 'stable' } });
    await reconcile(at(4));
    expect(kube.writes.map((w) => `${w.verb} ${w.kind}`)).toEqual([
      'delete Deployment',
      'status ModelVersion',
    ]);
    expect(current().status?.canaryRetiresAt).toBeUndefined();
    // The passes after the end keep the conditions that say why it ended.
    expect(current().status?.conditions).toContainEqual(
      expect.objectContaining({
        type: 'Degraded',
        status: 'True',
        reason: 'RolledBack',
        message: expect.stringContaining('online-accuracy') as unknown,
      }),
    );
  });

  it('keeps its finalizer while a route still sends it traffic', async () => {
    const candidate = version('support-v2', {
      phase: 'Progressing',
      currentStep: 0,
      canaryWeight: 10,
      stepStartedAt: T0.toISOString(),
    });
    candidate.metadata.finalizers = [ALIAS_FINALIZER];
    candidate.metadata.deletionTimestamp = T0;
    const { kube, reconcile, route } = setup(candidate);
    await route({
      stable: 'support-v1',
      traffic: { kind: 'canary', candidate: 'support-v2', weight: 10 },
    });
    expect(await reconcile(at(1))).toBe(10_000);
    expect(kube.writes).toEqual([]);
    await route({ stable: 'support-v1', traffic: { kind: 'stable' } });
    expect(await reconcile(at(2))).toBeNull();
    expect(kube.writes.map((w) => `${w.verb} ${w.kind}`)).toEqual([
      'delete Deployment',
      'finalizers ModelVersion',
    ]);
  });
});

describe('statusPatch', () => {
  it('sends changed fields, null for removed ones, and nothing when nothing changed', () => {
    expect(statusPatch({ a: 1, b: 2 }, { a: 1, b: 2 })).toBeUndefined();
    expect(statusPatch({ a: 1, stepStartedAt: 'x' }, { a: 2 })).toEqual({
      a: 2,
      stepStartedAt: null,
    });
  });
});
