/**
 * The operator in-process against the test bed's API server: an InquiryPipeline gets its
 * children, a spec change updates them, a deleted child is restored, and deleting the pipeline
 * removes everything (owner references + the real garbage collector).
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../lib/logger.js';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { Controller } from '../../operator/src/controller.js';
import { ARGO_EXECUTOR_CLUSTER_ROLE } from '../../scripts/testbed/addons.js';
import { BASE_IMAGE } from '../../scripts/testbed/node-images.js';
import { createOperatorMetrics } from '../../operator/src/metrics.js';
import { REPLICAS_HANDOVER_MANAGER } from '../../operator/src/names.js';
import type { InquiryPipeline } from '../../operator/src/resources.js';
import { modelVersionObject, pipelineObject } from '../fixtures.js';
import {
  deleteNamespaces,
  eventually,
  installPlatformCrds,
  registerModelWithAccuracy,
  testbed,
} from './testbed.js';

const NAMESPACE = 'operator-pipeline';
/** A source for pipelines whose ingestion is scheduled (none is ever fetched here). */
const HTTP_SOURCE = { type: 'http' as const, location: 'https://crm.example/inquiries' };

describe('operator: InquiryPipeline', () => {
  const kc = testbed.kubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const metrics = createOperatorMetrics();
  // Test files run side by side, each with its operator: each minds its own namespace.
  const controller = new Controller(kc, createLogger('operator-test', 'silent'), {
    metrics,
    namespace: NAMESPACE,
  });

  const cron = (name: string) =>
    custom.getNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: NAMESPACE,
      plural: 'cronworkflows',
      name,
    }) as Promise<{
      metadata: { uid: string; ownerReferences: { kind: string }[] };
      spec: { schedules: string[] };
    }>;

  /** An InquiryPipeline with a database Secret and `spec` (MLflow defaults to an unused URL). */
  const createPipeline = (
    name: string,
    spec: Parameters<typeof pipelineObject>[1] = {},
    namespace = NAMESPACE,
  ) =>
    custom.createNamespacedCustomObject({
      group: 'inquiries.mlops.io',
      version: 'v1alpha1',
      namespace,
      plural: 'inquirypipelines',
      body: pipelineObject(name, spec),
    });

  beforeAll(async () => {
    await installPlatformCrds();
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await controller.start();
  });

  afterAll(async () => {
    // Before the operator stops: it finalizes what the namespaces hold.
    await deleteNamespaces(kc, [NAMESPACE, 'operator-pipeline-quota']);
    await controller.stop();
  }, 240_000);

  it('creates, updates, restores and (through the garbage collector) removes the children', async () => {
    await createPipeline('support', { classification: { shards: 3 } });

    const created = await eventually('the classify CronWorkflow', () => cron('support-classify'));
    expect(created.spec.schedules).toEqual(['0 * * * *']);
    expect(created.metadata.ownerReferences[0]!.kind).toBe('InquiryPipeline');
    await eventually('support-retrain', () => cron('support-retrain'));
    await eventually('the Service', () =>
      core.readNamespacedService({ name: 'support-inference', namespace: NAMESPACE }),
    );
    const status = await eventually('status conditions', async () => {
      const pipeline = (await custom.getNamespacedCustomObject({
        group: 'inquiries.mlops.io',
        version: 'v1alpha1',
        namespace: NAMESPACE,
        plural: 'inquirypipelines',
        name: 'support',
      })) as {
        status?: {
          observedGeneration?: number;
          conditions?: { type: string; status: string; reason: string }[];
        };
      };
      return pipeline.status?.conditions ? pipeline.status : undefined;
    });
    expect(status.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Ready', status: 'False', reason: 'NoStableModel' }),
        expect.objectContaining({ type: 'Degraded', status: 'False' }),
        expect.objectContaining({ type: 'Progressing', status: 'False', reason: 'NoRollout' }),
      ]),
    );
    expect(status.observedGeneration).toBe(1);

    // A spec change updates the child in place.
    await custom.patchNamespacedCustomObject(
      {
        group: 'inquiries.mlops.io',
        version: 'v1alpha1',
        namespace: NAMESPACE,
        plural: 'inquirypipelines',
        name: 'support',
        body: { spec: { classification: { schedule: '*/15 * * * *' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('the new schedule', async () =>
      (await cron('support-classify')).spec.schedules[0] === '*/15 * * * *' ? true : undefined,
    );

    // Ingestion is scheduled only from a source: without one, inquiries come through the API.
    expect(await cron('support-ingest').catch(() => undefined)).toBeUndefined();
    const withSource = (source: object | null) =>
      custom.patchNamespacedCustomObject(
        {
          group: 'inquiries.mlops.io',
          version: 'v1alpha1',
          namespace: NAMESPACE,
          plural: 'inquirypipelines',
          name: 'support',
          body: { spec: { ingestion: { source } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await withSource(HTTP_SOURCE);
    await eventually('the ingest CronWorkflow', () => cron('support-ingest'));

    // A deleted child comes back (a new object: another uid).
    const before = (await cron('support-ingest')).metadata.uid;
    await custom.deleteNamespacedCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: NAMESPACE,
      plural: 'cronworkflows',
      name: 'support-ingest',
    });
    const restored = await eventually('the restored CronWorkflow', async () => {
      const again = await cron('support-ingest');
      return again.metadata.uid !== before ? again : undefined;
    });
    expect(restored.spec.schedules).toEqual(['0 2 * * *']);

    // The source removed: its CronWorkflow goes.
    await withSource(null);
    await eventually('the ingest CronWorkflow deleted', async () =>
      (await cron('support-ingest').catch(() => undefined)) ? undefined : true,
    );
    // So does a deleted serving child (watched like the jobs' children).
    const service = await core.readNamespacedService({
      name: 'support-inference',
      namespace: NAMESPACE,
    });
    await core.deleteNamespacedService({ name: 'support-inference', namespace: NAMESPACE });
    await eventually('the restored Service', async () => {
      const again = await core.readNamespacedService({
        name: 'support-inference',
        namespace: NAMESPACE,
      });
      return again.metadata?.uid !== service.metadata?.uid ? true : undefined;
    });

    // Deleting the pipeline removes its children.
    await custom.deleteNamespacedCustomObject({
      group: 'inquiries.mlops.io',
      version: 'v1alpha1',
      namespace: NAMESPACE,
      plural: 'inquirypipelines',
      name: 'support',
    });
    await eventually('the garbage collector', async () => {
      const left = (await custom.listNamespacedCustomObject({
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: NAMESPACE,
        plural: 'cronworkflows',
      })) as { items: unknown[] };
      return left.items.length === 0 ? true : undefined;
    });
  });

  it('renders a RoutingPolicy into its ConfigMap, lists its users, and keeps the last good one when invalid', async () => {
    const group = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };
    await custom.createNamespacedCustomObject({
      ...group,
      plural: 'routingpolicies',
      body: {
        apiVersion: 'inquiries.mlops.io/v1alpha1',
        kind: 'RoutingPolicy',
        metadata: { name: 'desk' },
        spec: {
          defaultDepartment: 'front-desk',
          escalationRules: [
            { name: 'vip', when: { senderDomains: ['vip.example'] }, then: { escalate: true } },
          ],
        },
      },
    });
    await createPipeline('sales', { routingPolicyRef: { name: 'desk' } });
    const configMap = await eventually('the policy ConfigMap', () =>
      core.readNamespacedConfigMap({ name: 'desk-routing', namespace: NAMESPACE }),
    );
    expect(configMap.data!['routing_rules.yaml']).toContain('defaultDepartment: front-desk');
    const readPolicy = async () =>
      (await custom.getNamespacedCustomObject({
        ...group,
        plural: 'routingpolicies',
        name: 'desk',
      })) as {
        status?: {
          ruleCount?: number;
          usedBy?: string[];
          conditions?: { type: string; status: string; message: string }[];
          preview?: { generation: number; pipelines?: { phase: string }[] };
        };
      };
    await eventually('usedBy', async () =>
      (await readPolicy()).status?.usedBy?.includes('sales') ? true : undefined,
    );
    expect((await readPolicy()).status).toMatchObject({
      ruleCount: 1,
      conditions: [expect.objectContaining({ type: 'Valid', status: 'True' })],
    });

    // The change is previewed against the user's stored inquiries by a Workflow (owned by the
    // policy) whose report, once Argo has run it, lands in status.preview.
    const workflows = { group: 'argoproj.io', version: 'v1alpha1', namespace: NAMESPACE };
    const preview = (await eventually('the preview Workflow', () =>
      custom.getNamespacedCustomObject({
        ...workflows,
        plural: 'workflows',
        name: 'desk-preview-1-sales',
      }),
    )) as {
      metadata: { labels: Record<string, string>; ownerReferences: { kind: string }[] };
      spec: {
        templates: {
          container: { args: string[] };
          inputs: { artifacts: { raw: { data: string } }[] };
        }[];
      };
    };
    expect(preview.metadata.ownerReferences[0]!.kind).toBe('RoutingPolicy');
    expect(preview.metadata.labels).toMatchObject({
      'inquiries.mlops.io/routing-policy': 'desk',
      'inquiries.mlops.io/policy-generation': '1',
      'inquiries.mlops.io/pipeline': 'sales',
    });
    expect(preview.spec.templates[0]!.container.args.slice(0, 3)).toEqual([
      'preview-routing',
      '--policy',
      '/work/policy.yaml',
    ]);
    expect(preview.spec.templates[0]!.inputs.artifacts[0]!.raw.data).toContain(
      'defaultDepartment: front-desk',
    );
    // The policy's status follows the Workflow's real phase. With a node, Argo's controller runs
    // the Workflow (the platform's image is not on the node yet, so it never gets to Succeeded
    // here); without one, the report is written as Argo's controller would write it.
    const argoRuns = process.env.TESTBED_WITH_NODE === '1';
    await eventually('the preview in status', async () => {
      const phase = (await readPolicy()).status?.preview?.pipelines?.[0]?.phase;
      return phase !== undefined && (argoRuns || phase === 'Pending') ? true : undefined;
    });
    if (!argoRuns) {
      // What Argo's controller writes when the step has run (no node: Argo's controller does not run).
      const report = {
        sampled: 1000,
        changed: 12,
        moves: [{ from: 'finance', to: 'front-desk', count: 12 }],
        escalationsGained: 3,
        escalationsLost: 0,
        policyVersion: 'abc',
      };
      await custom.patchNamespacedCustomObject(
        {
          ...workflows,
          plural: 'workflows',
          name: 'desk-preview-1-sales',
          body: {
            status: {
              phase: 'Succeeded',
              outputs: { parameters: [{ name: 'preview', value: JSON.stringify(report) }] },
            },
          },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      const done = await eventually('the preview report in status', async () => {
        const status = (await readPolicy()).status;
        return status?.preview?.pipelines?.[0]?.phase === 'Succeeded' ? status.preview : undefined;
      });
      expect(done).toEqual({
        generation: 1,
        counts: {
          pipelines: 1,
          pending: 0,
          running: 0,
          succeeded: 1,
          failed: 0,
          sampled: 1000,
          changed: 12,
        },
        pipelines: [
          {
            pipeline: 'sales',
            workflow: 'desk-preview-1-sales',
            phase: 'Succeeded',
            sampled: 1000,
            changed: 12,
            moves: [{ from: 'finance', to: 'front-desk', count: 12 }],
            escalationsGained: 3,
            escalationsLost: 0,
          },
        ],
      });
    }

    // A pool the schema accepts but the routing engine cannot resolve: refused, old ConfigMap kept.
    await custom.patchNamespacedCustomObject(
      {
        ...group,
        plural: 'routingpolicies',
        name: 'desk',
        body: {
          spec: {
            defaultDepartment: 'elsewhere',
            departments: [{ category: 'sales', department: 'sales', consultantPool: 'ghost' }],
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const invalid = await eventually('the Valid=False condition', async () => {
      const condition = (await readPolicy()).status?.conditions?.find((c) => c.type === 'Valid');
      return condition?.status === 'False' ? condition : undefined;
    });
    expect(invalid.message).toContain('consultant pool "ghost", which is not defined');
    expect(
      (await core.readNamespacedConfigMap({ name: 'desk-routing', namespace: NAMESPACE })).data![
        'routing_rules.yaml'
      ],
    ).toContain('front-desk');
  });

  it('reports the last run of each job from its Workflows, and counts finished runs', async () => {
    const group = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };
    await createPipeline('reports');
    const workflows = { group: 'argoproj.io', version: 'v1alpha1', namespace: NAMESPACE };
    const argoRuns = process.env.TESTBED_WITH_NODE === '1';
    if (argoRuns) {
      // Argo's executor in each step's pod reports through the namespace's default account.
      const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
      await rbac.createNamespacedRoleBinding({
        namespace: NAMESPACE,
        body: {
          metadata: { name: 'argo-executor' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: ARGO_EXECUTOR_CLUSTER_ROLE,
          },
          subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NAMESPACE }],
        },
      });
    }
    const readPhase = async (name: string) =>
      (
        (await custom.getNamespacedCustomObject({ ...workflows, plural: 'workflows', name })) as {
          status?: { phase?: string };
        }
      ).status?.phase;
    /**
     * A Workflow labelled as the pipeline's CronWorkflows label theirs, whose one step runs
     * `script`. With a node, Argo's controller runs it and writes its phase; without one, the
     * phase is written as Argo's controller would write it.
     */
    const run = async (name: string, job: string, script: string, phase: string) => {
      await custom.createNamespacedCustomObject({
        ...workflows,
        plural: 'workflows',
        body: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Workflow',
          metadata: {
            name,
            labels: { 'inquiries.mlops.io/pipeline': 'reports', 'inquiries.mlops.io/job': job },
          },
          spec: {
            entrypoint: 'main',
            activeDeadlineSeconds: 300,
            templates: [
              {
                name: 'main',
                container: {
                  image: BASE_IMAGE,
                  imagePullPolicy: 'Never',
                  command: ['bash', '-c', script],
                },
              },
            ],
          },
          ...(argoRuns ? {} : { status: simulatedStatus(phase) }),
        },
      });
      await eventually(
        `Workflow ${name} ${phase}`,
        async () => ((await readPhase(name)) === phase ? true : undefined),
        120_000,
      );
    };
    let clock = Date.now();
    const simulatedStatus = (phase: string) => {
      const startedAt = new Date((clock += 1000)).toISOString();
      return phase === 'Running'
        ? { phase, startedAt }
        : { phase, startedAt, finishedAt: new Date((clock += 1000)).toISOString() };
    };
    await run('reports-ingest-1', 'ingest', 'true', 'Succeeded');
    await run('reports-ingest-2', 'ingest', 'exit 1', 'Failed');
    await run('reports-classify-1', 'classify', 'sleep 300', 'Running');

    const lastRuns = await eventually('status.lastRuns', async () => {
      const pipeline = (await custom.getNamespacedCustomObject({
        ...group,
        plural: 'inquirypipelines',
        name: 'reports',
      })) as { status?: { lastRuns?: Record<string, { name: string; phase: string }> } };
      const runs = pipeline.status?.lastRuns;
      return runs?.ingestion && runs.classification ? runs : undefined;
    });
    expect(lastRuns.ingestion).toMatchObject({ name: 'reports-ingest-2', phase: 'Failed' });
    expect(lastRuns.classification).toMatchObject({
      name: 'reports-classify-1',
      phase: 'Running',
    });
    expect(lastRuns.retraining).toBeUndefined();

    const runs = await metrics.jobRuns.get();
    const count = (job: string, phase: string) =>
      runs.values.find(
        (v) =>
          v.labels.pipeline === 'reports' &&
          v.labels.pipeline_job === job &&
          v.labels.phase === phase,
      )?.value;
    expect(count('ingestion', 'Succeeded')).toBe(1);
    expect(count('ingestion', 'Failed')).toBe(1);
    expect(count('classification', 'Running')).toBeUndefined();
    const lastSuccess = (await metrics.jobLastSuccess.get()).values.find(
      (v) => v.labels.pipeline === 'reports' && v.labels.pipeline_job === 'ingestion',
    );
    expect(lastSuccess?.value).toBeGreaterThan(Date.now() / 1000 - 60);
    await custom.deleteNamespacedCustomObject({
      ...workflows,
      plural: 'workflows',
      name: 'reports-classify-1',
    });
  }, 300_000);

  it('reports a child the API server refuses as Degraded and Ready=False, with its reason', async () => {
    const namespace = 'operator-pipeline-quota';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // A quota of no Services: the real quota admission refuses the inference Service.
    await core.createNamespacedResourceQuota({
      namespace,
      body: { metadata: { name: 'no-services' }, spec: { hard: { services: '0' } } },
    });
    await eventually('the quota to be counted by the controller manager', async () =>
      (await core.readNamespacedResourceQuota({ name: 'no-services', namespace })).status?.hard
        ? true
        : undefined,
    );
    await createPipeline('capped', {}, namespace);
    const quotaController = new Controller(kc, createLogger('operator-test', 'silent'), {
      namespace,
    });
    await quotaController.start();
    try {
      const conditions = await eventually('Degraded=True', async () => {
        const pipeline = (await custom.getNamespacedCustomObject({
          group: 'inquiries.mlops.io',
          version: 'v1alpha1',
          namespace,
          plural: 'inquirypipelines',
          name: 'capped',
        })) as {
          status?: {
            conditions?: { type: string; status: string; reason: string; message: string }[];
          };
        };
        const list = pipeline.status?.conditions ?? [];
        return list.find((c) => c.type === 'Degraded')?.status === 'True' ? list : undefined;
      });
      const degraded = conditions.find((c) => c.type === 'Degraded')!;
      expect(degraded.reason).toBe('ApplyFailed');
      expect(degraded.message).toMatch(
        /failed to apply Service .*capped-inference.*exceeded quota/,
      );
      expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({
        status: 'False',
        reason: 'ApplyFailed',
      });
      // Lifting the quota: the retry (with backoff) applies it and the condition clears.
      await core.deleteNamespacedResourceQuota({ name: 'no-services', namespace });
      await eventually(
        'Degraded=False after the quota is gone',
        async () => {
          const pipeline = (await custom.getNamespacedCustomObject({
            group: 'inquiries.mlops.io',
            version: 'v1alpha1',
            namespace,
            plural: 'inquirypipelines',
            name: 'capped',
          })) as { status?: { conditions?: { type: string; status: string }[] } };
          return pipeline.status?.conditions?.find((c) => c.type === 'Degraded')?.status === 'False'
            ? true
            : undefined;
        },
        60_000,
      );
    } finally {
      await quotaController.stop();
    }
  });
  it('puts back an edited autoscaler, and is not woken by the status its controller writes', async () => {
    const group = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };
    const model = `autoscaled-${Date.now()}`;
    const version = await registerModelWithAccuracy(
      new MlflowClient({ trackingUri: testbed.mlflowUrl }),
      model,
      0.9,
    );
    await createPipeline('scaled', {
      mlflow: { trackingUri: testbed.mlflowUrl },
      serving: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } },
    });
    await custom.createNamespacedCustomObject({
      ...group,
      plural: 'modelversions',
      body: modelVersionObject('scaled-v1', {
        pipeline: 'scaled',
        model: { name: model, version },
      }),
    });
    const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
    const hpa = { name: 'scaled-inference', namespace: NAMESPACE };
    // The real HPA controller (kube-controller-manager) writes its status.
    await eventually(
      'the autoscaler, with the status its controller wrote',
      async () =>
        (await autoscaling.readNamespacedHorizontalPodAutoscaler(hpa).catch(() => undefined))
          ?.status?.conditions?.length
          ? true
          : undefined,
      60_000,
    );
    // A status write as its controller makes them, then an edit of its spec by a human.
    await autoscaling.patchNamespacedHorizontalPodAutoscalerStatus(
      { ...hpa, body: { status: { currentReplicas: 3, desiredReplicas: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await autoscaling.patchNamespacedHorizontalPodAutoscaler(
      { ...hpa, body: { spec: { minReplicas: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('the autoscaler put back', async () =>
      (await autoscaling.readNamespacedHorizontalPodAutoscaler(hpa)).spec?.minReplicas === 2
        ? true
        : undefined,
    );
    // Only the edit counted as a change (a watch delivers events in order: the status writes
    // came before the edit that was restored).
    const changes = (await metrics.childChanges.get()).values.filter(
      (v) => v.labels.namespace === NAMESPACE && v.labels.kind === 'HorizontalPodAutoscaler',
    );
    expect(changes.map((v) => [v.labels.verb, v.value])).toEqual([['update', 1]]);

    // Autoscaling turned off: the autoscaler goes (left, it would go on scaling a Deployment
    // the operator sizes again), and the Deployment gets the pipeline's replicas.
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await eventually('the Deployment the autoscaler scales', () =>
      apps
        .readNamespacedDeployment({ name: hpa.name, namespace: NAMESPACE })
        .catch(() => undefined),
    );
    await custom.patchNamespacedCustomObject(
      {
        ...group,
        plural: 'inquirypipelines',
        name: 'scaled',
        body: { spec: { serving: { replicas: 3, autoscaling: { enabled: false } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('the autoscaler deleted', async () =>
      (await autoscaling.readNamespacedHorizontalPodAutoscaler(hpa).catch(() => undefined))
        ? undefined
        : true,
    );
    await eventually('the Deployment sized by the pipeline', async () =>
      (await apps.readNamespacedDeployment({ name: hpa.name, namespace: NAMESPACE })).spec
        ?.replicas === 3
        ? true
        : undefined,
    );
    // Its own deletion is not a change someone else made.
    const after = (await metrics.childChanges.get()).values.filter(
      (v) => v.labels.namespace === NAMESPACE && v.labels.kind === 'HorizontalPodAutoscaler',
    );
    expect(after.map((v) => [v.labels.verb, v.value])).toEqual([['update', 1]]);

    // On again: the new autoscaler takes the replicas as they are (3, within its 2–4, which it
    // keeps without metrics), not reset to 1 by the apply that leaves them out.
    await custom.patchNamespacedCustomObject(
      {
        ...group,
        plural: 'inquirypipelines',
        name: 'scaled',
        body: { spec: { serving: { autoscaling: { enabled: true } } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('the autoscaler back, and the status of that generation', async () => {
      const pipeline = (await custom.getNamespacedCustomObject({
        ...group,
        plural: 'inquirypipelines',
        name: 'scaled',
      })) as InquiryPipeline;
      const back = await autoscaling.readNamespacedHorizontalPodAutoscaler(hpa).catch(() => null);
      return back && pipeline.status?.observedGeneration === pipeline.metadata.generation
        ? true
        : undefined;
    });
    const deployment = await apps.readNamespacedDeployment({
      name: hpa.name,
      namespace: NAMESPACE,
    });
    expect(deployment.spec?.replicas).toBe(3);
    expect(
      deployment.metadata?.managedFields?.find((f) => f.manager === REPLICAS_HANDOVER_MANAGER),
    ).toBeDefined();
  });

  it('is not Ready, and gives a candidate no traffic, while their Deployments have no available pod', async () => {
    // The test bed has no node: a Deployment here never gets an available replica.
    const group = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };
    const mlflow = new MlflowClient({ trackingUri: testbed.mlflowUrl });
    const model = `unavailable-${Date.now()}`;
    await createPipeline('podless', { mlflow: { trackingUri: testbed.mlflowUrl } });
    const createVersion = async (name: string, rollout?: object): Promise<unknown> =>
      custom.createNamespacedCustomObject({
        ...group,
        plural: 'modelversions',
        body: modelVersionObject(name, {
          pipeline: 'podless',
          model: { name: model, version: await registerModelWithAccuracy(mlflow, model, 0.9) },
          ...(rollout ? { rollout } : {}),
        }),
      });
    type Status = {
      stableModelVersion?: string;
      phase?: string;
      currentStep?: number;
      stepStartedAt?: string;
      conditions?: { type: string; status: string; reason: string; message: string }[];
    };
    const statusOf = async (plural: string, name: string) =>
      ((await custom.getNamespacedCustomObject({ ...group, plural, name })) as { status?: Status })
        .status;
    await createVersion('podless-v1');
    const serving = await eventually('the pipeline serving its first model', async () => {
      const status = await statusOf('inquirypipelines', 'podless');
      return status?.stableModelVersion === 'podless-v1' ? status : undefined;
    });
    expect(serving.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'DeploymentUnavailable',
      message: expect.stringContaining('podless-inference') as unknown,
    });
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({
      name: 'podless-inference',
      namespace: NAMESPACE,
    });
    expect(deployment.status?.availableReplicas ?? 0).toBe(0);

    // A canary: its Deployment is there, but without an available pod its step gets no weight,
    // and (never seen live) its pause does not start.
    await createVersion('podless-v2', {
      strategy: 'Canary',
      steps: [{ weight: 10, pause: '1s' }],
      analysis: {
        interval: '1s',
        metrics: [{ name: 'accuracy', provider: 'mlflow', metric: 'online.accuracy', min: 0.8 }],
      },
    });
    await eventually('the pipeline to see the rollout', async () =>
      (await statusOf('inquirypipelines', 'podless'))?.conditions?.find(
        (c) => c.type === 'Progressing',
      )?.reason === 'RolloutInProgress'
        ? true
        : undefined,
    );
    await eventually('the canary Deployment', () =>
      apps.readNamespacedDeployment({ name: 'podless-inference-podless-v2', namespace: NAMESPACE }),
    );
    const routes = (await custom.getNamespacedCustomObject({
      group: 'networking.istio.io',
      version: 'v1',
      namespace: NAMESPACE,
      plural: 'virtualservices',
      name: 'podless-inference',
    })) as { spec: { http: { route: { destination: { subset: string }; weight: number }[] }[] } };
    expect(routes.spec.http[0]!.route).toEqual([
      expect.objectContaining({
        destination: expect.objectContaining({ subset: 'stable' }) as unknown,
        weight: 100,
      }),
    ]);
    expect(await statusOf('modelversions', 'podless-v2')).toMatchObject({
      phase: 'Progressing',
      currentStep: 0,
    });
    expect((await statusOf('modelversions', 'podless-v2'))?.stepStartedAt).toBeUndefined();
  });

  it('after a restart, applies only the child someone changed while it was away', async () => {
    const namespace = 'operator-pipeline-restart';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await createPipeline('steady', { ingestion: { source: HTTP_SOURCE } }, namespace);
    const start = async () => {
      const operator = new Controller(kc, createLogger('operator-test', 'silent'), { namespace });
      await operator.start();
      return operator;
    };
    const children = async () =>
      Promise.all([
        ...['ingest', 'classify', 'retrain'].map((job) =>
          custom.getNamespacedCustomObject({
            group: 'argoproj.io',
            version: 'v1alpha1',
            namespace,
            plural: 'cronworkflows',
            name: `steady-${job}`,
          }),
        ),
        core.readNamespacedService({ name: 'steady-inference', namespace }),
      ]) as Promise<{ metadata: { resourceVersion: string } }[]>;
    const first = await start();
    let written: string[];
    try {
      const [ingest] = (await eventually('the children', children)) as unknown as {
        spec: { schedules: string[] };
      }[];
      written = ingest!.spec.schedules;
    } finally {
      await first.stop();
    }
    // While no operator runs, someone edits one CronWorkflow; and the pipeline still has its
    // own identities, as operators before the namespace identities made them.
    const steady = (await custom.getNamespacedCustomObject({
      group: 'inquiries.mlops.io',
      version: 'v1alpha1',
      namespace,
      plural: 'inquirypipelines',
      name: 'steady',
    })) as { metadata: { uid: string } };
    const legacy = {
      name: 'steady-workflows',
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'inquiry-operator' },
      ownerReferences: [
        {
          apiVersion: 'inquiries.mlops.io/v1alpha1',
          kind: 'InquiryPipeline',
          name: 'steady',
          uid: steady.metadata.uid,
          controller: true,
        },
      ],
    };
    const rbacApi = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: legacy } });
    await rbacApi.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: legacy,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'steady-workflows', namespace }],
      },
    });
    await custom.patchNamespacedCustomObject(
      {
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace,
        plural: 'cronworkflows',
        name: 'steady-ingest',
        body: { spec: { schedules: ['5 5 * * *'] } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const KINDS = ['cronworkflows', 'services', 'serviceaccounts', 'rolebindings'];
    const applies = async () => {
      const options: RequestOptions = { method: 'GET' };
      await kc.applyToHTTPSOptions(options);
      const text = await new Promise<string>((resolve, reject) => {
        const url = new URL('/metrics', kc.getCurrentCluster()!.server);
        httpsRequest(url, options, (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve(body));
        })
          .on('error', reject)
          .end();
      });
      // The APPLYs the API server answered per resource, summed over their other labels.
      const counts: Record<string, number> = {};
      for (const line of text.split('\n')) {
        const resource = /resource="([^"]*)"/.exec(line)?.[1];
        if (!line.startsWith('apiserver_request_total{') || !line.includes('verb="APPLY"'))
          continue;
        if (resource && KINDS.includes(resource))
          counts[resource] =
            (counts[resource] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return counts;
    };
    const before = await applies();
    const second = await start();
    try {
      const restored = await eventually('the edited CronWorkflow restored', async () => {
        const cronWorkflow = (await custom.getNamespacedCustomObject({
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace,
          plural: 'cronworkflows',
          name: 'steady-ingest',
        })) as { spec: { schedules: string[] } };
        return cronWorkflow.spec.schedules[0] === '5 5 * * *' ? undefined : cronWorkflow;
      });
      // Put back as the operator wrote it, not merely changed again.
      expect(restored.spec.schedules).toEqual(written);
      // The pipeline's own identities retired (no Workflow of it runs).
      await eventually('the retired identities deleted', async () => {
        const accounts = await core.listNamespacedServiceAccount({ namespace });
        const bindings = await rbacApi.listNamespacedRoleBinding({ namespace });
        return [...accounts.items, ...bindings.items].some(
          (o) => o.metadata?.name === 'steady-workflows',
        )
          ? undefined
          : true;
      });
      // The restarted operator's other applies were skipped: its memo was empty, the children
      // carried the hash of what it would apply and no one else had changed them.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const after = await applies();
      expect(KINDS.map((kind) => (after[kind] ?? 0) - (before[kind] ?? 0))).toEqual([1, 0, 0, 0]);
    } finally {
      await deleteNamespaces(kc, [namespace]);
      await second.stop();
    }
  });

  it("gives a namespace's pipelines one set of identities, restores it, and removes it with the last pipeline", async () => {
    const namespace = 'operator-pipeline-identities';
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    const rbacApi = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    const operator = new Controller(kc, createLogger('operator-test', 'silent'), { namespace });
    await operator.start();
    const identities = async () => {
      const accounts = await core.listNamespacedServiceAccount({ namespace });
      const bindings = await rbacApi.listNamespacedRoleBinding({ namespace });
      return [
        ...accounts.items.map((o) => ({ kind: 'ServiceAccount', ...o })),
        ...bindings.items.map((o) => ({ kind: 'RoleBinding', ...o })),
      ]
        .filter((o) => o.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'inquiry-operator')
        .map((o) => ({
          id: `${o.kind}/${o.metadata!.name}`,
          uid: o.metadata!.uid!,
          owners: o.metadata!.ownerReferences ?? [],
        }))
        .sort((a, b) => a.id.localeCompare(b.id));
    };
    const ids = async () => (await identities()).map((o) => o.id);
    const SET = [
      'RoleBinding/inquiry-workflows',
      'ServiceAccount/inquiry-inference',
      'ServiceAccount/inquiry-workflows',
    ];
    const deletePipeline = (name: string) =>
      custom.deleteNamespacedCustomObject({
        group: 'inquiries.mlops.io',
        version: 'v1alpha1',
        namespace,
        plural: 'inquirypipelines',
        name,
      });
    try {
      await createPipeline('first', {}, namespace);
      await createPipeline('second', {}, namespace);
      const cronOf = (name: string) =>
        custom.getNamespacedCustomObject({
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace,
          plural: 'cronworkflows',
          name,
        }) as Promise<{ spec: { workflowSpec: { serviceAccountName: string } } }>;
      for (const pipeline of ['first', 'second'])
        expect(
          (await eventually(pipeline, () => cronOf(`${pipeline}-retrain`))).spec.workflowSpec
            .serviceAccountName,
        ).toBe('inquiry-workflows');
      const shared = await eventually('the identities', async () =>
        (await ids()).join() === SET.join() ? identities() : undefined,
      );
      // No pipeline owns them: deleting one must not take them from the other.
      expect(shared.flatMap((o) => o.owners)).toEqual([]);
      await deletePipeline('first');
      await eventually('first gone', async () =>
        (await custom
          .getNamespacedCustomObject({
            group: 'inquiries.mlops.io',
            version: 'v1alpha1',
            namespace,
            plural: 'inquirypipelines',
            name: 'first',
          })
          .catch(() => undefined))
          ? undefined
          : true,
      );
      // Someone deletes the Workflow ServiceAccount: it comes back (a new object).
      const workflows = shared.find((o) => o.id === 'ServiceAccount/inquiry-workflows')!;
      await core.deleteNamespacedServiceAccount({ name: 'inquiry-workflows', namespace });
      const restored = await eventually('the restored ServiceAccount', async () => {
        const now = (await identities()).find((o) => o.id === workflows.id);
        return now && now.uid !== workflows.uid ? now : undefined;
      });
      expect(restored.owners).toEqual([]);
      expect(await ids()).toEqual(SET);
      // The last pipeline takes them away.
      await deletePipeline('second');
      await eventually('the identities removed', async () =>
        (await ids()).length === 0 ? true : undefined,
      );
    } finally {
      await deleteNamespaces(kc, [namespace]);
      await operator.stop();
    }
  });
});
