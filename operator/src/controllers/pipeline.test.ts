import type { ModelVersionStatus } from '../../../crds/generated/modelversions.js';
import { modelVersionObject, pipelineObject } from '../../../test/fixtures.js';
import { MemoryKube } from '../kube/memory.js';
import type { InquiryPipeline, ModelVersion } from '../resources.js';
import { IstioRouter } from '../traffic/istio.js';
import type { VirtualService } from '../types/children.js';
import { createOperatorMetrics } from '../metrics.js';
import {
  desiredChildren,
  forgetPipelineGauges,
  reconcilePipeline,
  readiness,
  replicasHandOver,
  staleChildren,
  type PipelineDeps,
} from './pipeline.js';

const NOW = new Date('2025-03-01T10:00:00.000Z');
const NAMESPACE = 'inquiries';

const pipeline = {
  ...pipelineObject('support'),
  metadata: { name: 'support', namespace: NAMESPACE, uid: 'uid-support', generation: 1 },
} as InquiryPipeline;

function version(name: string, status: ModelVersionStatus, created = NOW): ModelVersion {
  return {
    ...modelVersionObject(name, {
      pipeline: 'support',
      model: { name: 'clf', version: name.slice(-1) },
    }),
    metadata: { name, namespace: NAMESPACE, creationTimestamp: created },
    status: { artifactUri: `mlflow-artifacts:/${name}`, ...status },
  };
}

const promoted = (at: string) => ({ phase: 'Promoted' as const, promotedAt: at });

function setup(available: Record<string, number>, requireAvailableCandidate = true) {
  const kube = new MemoryKube();
  kube.put(pipeline);
  const metrics = createOperatorMetrics();
  const deps: PipelineDeps = {
    kube,
    router: new IstioRouter(kube),
    metrics,
    requireAvailableCandidate,
  };
  const reconcile = (versions: ModelVersion[]) =>
    reconcilePipeline(deps, pipeline, NOW, {
      workflows: [],
      versions,
      availableReplicas: (name) => available[name] ?? 0,
    });
  const canaryWeight = () =>
    kube
      .get<VirtualService>('VirtualService', NAMESPACE, 'support-inference')
      ?.spec.http?.[0]?.route?.find((r) => r.destination.subset === 'canary')?.weight ?? 0;
  const status = () => kube.get<InquiryPipeline>('InquiryPipeline', NAMESPACE, 'support')!.status!;
  const availableGauge = async () =>
    (await metrics.availableReplicas.get()).values.map(({ labels, value }) => ({
      ...labels,
      value,
    }));
  return { kube, reconcile, canaryWeight, status, metrics, availableGauge };
}

describe('reconcilePipeline', () => {
  const v1 = version('support-v1', promoted('2025-03-01T09:00:00.000Z'));
  const v2 = version('support-v2', { phase: 'Progressing', currentStep: 0, canaryWeight: 10 });

  it('derives its stable version from its ModelVersions: the one promoted last', async () => {
    const { reconcile, status } = setup({ 'support-inference': 1 });
    const v3 = version('support-v3', promoted('2025-03-01T09:30:00.000Z'));
    await reconcile([v3, v1]);
    expect(status().stableModelVersion).toBe('support-v3');
    expect(status().conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Reconciled' }),
    );
  });

  it('is not Ready while its stable Deployment has no available replica', async () => {
    const { reconcile, status } = setup({});
    await reconcile([v1]);
    expect(status().stableModelVersion).toBe('support-v1');
    expect(status().conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'False', reason: 'DeploymentUnavailable' }),
    );
  });

  it('reports the available pods of its stable Deployment while a model is promoted, and forgets them with the pipeline', async () => {
    const available: Record<string, number> = {};
    const { reconcile, metrics, availableGauge } = setup(available);
    await reconcile([]);
    expect(await availableGauge()).toEqual([]);
    available['support-inference'] = 2;
    await reconcile([v1]);
    expect(await availableGauge()).toEqual([
      { namespace: NAMESPACE, pipeline: 'support', value: 2 },
    ]);
    // Its pods deleted or failing readiness: no scrape target says so, this gauge does.
    available['support-inference'] = 0;
    await reconcile([v1]);
    expect(await availableGauge()).toEqual([
      { namespace: NAMESPACE, pipeline: 'support', value: 0 },
    ]);
    metrics.jobLastSuccess.set(
      { namespace: NAMESPACE, pipeline: 'support', pipeline_job: 'ingestion' },
      1,
    );
    forgetPipelineGauges(metrics, NAMESPACE, 'support');
    expect(await availableGauge()).toEqual([]);
    expect((await metrics.jobLastSuccess.get()).values).toEqual([]);
  });

  it("routes a rollout's weight to its candidate once the candidate's Deployment is available", async () => {
    const unavailable = setup({ 'support-inference': 1 });
    await unavailable.reconcile([v1, v2]);
    expect(unavailable.canaryWeight()).toBe(0);

    const available = setup({ 'support-inference': 1, 'support-inference-support-v2': 1 });
    await available.reconcile([v1, v2]);
    expect(available.canaryWeight()).toBe(10);
    expect(available.status().conditions).toContainEqual(
      expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'RolloutInProgress' }),
    );
    // The routes are the router's: applied through it, the DestinationRule first.
    const routeWrites = available.kube.writes
      .filter((w) => w.kind === 'VirtualService' || w.kind === 'DestinationRule')
      .map((w) => w.kind);
    expect(routeWrites).toEqual(['DestinationRule', 'VirtualService']);

    // Rolled back (or being deleted): the routes drop the candidate.
    await available.reconcile([v1, { ...v2, status: { ...v2.status, phase: 'RolledBack' } }]);
    expect(available.canaryWeight()).toBe(0);
    await available.reconcile([
      v1,
      { ...v2, metadata: { ...v2.metadata, deletionTimestamp: NOW } },
    ]);
    expect(available.canaryWeight()).toBe(0);
  });

  it("writes an A/B rollout's match route before the weights, and drops it when the rollout ends", async () => {
    const { kube, reconcile } = setup({}, false);
    const ab = version('support-v2', { phase: 'Progressing', currentStep: 0, canaryWeight: 0 });
    ab.spec.rollout = {
      steps: [{ weight: 0 }, { weight: 20 }],
      match: [{ cookie: { name: 'canary', value: 'always' } }],
    };
    const http = () =>
      kube.get<VirtualService>('VirtualService', NAMESPACE, 'support-inference')!.spec.http!;
    await reconcile([v1, ab]);
    expect(
      http().map((r) => [r.name, r.route!.map((d) => `${d.destination.subset} ${d.weight}`)]),
    ).toEqual([
      ['inference-canary-match', ['canary 100']],
      ['inference', ['stable 100']],
    ]);
    await reconcile([
      v1,
      { ...ab, status: { ...ab.status, phase: 'Promoted', promotedAt: NOW.toISOString() } },
    ]);
    expect(http().map((r) => r.name)).toEqual(['inference']);
  });

  it('gives the oldest of two rollouts the traffic; the other waits', async () => {
    const { reconcile, canaryWeight } = setup({}, false);
    const later = version(
      'support-v4',
      { phase: 'Progressing', currentStep: 0, canaryWeight: 30 },
      new Date(NOW.getTime() + 1000),
    );
    await reconcile([v1, later, v2]);
    expect(canaryWeight()).toBe(10);
  });

  it('writes no routes before the first promotion', async () => {
    const { kube, reconcile, status } = setup({});
    await reconcile([version('support-v1', { phase: 'Pending' })]);
    expect(kube.writes.some((w) => w.kind === 'VirtualService')).toBe(false);
    expect(status().conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', reason: 'NoStableModel' }),
    );
  });

  it("applies its namespace's identities and deletes its own retired ones once no Workflow runs", async () => {
    const { kube } = setup({});
    const retired = [
      { apiVersion: 'v1', kind: 'ServiceAccount', name: 'support-workflows' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        name: 'support-workflows',
      },
    ].map(({ name, ...type }) => ({ ...type, metadata: { name, namespace: NAMESPACE } }));
    for (const object of retired) kube.put(object);
    const reconcile = (phase: string) =>
      reconcilePipeline({ kube, router: new IstioRouter(kube) }, pipeline, NOW, {
        workflows: [{ metadata: { name: 'support-retrain-1' }, status: { phase } }],
        versions: [],
        availableReplicas: () => 0,
        retiredIdentities: retired,
      });
    await reconcile('Running');
    expect(kube.get('ServiceAccount', NAMESPACE, 'support-workflows')).toBeDefined();
    expect(kube.get('ServiceAccount', NAMESPACE, 'inquiry-workflows')).toBeDefined();
    expect(kube.get('ServiceAccount', NAMESPACE, 'inquiry-inference')).toBeDefined();
    expect(kube.get('RoleBinding', NAMESPACE, 'inquiry-workflows')).toBeDefined();
    await reconcile('Succeeded');
    expect(kube.get('ServiceAccount', NAMESPACE, 'support-workflows')).toBeUndefined();
    expect(kube.get('RoleBinding', NAMESPACE, 'support-workflows')).toBeUndefined();
    expect(kube.writes.filter((w) => w.verb === 'delete').map((w) => w.kind)).toEqual([
      'ServiceAccount',
      'RoleBinding',
    ]);
  });
});

describe('optional children', () => {
  it('deletes an autoscaler the spec no longer asks for, and the Deployment gets its replicas', async () => {
    const kube = new MemoryKube();
    const withAutoscaling = (enabled: boolean) =>
      ({
        ...pipeline,
        spec: {
          ...pipeline.spec,
          serving: { replicas: 3, autoscaling: { enabled, minReplicas: 2, maxReplicas: 4 } },
        },
      }) as InquiryPipeline;
    kube.put(pipeline);
    const reconcile = (enabled: boolean) =>
      reconcilePipeline({ kube, router: new IstioRouter(kube) }, withAutoscaling(enabled), NOW, {
        workflows: [],
        versions: [version('support-v1', promoted('2025-03-01T09:00:00Z'))],
        availableReplicas: () => 1,
        owns: ({ kind, metadata }) =>
          kube.get(kind, metadata.namespace, metadata.name) !== undefined,
        replicasOf: (name) =>
          kube.get<{ spec: { replicas?: number } }>('Deployment', NAMESPACE, name)?.spec.replicas,
      });
    const deployment = () =>
      kube.get<{ spec: { replicas?: number } }>('Deployment', NAMESPACE, 'support-inference')!;
    await reconcile(true);
    expect(kube.get('HorizontalPodAutoscaler', NAMESPACE, 'support-inference')).toBeDefined();
    expect(deployment().spec.replicas).toBeUndefined();
    await reconcile(false);
    expect(kube.get('HorizontalPodAutoscaler', NAMESPACE, 'support-inference')).toBeUndefined();
    expect(deployment().spec.replicas).toBe(3);
    expect(kube.writes.filter((w) => w.verb === 'delete').map((w) => w.kind)).toEqual([
      'HorizontalPodAutoscaler',
    ]);
    // Nothing else goes: the CronWorkflows are still asked for.
    expect(kube.get('CronWorkflow', NAMESPACE, 'support-retrain')).toBeDefined();
    // On again: the replicas are handed over before the Deployment is applied without them,
    // once (the autoscaler exists afterwards).
    kube.writes.length = 0;
    await reconcile(true);
    await reconcile(true);
    const handover = kube.writes.findIndex((w) => w.verb === 'handover');
    expect(kube.writes.filter((w) => w.verb === 'handover')).toEqual([
      { verb: 'handover', kind: 'Deployment', name: 'support-inference', body: { replicas: 3 } },
    ]);
    expect(handover).toBeLessThan(
      kube.writes.findIndex((w) => w.verb === 'apply' && w.kind === 'Deployment'),
    );
    expect(kube.get('HorizontalPodAutoscaler', NAMESPACE, 'support-inference')).toBeDefined();
  });

  it('hand replicas over only to an autoscaler not there yet, of a Deployment that is', () => {
    const autoscaler = { kind: 'HorizontalPodAutoscaler', metadata: { name: 'p-inference' } };
    const has =
      (...kinds: string[]) =>
      (child: { kind: string }) =>
        kinds.includes(child.kind);
    const three = () => 3;
    expect(replicasHandOver('ns', [autoscaler], has('Deployment'), three)).toEqual({
      deployment: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'p-inference', namespace: 'ns' },
      },
      replicas: 3,
    });
    const autoscaled = has('Deployment', 'HorizontalPodAutoscaler');
    expect(replicasHandOver('ns', [autoscaler], autoscaled, three)).toBeUndefined();
    expect(replicasHandOver('ns', [autoscaler], has(), three)).toBeUndefined();
    expect(replicasHandOver('ns', [], has('Deployment'), three)).toBeUndefined();
    expect(replicasHandOver('ns', [autoscaler], undefined, three)).toBeUndefined();
    expect(replicasHandOver('ns', [autoscaler], has('Deployment'), () => undefined)).toBe(
      undefined,
    );
  });

  it('schedule ingestion only from a source', () => {
    const jobs = (spec: object) =>
      desiredChildren({ ...pipeline, spec: { ...pipeline.spec, ...spec } })
        .filter((child) => (child as { kind: string }).kind === 'CronWorkflow')
        .map((child) => (child as { metadata: { name: string } }).metadata.name);
    expect(jobs({})).toEqual(['support-classify', 'support-retrain']);
    const source = { type: 'http', location: 'https://crm.example/inquiries' };
    expect(jobs({ ingestion: { source } })).toEqual([
      'support-ingest',
      'support-classify',
      'support-retrain',
    ]);
  });

  it('are stale only when present and no longer desired', () => {
    const present = new Set(['CronWorkflow/p-ingest', 'HorizontalPodAutoscaler/p-inference']);
    const stale = staleChildren(
      'ns',
      'p',
      [{ kind: 'CronWorkflow', metadata: { name: 'p-ingest' } }],
      ({ kind, metadata }) => present.has(`${kind}/${metadata.name}`),
    );
    expect(stale).toEqual([
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'p-inference', namespace: 'ns' },
      },
    ]);
  });
});

describe('readiness', () => {
  it('is True only with a stable version whose Deployment has an available replica', () => {
    expect(readiness(undefined, 0, 'd', 8).reason).toBe('NoStableModel');
    expect(readiness('v1', 0, 'd', 8)).toMatchObject({
      status: 'False',
      reason: 'DeploymentUnavailable',
    });
    expect(readiness('v1', 2, 'd', 8)).toMatchObject({ status: 'True', reason: 'Reconciled' });
  });
});
