/**
 * The operator under the chart's RBAC only: its ServiceAccount and roles rendered by `helm
 * template`, a real token from the TokenRequest API, and the whole job done with it (pipeline
 * children, autoscaler, routing policy and its preview, a promotion, a rollback, job runs, a
 * finalized deletion, leader election). The API server's audit log then shows that no request
 * was refused (the role is sufficient) and that every verb the roles grant was used (nothing in
 * them is unused).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../../lib/logger.js';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { Controller } from '../../operator/src/controller.js';
import { LeaderElector } from '../../operator/src/kube/leader.js';
import { createOperatorMetrics } from '../../operator/src/metrics.js';
import { WORKFLOW_CLUSTER_ROLE } from '../../operator/src/names.js';
import { auditLogPath } from '../../scripts/testbed/kubernetes.js';
import { KUBERNETES_VERSION } from '../../scripts/testbed/versions.js';
import { modelVersionObject, pipelineObject, quickCanary } from '../fixtures.js';
import {
  deleteNamespaces,
  eventually,
  installPlatformCrds,
  registerModelWithAccuracy,
  testbed,
} from './testbed.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OPERATOR_NAMESPACE = 'rbac-operator';
const NAMESPACE = 'rbac-work';
const GROUP = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
}

describe("the operator under the chart's RBAC only", () => {
  const kc = testbed.kubeConfig();
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const mlflow = new MlflowClient({ trackingUri: testbed.mlflowUrl });
  const modelName = `rbac-${Date.now()}`;
  let rbac: k8s.KubernetesObject[];
  let account: string;
  let operatorKc: k8s.KubeConfig;

  beforeAll(async () => {
    await installPlatformCrds();
    for (const name of [OPERATOR_NAMESPACE, NAMESPACE])
      await core.createNamespace({ body: { metadata: { name } } });
    const { stdout } = await promisify(execFile)(
      testbed.helm,
      [
        'template',
        'rbac',
        'charts/inquiry-platform',
        '--namespace',
        OPERATOR_NAMESPACE,
        '--kube-version',
        KUBERNETES_VERSION,
        '--show-only',
        'templates/operator-serviceaccount.yaml',
        '--show-only',
        'templates/operator-rbac.yaml',
        '--show-only',
        'templates/workflow-rbac.yaml',
      ],
      { cwd: ROOT },
    );
    rbac = k8s.loadAllYaml(stdout).filter(Boolean) as k8s.KubernetesObject[];
    for (const object of rbac) await objects.create(object);
    account = rbac.find((o) => o.kind === 'ServiceAccount')!.metadata!.name!;
    operatorKc = await kubeConfigOf(account, OPERATOR_NAMESPACE);
  });

  /** A kubeconfig with a real token of the ServiceAccount (TokenRequest API). */
  async function kubeConfigOf(name: string, namespace: string): Promise<k8s.KubeConfig> {
    const token = await core.createNamespacedServiceAccountToken({
      name,
      namespace,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    const cluster = kc.getCurrentCluster()!;
    const config = new k8s.KubeConfig();
    config.loadFromOptions({
      clusters: [cluster],
      users: [{ name, token: token.status!.token }],
      contexts: [{ name, cluster: cluster.name, user: name }],
      currentContext: name,
    });
    return config;
  }

  afterAll(async () => {
    // The tests' operators have stopped: on the node, what they created would run on.
    await deleteNamespaces(kc, [NAMESPACE, OPERATOR_NAMESPACE], { operatorStopped: true });
    for (const object of rbac ?? [])
      if (!object.metadata?.namespace) await objects.delete(object).catch(() => {});
  }, 240_000);

  const registered = (accuracy: number) => registerModelWithAccuracy(mlflow, modelName, accuracy);

  const modelVersion = (name: string, version: string) =>
    modelVersionObject(name, {
      pipeline: 'rbac',
      model: { name: modelName, version },
      rollout: quickCanary([{ weight: 50, pause: '1s' }]),
    });
  const read = async (plural: string, name: string) =>
    (await custom.getNamespacedCustomObject({ ...GROUP, plural, name })) as {
      status?: Record<string, unknown> & {
        conditions?: { type: string; status: string; reason?: string }[];
      };
    };

  it('does its whole job with only the role, and the role grants nothing it does not use', async () => {
    // This run's requests only: an attached test bed (TESTBED_ATTACH) keeps earlier runs' log.
    const since = Date.now();
    const controller = new Controller(operatorKc, createLogger('rbac-test', 'silent'), {
      metrics: createOperatorMetrics(),
      // Test files run side by side: each operator minds its own namespace.
      namespace: NAMESPACE,
      // No node: no canary pod is ever available (see operator-canary.test.ts).
      requireAvailableCandidate: false,
    });
    const elector = new LeaderElector(operatorKc, {
      namespace: OPERATOR_NAMESPACE,
      name: 'inquiry-operator',
      identity: 'rbac-test-0',
      retryEveryMs: 200,
      renewEveryMs: 200,
    });
    let electedResolve!: () => void;
    const elected = new Promise<void>((resolve) => (electedResolve = resolve));
    const electing = elector.run(electedResolve);
    await elected;
    await controller.start();
    try {
      // A namespace's first pipeline brings its identities, its last one takes them away.
      const accounts = async () =>
        (await core.listNamespacedServiceAccount({ namespace: NAMESPACE })).items
          .map((account) => account.metadata!.name!)
          .filter((name) => name.startsWith('inquiry-'))
          .sort();
      await custom.createNamespacedCustomObject({
        ...GROUP,
        plural: 'inquirypipelines',
        body: pipelineObject('rbac-brief', { mlflow: { trackingUri: testbed.mlflowUrl } }),
      });
      await eventually('the namespace identities', async () =>
        (await accounts()).length === 2 ? true : undefined,
      );
      await custom.deleteNamespacedCustomObject({
        ...GROUP,
        plural: 'inquirypipelines',
        name: 'rbac-brief',
      });
      await eventually('the namespace identities gone', async () =>
        (await accounts()).length === 0 ? true : undefined,
      );
      await custom.createNamespacedCustomObject({
        ...GROUP,
        plural: 'routingpolicies',
        body: {
          apiVersion: 'inquiries.mlops.io/v1alpha1',
          kind: 'RoutingPolicy',
          metadata: { name: 'desk' },
          spec: { defaultDepartment: 'front-desk' },
        },
      });
      await custom.createNamespacedCustomObject({
        ...GROUP,
        plural: 'inquirypipelines',
        body: {
          apiVersion: 'inquiries.mlops.io/v1alpha1',
          kind: 'InquiryPipeline',
          metadata: { name: 'rbac' },
          spec: {
            databaseSecretRef: { name: 'db' },
            mlflow: { trackingUri: testbed.mlflowUrl },
            routingPolicyRef: { name: 'desk' },
            serving: { autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 4 } },
            ingestion: { source: { type: 'http', location: 'https://crm.example/inquiries' } },
          },
        },
      });
      // The first model is promoted at once: Deployment, routes and autoscaler appear.
      await custom.createNamespacedCustomObject({
        ...GROUP,
        plural: 'modelversions',
        body: modelVersion('rbac-v1', await registered(0.9)),
      });
      // Serving its first model, not Ready while its Deployment has no pod (no node here).
      await eventually('the pipeline serving its first model', async () => {
        const status = (await read('inquirypipelines', 'rbac')).status;
        return status?.stableModelVersion === 'rbac-v1' &&
          status.conditions?.find((c) => c.type === 'Ready')?.reason === 'DeploymentUnavailable'
          ? true
          : undefined;
      });
      await eventually('the autoscaler', () =>
        kc
          .makeApiClient(k8s.AutoscalingV2Api)
          .readNamespacedHorizontalPodAutoscaler({ name: 'rbac-inference', namespace: NAMESPACE }),
      );
      // A bad candidate: canary Deployment, weights, analysis, rollback (delete), Events.
      await custom.createNamespacedCustomObject({
        ...GROUP,
        plural: 'modelversions',
        body: modelVersion('rbac-v2', await registered(0.5)),
      });
      await eventually(
        'the rollback',
        async () =>
          (await read('modelversions', 'rbac-v2')).status?.phase === 'RolledBack'
            ? true
            : undefined,
        60_000,
      );
      // A job run as its CronWorkflow starts one (`argo submit --from cronwf/rbac-ingest`); its
      // status is Argo's to write, the operator reports it from the start.
      const ingest = (await custom.getNamespacedCustomObject({
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: NAMESPACE,
        plural: 'cronworkflows',
        name: 'rbac-ingest',
      })) as { spec: { workflowSpec: object } };
      await custom.createNamespacedCustomObject({
        group: 'argoproj.io',
        version: 'v1alpha1',
        namespace: NAMESPACE,
        plural: 'workflows',
        body: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Workflow',
          metadata: {
            name: 'rbac-ingest-1',
            labels: { 'inquiries.mlops.io/pipeline': 'rbac', 'inquiries.mlops.io/job': 'ingest' },
          },
          spec: ingest.spec.workflowSpec,
        },
      });
      await eventually('status.lastRuns', async () =>
        (await read('inquirypipelines', 'rbac')).status?.lastRuns ? true : undefined,
      );
      await eventually('the routing preview Workflow', () =>
        custom.getNamespacedCustomObject({
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace: NAMESPACE,
          plural: 'workflows',
          name: 'desk-preview-1-rbac',
        }),
      );
      // A deletion runs the finalizer (canary clean-up, MLflow aliases) before the object goes.
      await custom.deleteNamespacedCustomObject({
        ...GROUP,
        plural: 'modelversions',
        name: 'rbac-v2',
      });
      await eventually('rbac-v2 finalized and gone', async () =>
        (await read('modelversions', 'rbac-v2').catch(() => undefined)) ? undefined : true,
      );
    } finally {
      await controller.stop();
      await elector.stop({ release: true });
      await electing;
    }

    // What the service account did, from the API server's audit log.
    const username = `system:serviceaccount:${OPERATOR_NAMESPACE}:${account}`;
    const events = (await readFile(auditLogPath(process.env.TESTBED_DIR!), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditEvent)
      .filter(
        (e) =>
          e.user.username === username &&
          e.stage !== 'ResponseStarted' &&
          Date.parse(e.requestReceivedTimestamp) >= since,
      );
    const describe = (e: AuditEvent) =>
      `${e.objectRef?.apiGroup ?? ''}|${e.objectRef?.resource}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}|${e.verb}`;
    expect(events.length).toBeGreaterThan(50);
    expect(events.filter((e) => e.responseStatus?.code === 403).map(describe)).toEqual([]);
    const used = new Set(events.map(describe));
    // A server-side apply that creates the object is also authorized as `create`.
    for (const e of events)
      if (e.verb === 'patch' && e.responseStatus?.code === 201)
        used.add(describe({ ...e, verb: 'create' }));

    // `bind` is checked when a RoleBinding is written, not requested: the operator bound the
    // Workflow role (whose permissions it does not hold) for the namespace, and no other role.
    const binding = await kc
      .makeApiClient(k8s.RbacAuthorizationV1Api)
      .readNamespacedRoleBinding({ name: 'inquiry-workflows', namespace: NAMESPACE });
    expect(binding.roleRef.name).toBe(WORKFLOW_CLUSTER_ROLE);
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'inquiry-workflows', namespace: NAMESPACE },
    ]);
    used.add(`rbac.authorization.k8s.io|clusterroles|bind`);
    await expect(
      operatorKc.makeApiClient(k8s.RbacAuthorizationV1Api).createNamespacedRoleBinding({
        namespace: NAMESPACE,
        body: {
          metadata: { name: 'escalate' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'inquiry-workflows', namespace: NAMESPACE }],
        },
      }),
    ).rejects.toMatchObject({ code: 403 });

    const granted = rbac
      .filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role')
      .filter((o) => o.metadata?.name !== WORKFLOW_CLUSTER_ROLE)
      .flatMap((role) => (role as unknown as { rules: Rule[] }).rules)
      .flatMap((rule) =>
        rule.apiGroups.flatMap((group) =>
          rule.resources.flatMap((resource) =>
            rule.verbs.map((verb) => `${group}|${resource}|${verb}`),
          ),
        ),
      );
    expect(granted.filter((permission) => !used.has(permission))).toEqual([]);

    // And what it must not do: read Secrets, or Leases outside its namespace.
    const operatorCore = operatorKc.makeApiClient(k8s.CoreV1Api);
    await expect(operatorCore.listNamespacedSecret({ namespace: NAMESPACE })).rejects.toMatchObject(
      {
        code: 403,
      },
    );
    await expect(
      operatorKc
        .makeApiClient(k8s.CoordinationV1Api)
        .readNamespacedLease({ name: 'inquiry-operator', namespace: NAMESPACE }),
    ).rejects.toMatchObject({ code: 403 });
  });

  it("lets the pipeline's Workflow pods run Argo's executor and register a ModelVersion, nothing more", async () => {
    // The pipeline of the test above left its namespace's identities; the Workflow one acts with
    // its own token.
    const workflowKc = await kubeConfigOf('inquiry-workflows', NAMESPACE);
    const can = async (attributes: k8s.V1ResourceAttributes) =>
      (
        await workflowKc.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({
          body: { spec: { resourceAttributes: attributes } },
        })
      ).status!.allowed;
    const argo = { group: 'argoproj.io', resource: 'workflowtaskresults', namespace: NAMESPACE };
    expect(await can({ ...argo, verb: 'create' })).toBe(true);
    expect(await can({ ...argo, verb: 'patch' })).toBe(true);
    expect(await can({ ...argo, verb: 'delete' })).toBe(false);
    expect(await can({ ...argo, verb: 'create', namespace: OPERATOR_NAMESPACE })).toBe(false);
    expect(await can({ resource: 'secrets', verb: 'get', namespace: NAMESPACE })).toBe(false);
    expect(await can({ resource: 'pods', verb: 'list', namespace: NAMESPACE })).toBe(false);
    const workflowCustom = workflowKc.makeApiClient(k8s.CustomObjectsApi);
    const created = (await workflowCustom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: {
        apiVersion: 'inquiries.mlops.io/v1alpha1',
        kind: 'ModelVersion',
        metadata: { name: 'rbac-registered' },
        spec: { pipeline: 'rbac-none', model: { name: modelName, version: '99' } },
      },
    })) as { metadata: { uid: string } };
    expect(created.metadata.uid).toBeTruthy();
    await expect(
      workflowCustom.deleteNamespacedCustomObject({
        ...GROUP,
        plural: 'modelversions',
        name: 'rbac-registered',
      }),
    ).rejects.toMatchObject({ code: 403 });
    // The inference pods' account carries no token and no permission.
    const inference = await core.readNamespacedServiceAccount({
      name: 'inquiry-inference',
      namespace: NAMESPACE,
    });
    expect(inference.automountServiceAccountToken).toBe(false);
  });
});
