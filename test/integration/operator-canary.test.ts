/**
 * Canary promotion end to end, in-process against the test bed: real API server (Istio CRDs),
 * real MLflow registry and metrics. A good candidate walks every step (weights observed on the
 * VirtualService) and is promoted (champion alias moved); a bad one is rolled back to weight 0.
 * An A/B canary's match route (header or cookie) comes and goes with its rollout.
 */
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../lib/logger.js';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { Controller } from '../../operator/src/controller.js';
import { createOperatorMetrics, type OperatorMetrics } from '../../operator/src/metrics.js';
import { modelVersionObject, pipelineObject, quickCanary } from '../fixtures.js';
import {
  deleteNamespaces,
  eventually,
  installPlatformCrds,
  registerModelWithAccuracy,
  testbed,
} from './testbed.js';

const NAMESPACE = 'operator-canary';
type Route = { destination: { subset: string }; weight: number };
type HttpRoute = { name?: string; match?: { headers?: object }[]; route?: Route[] };
type VirtualService = { spec?: { http?: HttpRoute[] } };
const GROUP = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };

describe('operator: ModelVersion canary', () => {
  const kc = testbed.kubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const mlflow = new MlflowClient({ trackingUri: testbed.mlflowUrl });
  const metrics = createOperatorMetrics();
  // The test bed has no node, so no canary pod is ever available: the candidates get their
  // weights without one (operator-pipeline.test.ts checks that by default they do not).
  const newController = (m: OperatorMetrics) =>
    new Controller(kc, createLogger('canary-test', 'silent'), {
      metrics: m,
      namespace: NAMESPACE,
      requireAvailableCandidate: false,
    });
  let controller = newController(metrics);
  const modelName = `canary-${Date.now()}`;

  const registered = (accuracy: number) => registerModelWithAccuracy(mlflow, modelName, accuracy);

  const modelVersion = (name: string, version: string, pipeline = 'support', model = modelName) => {
    const rollout = quickCanary(
      [
        { weight: 10, pause: '1s' },
        { weight: 40, pause: '1s' },
        { weight: 70, pause: '1s' },
      ],
      { scaleDownDelay: '2s' },
    );
    return modelVersionObject(name, { pipeline, model: { name: model, version }, rollout });
  };
  const read = async (plural: string, name: string) =>
    (await custom.getNamespacedCustomObject({ ...GROUP, plural, name })) as {
      status?: Record<string, unknown>;
    };
  const createPipeline = (name: string, trackingUri: string) =>
    custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'inquirypipelines',
      body: pipelineObject(name, { mlflow: { trackingUri } }),
    });
  type Condition = { type: string; status: string; reason: string; message: string };
  /** The ModelVersion's Degraded condition once `reason` shows. */
  const degradedBy = (name: string, reason: string) =>
    eventually(`${name}: Degraded with reason ${reason}`, async () => {
      const degraded = await condition('modelversions', name, 'Degraded');
      return degraded?.reason === reason ? degraded : undefined;
    });
  const condition = async (plural: string, name: string, type: string) =>
    ((await read(plural, name)).status?.conditions as Condition[] | undefined)?.find(
      (c) => c.type === type,
    );
  const virtualService = async () =>
    (await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: NAMESPACE,
      plural: 'virtualservices',
      name: 'support-inference',
    })) as VirtualService;
  /** The canary's share of the weighted route (the one no A/B match takes). */
  const weightOf = (vs: VirtualService) =>
    vs.spec?.http
      ?.find((r) => r.name === 'inference')
      ?.route?.find((r) => r.destination.subset === 'canary')?.weight ?? 0;
  /** The A/B route before the weighted one, when a rollout has a match. */
  const matchRouteOf = (vs: VirtualService) =>
    vs.spec?.http?.find((r) => r.name === 'inference-canary-match');
  const canaryWeight = async () => weightOf(await virtualService());

  /**
   * Every distinct `project`ion of the VirtualService written while `during` runs, in order:
   * a watch sees each write, where polling could miss a step that passes quickly.
   */
  async function recordingRoutes<T>(
    project: (vs: VirtualService) => T,
    during: () => Promise<void>,
  ): Promise<T[]> {
    const seen: T[] = [];
    let failure: unknown;
    const watch = await new k8s.Watch(kc).watch(
      `/apis/networking.istio.io/v1/namespaces/${NAMESPACE}/virtualservices`,
      { fieldSelector: 'metadata.name=support-inference' },
      (_phase: string, vs: VirtualService) => {
        const projected = project(vs);
        if (JSON.stringify(seen.at(-1)) !== JSON.stringify(projected)) seen.push(projected);
      },
      (error: unknown) => {
        if (error) failure = error;
      },
    );
    try {
      await during();
    } finally {
      const ended = failure;
      watch.abort();
      failure = ended;
    }
    if (failure) throw new Error('the VirtualService watch failed', { cause: failure });
    return seen;
  }
  const recordingCanaryWeights = (during: () => Promise<void>) => recordingRoutes(weightOf, during);

  const deploymentNames = async () =>
    (await kc.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace: NAMESPACE })).items
      .map((d) => d.metadata!.name!)
      .sort();

  /** The phase whose gauge is 1, and the weight gauge, of one ModelVersion. */
  async function gauge(m: OperatorMetrics, modelversion: string) {
    const phase = (await m.canaryPhase.get()).values.find(
      (v) => v.labels.modelversion === modelversion && v.value === 1,
    )?.labels.phase;
    const weight = (await m.canaryWeight.get()).values.find(
      (v) => v.labels.modelversion === modelversion,
    )?.value;
    return { phase, weight };
  }

  beforeAll(async () => {
    await installPlatformCrds();
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await createPipeline('support', testbed.mlflowUrl);
    await controller.start();
  });

  afterAll(async () => {
    // Before the operator stops: it finalizes the namespace's ModelVersions.
    await deleteNamespaces(kc, [NAMESPACE]);
    await controller.stop();
  }, 240_000);

  it('promotes the first model at once, walks a good candidate through every step, and rolls a bad one back', async () => {
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: modelVersion('support-v1', await registered(0.9)),
    });
    await eventually('the first model to be promoted', async () =>
      (await read('modelversions', 'support-v1')).status?.phase === 'Promoted' ? true : undefined,
    );
    await eventually('the pipeline to serve it', async () =>
      (await read('inquirypipelines', 'support')).status?.stableModelVersion === 'support-v1'
        ? true
        : undefined,
    );
    expect((await mlflow.versionByAlias(modelName, 'champion'))?.version).toBe('1');

    // A good candidate: weights 10 → 40 → 70 written in order, then promoted and the alias moved.
    const seen = await recordingCanaryWeights(async () => {
      await custom.createNamespacedCustomObject({
        ...GROUP,
        plural: 'modelversions',
        body: modelVersion('support-v2', await registered(0.93)),
      });
      await eventually(
        'the candidate to be promoted',
        async () =>
          (await read('modelversions', 'support-v2')).status?.phase === 'Promoted'
            ? true
            : undefined,
        90_000,
      );
    });
    expect(seen.filter((w) => w > 0 && w < 100)).toEqual([10, 40, 70]);
    expect((await mlflow.versionByAlias(modelName, 'champion'))?.version).toBe('2');
    // The old stable sees the newer promotion and supersedes itself (its own status only).
    await eventually('support-v1 superseded', async () =>
      (await read('modelversions', 'support-v1')).status?.phase === 'Superseded' ? true : undefined,
    );
    expect(await condition('modelversions', 'support-v2', 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Promoted',
    });
    expect(await condition('modelversions', 'support-v1', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'Superseded',
    });
    await eventually('all traffic on the new stable', async () =>
      (await canaryWeight()) === 0 ? true : undefined,
    );
    // The promoted canary's Deployment serves beside the stable one, then retires.
    // The operator deletes the Deployment, then clears status.canaryRetiresAt: wait for both
    // (under load the second write can trail the first by a while).
    await eventually('the canary Deployment retired after scaleDownDelay', async () =>
      !(await deploymentNames()).includes('support-inference-support-v2') &&
      (await read('modelversions', 'support-v2')).status?.canaryRetiresAt === undefined
        ? true
        : undefined,
    );
    expect(await deploymentNames()).toEqual(['support-inference']);
    expect(await gauge(metrics, 'support-v2')).toEqual({ phase: 'Promoted', weight: 100 });
    // A superseded version is history: its series are gone (the counters keep its end).
    expect(await gauge(metrics, 'support-v1')).toEqual({ phase: undefined, weight: undefined });
    const passes = (await metrics.analysisResults.get()).values.find(
      (v) => v.labels.verdict === 'Pass',
    );
    expect(passes?.value).toBeGreaterThanOrEqual(3);
    expect((await metrics.promotions.get()).values[0]?.value).toBe(2);

    // A bad candidate: online accuracy 0.5 < 0.8 → rolled back, weight 0, champion untouched.
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: modelVersion('support-v3', await registered(0.5)),
    });
    const failed = await eventually(
      'the rollback',
      async () => {
        const status = (await read('modelversions', 'support-v3')).status;
        return status?.phase === 'RolledBack' ? status : undefined;
      },
      60_000,
    );
    expect(failed.canaryWeight).toBe(0);
    expect(await condition('modelversions', 'support-v3', 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'RolledBack',
      message: expect.stringContaining('online-accuracy') as unknown,
    });
    // The routes follow the status (the pipeline's reconciler sets them), and the canary
    // Deployment retires once they send it nothing.
    await eventually('the routes back on stable and the canary retired', async () =>
      (await canaryWeight()) === 0 &&
      !(await deploymentNames()).includes('support-inference-support-v3')
        ? true
        : undefined,
    );
    expect((await mlflow.versionByAlias(modelName, 'champion'))?.version).toBe('2');
    expect((await read('inquirypipelines', 'support')).status?.stableModelVersion).toBe(
      'support-v2',
    );

    // A human aborts a rollout that would otherwise wait an hour at its first step.
    const slow = modelVersion('support-v4', await registered(0.95));
    slow.spec.rollout!.steps = [{ weight: 20, pause: '1h' }];
    await custom.createNamespacedCustomObject({ ...GROUP, plural: 'modelversions', body: slow });
    await eventually('the slow canary at 20 %', async () =>
      (await canaryWeight()) === 20 ? true : undefined,
    );
    // Someone hand-edits the weights and deletes the canary's Deployment: the rollout puts
    // both back (the children are watched; the rollout's reconcile is level-triggered).
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await apps.deleteNamespacedDeployment({
      name: 'support-inference-support-v4',
      namespace: NAMESPACE,
    });
    await custom.patchNamespacedCustomObject(
      {
        group: 'networking.istio.io',
        version: 'v1',
        namespace: NAMESPACE,
        plural: 'virtualservices',
        name: 'support-inference',
        body: [{ op: 'replace', path: '/spec/http/0/route/1/weight', value: 55 }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await eventually('the canary weight and Deployment restored', async () =>
      (await canaryWeight()) === 20 &&
      (await deploymentNames()).includes('support-inference-support-v4')
        ? true
        : undefined,
    );
    await custom.patchNamespacedCustomObject(
      {
        ...GROUP,
        plural: 'modelversions',
        name: 'support-v4',
        body: { metadata: { annotations: { 'inquiries.mlops.io/control': 'abort' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('the manual abort', async () =>
      (await read('modelversions', 'support-v4')).status?.phase === 'RolledBack' ? true : undefined,
    );
    await eventually('weight back to 0', async () =>
      (await canaryWeight()) === 0 ? true : undefined,
    );
    expect((await mlflow.versionByAlias(modelName, 'champion'))?.version).toBe('2');
  });

  it('resumes a rollout at step 2 after a restart, and a deleted ModelVersion gives back traffic and aliases', async () => {
    const version = await registered(0.95);
    const mv = modelVersion('support-v5', version);
    mv.spec.rollout!.steps = [
      { weight: 10, pause: '1s' },
      { weight: 40, pause: '1h' },
    ];
    await custom.createNamespacedCustomObject({ ...GROUP, plural: 'modelversions', body: mv });
    // Step 2 has started: its weight is live and the rollout has seen it (its pause runs).
    const atStep2 = await eventually('step 2 (weight 40)', async () => {
      const status = (await read('modelversions', 'support-v5')).status;
      return status?.currentStep === 1 && status.stepStartedAt && (await canaryWeight()) === 40
        ? status
        : undefined;
    });
    expect(await gauge(metrics, 'support-v5')).toEqual({ phase: 'Progressing', weight: 40 });
    expect(await condition('modelversions', 'support-v5', 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'CanaryStep',
      message: 'Rolling out: step 2 of 2, 40 % of traffic.',
    });
    await eventually('the pipeline to say a rollout is under way', async () =>
      (await condition('inquirypipelines', 'support', 'Progressing'))?.reason ===
      'RolloutInProgress'
        ? true
        : undefined,
    );

    // Stop in the middle of step 2; a new operator (fresh state, fresh metrics) takes over.
    await controller.stop();
    const objectsBefore = await deploymentNames();
    const restartedMetrics = createOperatorMetrics();
    controller = newController(restartedMetrics);
    await controller.start();
    await eventually('the new operator to have reconciled support-v5', async () =>
      (await gauge(restartedMetrics, 'support-v5')).phase ? true : undefined,
    );
    const resumed = (await read('modelversions', 'support-v5')).status!;
    expect(resumed.currentStep).toBe(1);
    expect(resumed.stepStartedAt).toBe(atStep2.stepStartedAt);
    expect(resumed.phase).toBe('Progressing');
    expect(await canaryWeight()).toBe(40);
    expect(await deploymentNames()).toEqual(objectsBefore);
    expect(objectsBefore).toEqual(['support-inference', 'support-inference-support-v5']);
    expect(await gauge(restartedMetrics, 'support-v5')).toEqual({
      phase: 'Progressing',
      weight: 40,
    });

    // Deleting it mid-rollout: traffic back to stable, canary gone, its aliases removed first.
    await mlflow.setAlias(modelName, 'challenger', version);
    await custom.deleteNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      name: 'support-v5',
    });
    await eventually('the ModelVersion to be finalized and gone', async () =>
      (await read('modelversions', 'support-v5').catch(() => undefined)) ? undefined : true,
    );
    expect(await canaryWeight()).toBe(0);
    expect(await deploymentNames()).toEqual(['support-inference']);
    expect(await mlflow.versionByAlias(modelName, 'challenger')).toBeUndefined();
    expect((await mlflow.versionByAlias(modelName, 'champion'))?.version).toBe('2');
    expect(await gauge(restartedMetrics, 'support-v5')).toEqual({
      phase: undefined,
      weight: undefined,
    });
  });

  it('waits while too few feedback labels make the analysis inconclusive, holds when paused, then advances', async () => {
    const version = await registerModelWithAccuracy(mlflow, modelName, 0.95, 20);
    const mv = modelVersion('support-v6', version);
    mv.spec.rollout!.steps = [
      { weight: 10, pause: '1s' },
      { weight: 40, pause: '1s' },
    ];
    await custom.createNamespacedCustomObject({ ...GROUP, plural: 'modelversions', body: mv });
    // 20 labels < minSamples 100: analysed every second, inconclusive each time, at step 1.
    const checks = new Set<string>();
    await eventually('three inconclusive analyses', async () => {
      const status = (await read('modelversions', 'support-v6')).status;
      const last = (
        status?.lastAnalysis as { verdict: string; checkedAt: string }[] | undefined
      )?.[0];
      if (last?.verdict === 'Inconclusive') checks.add(last.checkedAt);
      return checks.size >= 3 ? true : undefined;
    });
    const waiting = (await read('modelversions', 'support-v6')).status!;
    expect(waiting).toMatchObject({ phase: 'Progressing', currentStep: 0, canaryWeight: 10 });
    expect((waiting.lastAnalysis as { verdict: string; samples: number }[])[0]).toMatchObject({
      verdict: 'Inconclusive',
      samples: 20,
    });
    expect(waiting.failedChecks ?? 0).toBe(0);

    // A human holds it (spec.paused), then lets it go once labels have arrived.
    const patchSpec = (spec: object) =>
      custom.patchNamespacedCustomObject(
        { ...GROUP, plural: 'modelversions', name: 'support-v6', body: { spec } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await patchSpec({ paused: true });
    await eventually('paused', async () =>
      (await condition('modelversions', 'support-v6', 'Progressing'))?.reason === 'Paused'
        ? true
        : undefined,
    );
    expect((await read('modelversions', 'support-v6')).status?.phase).toBe('Paused');
    const { run_id: runId } = await mlflow.getModelVersion(modelName, version);
    await mlflow.logMetric(runId!, 'online.samples', 500, 1);
    await patchSpec({ paused: false });
    await eventually(
      'promoted once the labels are there',
      async () =>
        (await read('modelversions', 'support-v6')).status?.phase === 'Promoted' ? true : undefined,
      60_000,
    );
    expect((await mlflow.versionByAlias(modelName, 'champion'))?.version).toBe(version);
  });

  it('routes an A/B canary by header or cookie before the weights, and drops the match on promotion and on rollback', async () => {
    const match = [
      { headers: [{ name: 'x-canary', exact: 'insider' }] },
      { cookie: { name: 'canary', value: 'always' } },
    ];
    const abCanary = (name: string, version: string) => {
      const mv = modelVersion(name, version);
      mv.spec.rollout = {
        ...mv.spec.rollout,
        match,
        steps: [
          { weight: 0, pause: '1s' },
          { weight: 40, pause: '1s' },
        ],
      };
      return mv;
    };
    const routesSeen = (vs: VirtualService) => ({
      match: matchRouteOf(vs)?.match,
      matchedTo: matchRouteOf(vs)?.route?.map((r) => `${r.destination.subset} ${r.weight}`),
      weight: weightOf(vs),
    });
    const istioMatch = [
      { headers: { 'x-canary': { exact: 'insider' } } },
      { headers: { cookie: { regex: '^(.*?;\\s*)?(canary=always)(;.*)?$' } } },
    ];

    // A good candidate: matched requests only, then 40 % beside them, then promoted.
    const good = await registered(0.95);
    const seen = await recordingRoutes(routesSeen, async () => {
      await custom.createNamespacedCustomObject({
        ...GROUP,
        plural: 'modelversions',
        body: abCanary('support-v7', good),
      });
      await eventually(
        'the A/B candidate to be promoted',
        async () =>
          (await read('modelversions', 'support-v7')).status?.phase === 'Promoted'
            ? true
            : undefined,
        90_000,
      );
      await eventually('the routes on the new stable', async () =>
        (await read('inquirypipelines', 'support')).status?.stableModelVersion === 'support-v7' &&
        matchRouteOf(await virtualService()) === undefined
          ? true
          : undefined,
      );
    });
    const withMatch = seen.filter((routes) => routes.match !== undefined);
    expect(withMatch).toEqual([
      { match: istioMatch, matchedTo: ['canary 100'], weight: 0 },
      { match: istioMatch, matchedTo: ['canary 100'], weight: 40 },
    ]);
    expect(seen.at(-1)).toEqual({ match: undefined, matchedTo: undefined, weight: 0 });
    const promoted = (await virtualService()).spec!.http!;
    expect(promoted.map((r) => r.name)).toEqual(['inference']);
    expect((await mlflow.versionByAlias(modelName, 'champion'))?.version).toBe(good);

    // A bad candidate: its match route is live at step 1, then goes with the rollback.
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: abCanary('support-v8', await registered(0.5)),
    });
    await eventually('the bad candidate matched at weight 0', async () => {
      const vs = await virtualService();
      return matchRouteOf(vs) && weightOf(vs) === 0 ? true : undefined;
    });
    expect((await virtualService()).spec!.http!.map((r) => r.name)).toEqual([
      'inference-canary-match',
      'inference',
    ]);
    const failed = await eventually(
      'the A/B rollback',
      async () => {
        const status = (await read('modelversions', 'support-v8')).status;
        return status?.phase === 'RolledBack' ? status : undefined;
      },
      60_000,
    );
    expect(failed).toMatchObject({ currentStep: 0, canaryWeight: 0 });
    const events = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedEvent({
      namespace: NAMESPACE,
      fieldSelector: 'involvedObject.name=support-v8',
    });
    expect(events.items.find((e) => e.reason === 'CanaryStarted')?.message).toBe(
      'Canary started: step 1/2 sends only requests with header x-canary = "insider" or cookie canary=always to the model for 1s before analysis.',
    );
    await eventually('the match route gone and the canary retired', async () =>
      matchRouteOf(await virtualService()) === undefined &&
      !(await deploymentNames()).includes('support-inference-support-v8')
        ? true
        : undefined,
    );
    expect((await virtualService()).spec!.http!.map((r) => r.name)).toEqual(['inference']);
    expect((await read('inquirypipelines', 'support')).status?.stableModelVersion).toBe(
      'support-v7',
    );
    expect((await mlflow.versionByAlias(modelName, 'champion'))?.version).toBe(good);
  });

  it('says in status what keeps a rollout from running: a missing pipeline, an unreachable MLflow', async () => {
    const otherModel = `${modelName}-elsewhere`;
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: modelVersion('orphan-v1', '1', 'nowhere', otherModel),
    });
    const missing = await degradedBy('orphan-v1', 'PipelineNotFound');
    expect(missing.status).toBe('True');
    expect(missing.message).toContain('nowhere');
    expect((await read('modelversions', 'orphan-v1')).status?.phase).toBe('Pending');

    // A pipeline whose MLflow server refuses connections: the version waits, Degraded says why.
    await createPipeline('elsewhere', 'http://127.0.0.1:9');
    const version = await registerModelWithAccuracy(mlflow, otherModel, 0.9);
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: modelVersion('elsewhere-v1', version, 'elsewhere', otherModel),
    });
    const unreachable = await degradedBy('elsewhere-v1', 'ReconcileFailed');
    expect(unreachable.status).toBe('True');
    expect(unreachable.message).toMatch(/MLflow .* failed after \d+ attempts/);
    expect((await read('modelversions', 'elsewhere-v1')).status?.phase).toBe('Pending');

    // MLflow back (the pipeline pointed at the real server): the retried reconcile promotes it.
    await custom.patchNamespacedCustomObject(
      {
        ...GROUP,
        plural: 'inquirypipelines',
        name: 'elsewhere',
        body: { spec: { mlflow: { trackingUri: testbed.mlflowUrl } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually(
      'the version promoted once MLflow answers',
      async () =>
        (await read('modelversions', 'elsewhere-v1')).status?.phase === 'Promoted'
          ? true
          : undefined,
      60_000,
    );
    expect(await condition('modelversions', 'elsewhere-v1', 'Degraded')).toMatchObject({
      status: 'False',
    });
    expect((await mlflow.versionByAlias(otherModel, 'champion'))?.version).toBe(version);
  });
});
