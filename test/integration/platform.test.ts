/**
 * The platform as a user installs and uses it, on the test bed's node: the chart installs the
 * operator (its image built from docker/operator.Dockerfile, two replicas, one leader); a
 * RoutingPolicy and an InquiryPipeline applied as objects; a model trained and registered with
 * the pipeline CLI serves from real pods (the inference image, its bundle fetched from MLflow by
 * the init container); the ingest job runs as an Argo Workflow from its template and stores
 * what its source holds. Nothing here writes what the platform produces: Workflow phases,
 * pipeline status and Deployment availability come from Argo, the operator and Kubernetes.
 * Runs when the test bed has a node (root; see docs/testbed.md).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import pg from 'pg';
import { parse } from 'yaml';
import { runCli } from '../run-cli.js';
import { createTestDatabase, eventually, SMALL_MODEL_FLAGS, testbed } from './testbed.js';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

const RELEASE = 'inquiry-platform';
const SYSTEM = 'inquiry-system';
const NAMESPACE = 'support';
const PIPELINE = 'support';
const GROUP = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };
const ARGO = { group: 'argoproj.io', version: 'v1alpha1', namespace: NAMESPACE };

const withPlatform = testbed.images && testbed.inCluster ? describe : describe.skip;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

withPlatform('the platform on the test bed node', () => {
  const images = testbed.images!;
  const inCluster = testbed.inCluster!;
  const kc = testbed.kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: pg.Pool;
  let work: string;

  const helm = (args: string[]) =>
    execFileAsync(testbed.helm, args, {
      env: { ...process.env, KUBECONFIG: testbed.kubeconfig },
      maxBuffer: 16 * 1024 * 1024,
    });

  /** The test database's URL as pods reach it. */
  const inClusterDatabaseUrl = () => {
    const url = new URL(database.url);
    const service = new URL(inCluster.databaseUrl);
    url.hostname = service.hostname;
    url.port = service.port;
    return url.toString();
  };

  const imageOf = (name: string) => {
    const reference = images[name as keyof typeof images];
    const colon = reference.lastIndexOf(':');
    return { repository: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  };

  beforeAll(async () => {
    database = await createTestDatabase('platform');
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    work = await mkdtemp(path.join(tmpdir(), 'platform-'));
    for (const name of [SYSTEM, NAMESPACE])
      await core.createNamespace({ body: { metadata: { name } } });
    const operator = imageOf('operator');
    await helm([
      'install',
      RELEASE,
      path.join(root, 'charts/inquiry-platform'),
      '--namespace',
      SYSTEM,
      '--set',
      `operator.image.repository=${operator.repository}`,
      '--set',
      `operator.image.tag=${operator.tag}`,
      // The images are on the node, imported by the test bed: no registry to pull from.
      '--set',
      'operator.image.pullPolicy=Never',
      // Other test files run their own operators in their namespaces at the same time.
      '--set',
      `operator.watchNamespace=${NAMESPACE}`,
    ]);
  }, 120_000);

  afterAll(async () => {
    // The user's objects go first, while the operator runs to finalize its ModelVersions (an
    // operator uninstalled first leaves their finalizers, and the namespace, for ever).
    await core.deleteNamespace({ name: NAMESPACE }).catch(() => {});
    await eventually(
      `namespace ${NAMESPACE} deleted`,
      async () =>
        (await core.readNamespace({ name: NAMESPACE }).catch(() => undefined)) ? undefined : true,
      120_000,
    ).catch(() => {});
    await helm(['uninstall', RELEASE, '--namespace', SYSTEM, '--wait']).catch(() => {});
    await core.deleteNamespace({ name: SYSTEM }).catch(() => {});
    await db.end();
    await database.drop();
    await rm(work, { recursive: true, force: true });
  });

  const readPipeline = async () =>
    (await custom.getNamespacedCustomObject({
      ...GROUP,
      plural: 'inquirypipelines',
      name: PIPELINE,
    })) as {
      status?: {
        conditions?: Condition[];
        lastRuns?: Record<string, { name: string; phase?: string }>;
      };
    };

  /** Runs `script` with Node in a pod of the inference image; its log. */
  async function inPod(name: string, script: string): Promise<string> {
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name },
        spec: {
          restartPolicy: 'Never',
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'main',
              image: images['inference-server'],
              imagePullPolicy: 'Never',
              command: ['node', '-e', script],
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    });
    const phase = await eventually(
      `pod ${name} to finish`,
      async () => {
        const pod = await core.readNamespacedPod({ name, namespace: NAMESPACE });
        return ['Succeeded', 'Failed'].includes(pod.status?.phase ?? '')
          ? pod.status!.phase
          : undefined;
      },
      120_000,
    );
    const log = await core.readNamespacedPodLog({ name, namespace: NAMESPACE });
    if (phase !== 'Succeeded') throw new Error(`pod ${name} ${phase}: ${log}`);
    return log;
  }

  it('installs the operator from its chart: two replicas Available, one holding the Lease', async () => {
    const deployment = await eventually(
      'the operator Deployment Available with 2 replicas',
      async () => {
        const found = await apps.readNamespacedDeployment({
          name: `${RELEASE}-operator`,
          namespace: SYSTEM,
        });
        return found.status?.availableReplicas === 2 ? found : undefined;
      },
      180_000,
    );
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(images.operator);
    const pods = await core.listNamespacedPod({
      namespace: SYSTEM,
      labelSelector: Object.entries(deployment.spec!.selector.matchLabels!)
        .map(([key, value]) => `${key}=${value}`)
        .join(','),
    });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) expect(pod.spec?.securityContext?.runAsNonRoot).toBe(true);
    const holder = await eventually('the leader Lease', async () => {
      const lease = await coordination
        .readNamespacedLease({ name: 'inquiry-operator', namespace: SYSTEM })
        .catch(() => undefined);
      return lease?.spec?.holderIdentity;
    });
    expect(pods.items.map((pod) => pod.metadata?.name)).toContain(holder);
  }, 240_000);

  it('serves the first model from real pods: Ready only once its Deployment is Available', async () => {
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: { metadata: { name: 'inquiries-db' }, stringData: { url: inClusterDatabaseUrl() } },
    });
    // The repository's examples, as a user applies them, pointed at the test bed.
    const example = async (file: string) =>
      parse(await readFile(path.join(root, 'crds/examples', file), 'utf8')) as {
        metadata: { name: string; namespace?: string };
        spec: Record<string, unknown>;
      };
    const policy = await example('routingpolicy.yaml');
    policy.metadata = { name: 'desk', namespace: NAMESPACE };
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'routingpolicies',
      body: policy,
    });
    const pipeline = await example('inquirypipeline.yaml');
    pipeline.metadata = { name: PIPELINE, namespace: NAMESPACE };
    pipeline.spec = {
      ...pipeline.spec,
      image: images['inference-server'],
      mlflow: { trackingUri: inCluster.mlflowUrl, modelName: `${PIPELINE}-classifier` },
      routingPolicyRef: { name: 'desk' },
      serving: { autoscaling: { enabled: false } },
      ingestion: {
        schedule: '30 1 * * *',
        source: {
          type: 'file',
          location: 'inquiries.jsonl',
          volume: { configMap: { name: 'inbox' } },
          labels: ['category'],
        },
      },
    };
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'inquirypipelines',
      body: pipeline,
    });

    // A model trained and registered as a user would with the CLI, then applied.
    const data = path.join(work, 'train.jsonl');
    const bundle = path.join(work, 'bundle');
    expect((await runCli(['generate', '--n', '1500', '--seed', '7', '--out', data])).code).toBe(0);
    const trained = await runCli(['train', '--data', data, '--out', bundle, ...SMALL_MODEL_FLAGS]);
    expect(trained.code).toBe(0);
    const registered = await runCli(
      [
        'register',
        '--bundle',
        bundle,
        '--pipeline',
        PIPELINE,
        '--model-name',
        `${PIPELINE}-classifier`,
        '--namespace',
        NAMESPACE,
      ],
      { MLFLOW_TRACKING_URI: testbed.mlflowUrl },
    );
    expect(registered.code).toBe(0);
    const modelVersion = parse(registered.stdout) as {
      metadata: { name: string };
      spec: Record<string, unknown>;
    };
    modelVersion.spec.rollout = { strategy: 'Immediate' };
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: modelVersion,
    });

    // Not Ready while no pod is available; Ready once the Deployment is Available.
    const early = (await readPipeline()).status?.conditions?.find((c) => c.type === 'Ready');
    if (early?.status === 'True') {
      const deployments = await apps.listNamespacedDeployment({ namespace: NAMESPACE });
      expect(deployments.items.some((d) => (d.status?.availableReplicas ?? 0) > 0)).toBe(true);
    }
    const ready = await eventually(
      'the pipeline Ready',
      async () => {
        const condition = (await readPipeline()).status?.conditions?.find(
          (c) => c.type === 'Ready',
        );
        return condition?.status === 'True' ? condition : undefined;
      },
      300_000,
    ).catch(async (error: unknown) => {
      const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
      throw new Error(
        `${(error as Error).message}; pods: ${JSON.stringify(
          pods.items.map((pod) => ({ name: pod.metadata?.name, status: pod.status })),
        ).slice(0, 4000)}`,
        { cause: error },
      );
    });
    expect(ready.message).toContain(modelVersion.metadata.name);
    const deployments = await apps.listNamespacedDeployment({ namespace: NAMESPACE });
    const serving = deployments.items.filter((d) => (d.status?.availableReplicas ?? 0) > 0);
    expect(serving.length).toBeGreaterThan(0);
    for (const deployment of serving)
      expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(images['inference-server']);

    // From a pod, through the cluster's DNS and the pipeline's Service.
    const service = `http://${PIPELINE}-inference.${NAMESPACE}.svc.cluster.local`;
    const answer = JSON.parse(
      await inPod(
        'submit',
        `fetch(${JSON.stringify(`${service}/api/v1/inquiries/submit`)}, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ subject: 'Invoice charged twice', body: 'We were billed twice for March, please refund the second charge.', sender_email: 'ap@example.com' }),
        }).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })))`,
      ),
    ) as { status: number; body: { id: string; routing: { department: string } } };
    expect(answer.status).toBe(201);
    const stored = await db.query<{ id: string }>('SELECT id FROM inquiries WHERE id = $1', [
      answer.body.id,
    ]);
    expect(stored.rows).toHaveLength(1);

    // From the host, through kube-proxy's rules for the Service's cluster IP.
    const { spec } = await core.readNamespacedService({
      name: `${PIPELINE}-inference`,
      namespace: NAMESPACE,
    });
    const classified = await fetch(`http://${spec!.clusterIP}/api/v1/inquiries/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'Login fails', body: 'I cannot log in since the update.' }),
    });
    expect(classified.status).toBe(200);
    expect(await classified.json()).toHaveProperty('category');
  }, 600_000);

  it('runs the ingest job as an Argo Workflow from its template, storing what the source holds', async () => {
    const inbox = path.join(work, 'inbox.jsonl');
    expect((await runCli(['generate', '--n', '40', '--seed', '11', '--out', inbox])).code).toBe(0);
    await core.createNamespacedConfigMap({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'inbox' },
        data: { 'inquiries.jsonl': await readFile(inbox, 'utf8') },
      },
    });
    const before = Number(
      (await db.query<{ count: string }>('SELECT count(*) FROM inquiries')).rows[0]!.count,
    );
    // As the CronWorkflow submits it: from the WorkflowTemplate, with the job's labels.
    const created = (await custom.createNamespacedCustomObject({
      ...ARGO,
      plural: 'workflows',
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: {
          generateName: `${PIPELINE}-ingest-`,
          labels: { 'inquiries.mlops.io/pipeline': PIPELINE, 'inquiries.mlops.io/job': 'ingest' },
        },
        spec: { workflowTemplateRef: { name: `${PIPELINE}-ingest` } },
      },
    })) as { metadata: { name: string } };
    const name = created.metadata.name;
    const finished = await eventually(
      `Workflow ${name} to finish`,
      async () => {
        const workflow = (await custom.getNamespacedCustomObject({
          ...ARGO,
          plural: 'workflows',
          name,
        })) as { status?: { phase?: string; message?: string } };
        return ['Succeeded', 'Failed', 'Error'].includes(workflow.status?.phase ?? '')
          ? workflow.status
          : undefined;
      },
      300_000,
    );
    expect(finished).toMatchObject({ phase: 'Succeeded' });
    const after = Number(
      (await db.query<{ count: string }>('SELECT count(*) FROM inquiries')).rows[0]!.count,
    );
    expect(after - before).toBe(40);
    const lastRun = await eventually('status.lastRuns.ingestion', async () => {
      const run = (await readPipeline()).status?.lastRuns?.ingestion;
      return run?.name === name && run.phase === 'Succeeded' ? run : undefined;
    });
    expect(lastRun.phase).toBe('Succeeded');
  }, 420_000);
});
