/**
 * The platform's closed loop as a user installs and uses it, on the test bed's node: the chart
 * installs the operator (its image built from docker/operator.Dockerfile, two replicas, one
 * leader); a RoutingPolicy and an InquiryPipeline applied as objects; a first model, registered
 * with the pipeline CLI, serves from real pods (the inference image, its bundle fetched from
 * MLflow by the init container); the ingest job runs as an Argo Workflow from its CronWorkflow
 * and stores what its source holds, and the classify job's shard pods classify it. Users'
 * reviewed traffic then makes the retrain Workflow decide, train from the database, beat the
 * champion and register a ModelVersion from its pod; that candidate is canaried on its own pods
 * (replicas following its share), survives the deletion of the leading operator pod mid-step,
 * and is promoted on the online accuracy Argo logs to MLflow; a bad model is rolled back. A
 * Prometheus scraping the pods as the chart's monitors say shows every dashboard panel with
 * data, and real faults (the database refusing connections, a hung server, pods deleted and
 * not replaced) fire the outage alerts, which end once the platform recovers. A timeline of the
 * loop is printed at the end. Nothing here writes what the platform produces:
 * Workflow phases, MLflow metrics, pipeline status and Deployment availability come from Argo,
 * the pipeline steps, the operator and Kubernetes. Istio's data plane (Envoy) cannot run here:
 * kube-proxy spreads requests over all pods of the Service, so weights are not enforced (the
 * VirtualService is checked against Istio's schemas elsewhere). Runs when the test bed has a
 * node (root; see docs/testbed.md).
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import pg from 'pg';
import { parse } from 'yaml';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { prometheusConfig, scrapeConfigsFor } from '../../monitoring/scrape-config.js';
import { startPrometheus, type PrometheusServer } from '../../scripts/testbed/prometheus.js';
import {
  checkDashboardData,
  checkRuleExpressions,
  dashboardFindings,
  formatDashboardReport,
  loadDashboards,
  loadRuleExpressions,
  loadRuleFiles,
  renderChartMonitors,
} from './dashboards-live.js';
import { runCli } from '../run-cli.js';
import {
  createTestDatabase,
  deleteNamespaces,
  eventually,
  runPodToEnd,
  SMALL_MODEL_FLAGS,
  testbed,
} from './testbed.js';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

const RELEASE = 'inquiry-platform';
const SYSTEM = 'inquiry-system';
const NAMESPACE = 'support';
const PIPELINE = 'support';
const GROUP = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };
const ARGO = { group: 'argoproj.io', version: 'v1alpha1', namespace: NAMESPACE };

/** The canary's analysis: online accuracy that the classify job's evaluate-online logs to MLflow. */
const ONLINE_ACCURACY = {
  interval: '5s',
  failureLimit: 1,
  metrics: [
    {
      name: 'online-accuracy',
      provider: 'mlflow',
      metric: 'online.accuracy',
      sampleMetric: 'online.samples',
      minSamples: 10,
      min: 0.5,
    },
  ],
};

/** A model registered by hand: one step. */
const CANARY_ON_ONLINE_ACCURACY = {
  strategy: 'Canary',
  steps: [{ weight: 50, pause: '5s' }],
  progressDeadline: '15m',
  analysis: ONLINE_ACCURACY,
};

/**
 * The pipeline's retraining.rollout, which the model its retrain Workflow registers carries: two
 * steps, so the candidate's replicas grow with its share (1 then 2 beside 2 stable), and a
 * short scale-down delay to watch the old pods go.
 */
const RETRAINED_ROLLOUT = {
  strategy: 'Canary',
  steps: [
    { weight: 20, pause: '5s' },
    { weight: 80, pause: '5s' },
  ],
  progressDeadline: '15m',
  scaleDownDelay: '20s',
  analysis: ONLINE_ACCURACY,
};

/** Prometheus scrapes the platform's pods this often; dashboards are queried at this step. */
const SCRAPE_SECONDS = 5;
const STEP_SECONDS = 15;
/**
 * Every alert's `for` on this Prometheus (the shipped rules wait 5 minutes and more): the
 * shipped expressions, driven to firing by real faults in seconds.
 */
const ALERT_FOR_SECONDS = 10;

/**
 * Dashboard panels that stay empty after the loop, and why. Every other panel of every
 * dashboard must show data from the platform's own pods.
 */
const EMPTY_ON_THE_NODE: Record<string, Record<string, string>> = {
  'inquiry-canary': {},
  'inquiry-model-performance': {},
  'inquiry-pipeline-overview': {},
  'inquiry-system-health': {
    'Policy reload failures':
      'the operator validates a RoutingPolicy before writing the ConfigMap the pods read: a refused reload needs a file edited behind its back (provoked in dashboards.test.ts)',
  },
};

const withPlatform = testbed.images && testbed.inCluster ? describe : describe.skip;

/** What Argo's controller writes of a Workflow (read, never written, here). */
interface WorkflowStatus {
  phase?: string;
  message?: string;
  nodes?: Record<
    string,
    {
      displayName: string;
      type: string;
      phase: string;
      outputs?: { parameters?: { name: string; value?: string }[] };
    }
  >;
}

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
  let prometheus: PrometheusServer | undefined;

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

  /** Each step of the loop with its time since the suite started, printed at the end. */
  const began = Date.now();
  const timeline: string[] = [];
  const mark = (what: string) =>
    timeline.push(`${((Date.now() - began) / 1000).toFixed(1).padStart(7)} s  ${what}`);

  beforeAll(async () => {
    database = await createTestDatabase('platform');
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    // The outage test terminates every connection to the database, this pool's idle ones too.
    db.on('error', () => {});
    work = await mkdtemp(path.join(tmpdir(), 'platform-'));
    for (const name of [SYSTEM, NAMESPACE])
      await core.createNamespace({ body: { metadata: { name } } });
    const operator = imageOf('operator');
    mark('helm install');
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
      // The test bed installs the shared step templates for every test file (one per cluster).
      '--set',
      'workflowSteps.install=false',
    ]);
    mark('helm install returned');

    // A real Prometheus scraping the pods as the chart's monitors say (Kubernetes discovery
    // through the API server; the pods' own port, as there is no sidecar to merge metrics),
    // with the chart's recording and alert rules.
    const monitors = await renderChartMonitors(testbed.helm, RELEASE, SYSTEM, [
      'monitoring.podMonitor.istioMetricsMerging=false',
      `monitoring.podMonitor.interval=${SCRAPE_SECONDS}s`,
      `monitoring.serviceMonitor.interval=${SCRAPE_SECONDS}s`,
    ]);
    prometheus = await startPrometheus(
      testbed.prometheus,
      path.join(work, 'prometheus'),
      prometheusConfig({
        scrapeConfigs: scrapeConfigsFor(monitors, {
          kubernetesSd: { kubeconfig_file: testbed.kubeconfig },
        }),
        scrapeInterval: `${SCRAPE_SECONDS}s`,
        evaluationInterval: `${SCRAPE_SECONDS}s`,
      }),
      loadRuleFiles(ALERT_FOR_SECONDS),
    );
  }, 180_000);

  afterAll(async () => {
    console.log(`the platform's loop on the node:\n${timeline.join('\n')}`);
    await prometheus?.stop();
    // `npm run demo`: the platform stays up to be looked at with kubectl.
    if (process.env.PLATFORM_KEEP === '1') {
      await db.end();
      return;
    }
    // The user's objects go first, while the operator runs to finalize its ModelVersions (an
    // operator uninstalled first leaves their finalizers, and the namespace, for ever).
    await deleteNamespaces(kc, [NAMESPACE]);
    await helm(['uninstall', RELEASE, '--namespace', SYSTEM, '--wait']).catch(() => {});
    // Gone before the next test file runs (deploy.test.ts dry-runs the chart into it).
    await deleteNamespaces(kc, [SYSTEM]);
    await db.end();
    await database.drop();
    await rm(work, { recursive: true, force: true });
  }, 300_000);

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

  /**
   * POSTs `body` as JSON on a connection of its own, as separate clients would: kube-proxy picks
   * a Service's endpoint per connection, so a kept-alive one would stay on one pod.
   */
  function postJson(url: string, body: object): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        url,
        { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(JSON.stringify(body));
    });
  }

  /** The namespace's Deployments and pods, for a failure's message. */
  async function podReport(): Promise<string> {
    const deployments = await apps.listNamespacedDeployment({ namespace: NAMESPACE });
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
    // What holds the node's CPU: a pod that cannot be scheduled names the others' requests.
    const everywhere = await core.listPodForAllNamespaces();
    const millicores = (cpu = '0') =>
      cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
    const requested = new Map<string, number>();
    for (const pod of everywhere.items) {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
      if (!pod.spec?.nodeName) continue;
      const cpu = [...(pod.spec.containers ?? [])].reduce(
        (sum, c) => sum + millicores(c.resources?.requests?.cpu),
        0,
      );
      const key = pod.metadata!.namespace!;
      requested.set(key, (requested.get(key) ?? 0) + cpu);
    }
    const brief = pods.items.map((pod) => ({
      name: pod.metadata?.name,
      phase: pod.status?.phase,
      why: [
        ...(pod.status?.conditions ?? []).filter((c) => c.status !== 'True' && c.message),
        ...(pod.status?.containerStatuses ?? []).map((c) => c.state?.waiting),
      ]
        .filter(Boolean)
        .map((c) => `${c!.reason}: ${c!.message ?? ''}`),
    }));
    return `node CPU requests (m) by namespace: ${JSON.stringify(Object.fromEntries(requested))}; deployments: ${JSON.stringify(
      deployments.items.map((d) => ({
        name: d.metadata?.name,
        replicas: d.status?.replicas,
        available: d.status?.availableReplicas,
      })),
    )}; pods: ${JSON.stringify(brief).slice(0, 5000)}`;
  }

  /** Runs `script` with Node in a pod of the inference image; its log. */
  async function inPod(name: string, script: string): Promise<string> {
    const { phase, log } = await runPodToEnd(core, NAMESPACE, name, {
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
    });
    if (phase !== 'Succeeded') throw new Error(`pod ${name} ${phase}: ${log}`);
    return log;
  }

  /** Trains a small model on generated data of `seed` with the CLI and registers it: its ModelVersion. */
  async function registerModel(
    seed: number,
    rollout: Record<string, unknown>,
    { scramble = [] as readonly ('category' | 'sentiment' | 'urgency')[] } = {},
  ) {
    const data = path.join(work, `train-${seed}.jsonl`);
    const bundle = path.join(work, `bundle-${seed}`);
    expect(
      (await runCli(['generate', '--n', '1500', '--seed', String(seed), '--out', data])).code,
    ).toBe(0);
    if (scramble.length > 0) {
      // A bad model, really trained: these labels moved one row down, so it learns noise.
      const rows = (await readFile(data, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, string>);
      const moved = rows.map((row, i) => ({
        ...row,
        ...Object.fromEntries(scramble.map((head) => [head, rows[(i + 1) % rows.length]![head]])),
      }));
      await writeFile(data, `${moved.map((row) => JSON.stringify(row)).join('\n')}\n`);
    }
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
    modelVersion.spec.rollout = rollout;
    return modelVersion;
  }

  /**
   * Starts the pipeline's `job` now, as `argo submit --from cronwf/<name>` does: a Workflow of
   * its CronWorkflow's workflowSpec and workflowMetadata. Its final status.
   */
  async function runJob(job: string) {
    const cron = (await custom.getNamespacedCustomObject({
      ...ARGO,
      plural: 'cronworkflows',
      name: `${PIPELINE}-${job}`,
    })) as { spec: { workflowSpec: object; workflowMetadata?: { labels?: object } } };
    const created = (await custom.createNamespacedCustomObject({
      ...ARGO,
      plural: 'workflows',
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: {
          generateName: `${PIPELINE}-${job}-`,
          labels: cron.spec.workflowMetadata?.labels ?? {},
        },
        spec: cron.spec.workflowSpec,
      },
    })) as { metadata: { name: string } };
    const name = created.metadata.name;
    return { name, status: await finished(name) };
  }

  /**
   * Runs `job` the way it runs in production: its schedule, set to every minute, fires in
   * Argo's cron controller (the operator writes the CronWorkflow from the pipeline's spec). The
   * schedule goes back to `restore` once the Workflow has started.
   */
  async function runScheduled(job: 'ingest', field: 'ingestion', restore: string) {
    const schedule = (value: string) =>
      custom.patchNamespacedCustomObject(
        {
          ...GROUP,
          plural: 'inquirypipelines',
          name: PIPELINE,
          body: { spec: { [field]: { schedule: value } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await schedule('* * * * *');
    let name: string;
    try {
      name = await eventually(
        `Argo's cron controller to start ${job} on its schedule`,
        async () =>
          (
            (await custom.listNamespacedCustomObject({
              ...ARGO,
              plural: 'workflows',
              labelSelector: `workflows.argoproj.io/cron-workflow=${PIPELINE}-${job}`,
            })) as { items: { metadata: { name: string } }[] }
          ).items[0]?.metadata.name,
        // The next minute, once the operator has applied the CronWorkflow.
        150_000,
      );
    } finally {
      await schedule(restore);
    }
    return { name, status: await finished(name) };
  }

  async function finished(name: string) {
    return eventually(
      `Workflow ${name} to finish`,
      async () => {
        const workflow = (await custom.getNamespacedCustomObject({
          ...ARGO,
          plural: 'workflows',
          name,
        })) as { status?: WorkflowStatus };
        return ['Succeeded', 'Failed', 'Error'].includes(workflow.status?.phase ?? '')
          ? workflow.status
          : undefined;
      },
      300_000,
    );
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
    mark(`operator: 2 replicas available, ${holder} leads`);
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
      // The test starts the classify and retrain jobs itself (as `argo submit --from cronwf/…`
      // does): schedules that do not fire while it runs. Ingestion runs once on its schedule.
      classification: { shards: 2, schedule: '15 1 * * *' },
      retraining: {
        schedule: '45 1 * * *',
        triggers: { minNewLabels: 100 },
        rollout: RETRAINED_ROLLOUT,
      },
      // Two cores for everything the node runs: requests sized for a developer's node.
      serving: {
        autoscaling: { enabled: false },
        resources: {
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '1', memory: '512Mi' },
        },
      },
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
    // A first model trained on shuffled labels (every head): what users' feedback will correct.
    const modelVersion = await registerModel(
      7,
      { strategy: 'Immediate' },
      { scramble: ['category', 'sentiment', 'urgency'] },
    );
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: modelVersion,
    });

    // Ready once the Deployment is Available (not before: operator-pipeline.test.ts).
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
      throw new Error(`${(error as Error).message}; ${await podReport()}`, { cause: error });
    });
    expect(ready.message).toContain(modelVersion.metadata.name);
    mark(`pipeline Ready: ${modelVersion.metadata.name} available`);
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
    mark('first answer to POST /api/v1/inquiries/submit, from a pod through cluster DNS');
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
    // What a user meets on a bad request, and a consultant resolving the first inquiry.
    const api = `http://${spec!.clusterIP}/api/v1/inquiries`;
    const invalid = await postJson(`${api}/submit`, { subject: '', sender_email: 'nobody' });
    expect(invalid.status).toBe(422);
    expect(JSON.stringify(invalid.body)).toMatch(/sender_email|body/);
    const resolved = await fetch(`${api}/${answer.body.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'resolved', resolved_by: 'qa' }),
    });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({ status: 'resolved', resolved_by: 'qa' });
  }, 600_000);

  it('runs the ingest job as an Argo Workflow on its schedule, storing what the source holds', async () => {
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
    const { name, status: ingested } = await runScheduled('ingest', 'ingestion', '30 1 * * *');
    expect(ingested).toMatchObject({ phase: 'Succeeded' });
    const after = Number(
      (await db.query<{ count: string }>('SELECT count(*) FROM inquiries')).rows[0]!.count,
    );
    expect(after - before).toBe(40);
    const lastRun = await eventually('status.lastRuns.ingestion', async () => {
      const run = (await readPipeline()).status?.lastRuns?.ingestion;
      return run?.name === name && run.phase === 'Succeeded' ? run : undefined;
    });
    expect(lastRun.phase).toBe('Succeeded');
    mark('ingest Workflow, started by its schedule, stored 40 inquiries from the ConfigMap volume');

    // The hourly classification, started now: its shards (pods) classify what ingestion stored.
    const classified = await runJob('classify');
    expect(classified.status).toMatchObject({ phase: 'Succeeded' });
    // One node per shard (`shard(i:i)`; its pod attempts hang below it as `shard(i:i)(n)`).
    const shards = Object.values(classified.status.nodes ?? {}).filter((node) =>
      /^shard\(\d+:\d+\)$/.test(node.displayName),
    );
    expect(shards.map((node) => node.phase)).toEqual(['Succeeded', 'Succeeded']);
    const unclassified = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM inquiries i
        WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.inquiry_id = i.id)`,
    );
    expect(Number(unclassified.rows[0]!.n)).toBe(0);
    mark('classify Workflow: 2 shard pods classified every stored inquiry');
  }, 600_000);
  const versionNames = async () =>
    (
      (await custom.listNamespacedCustomObject({ ...GROUP, plural: 'modelversions' })) as {
        items: { metadata: { name: string } }[];
      }
    ).items.map((item) => item.metadata.name);

  const readVersion = async (name: string) =>
    (await custom.getNamespacedCustomObject({ ...GROUP, plural: 'modelversions', name })) as {
      status?: {
        phase?: string;
        canaryWeight?: number;
        currentStep?: number;
        stepStartedAt?: string;
        conditions?: Condition[];
      };
    };

  /** The Service's API as the host reaches it (kube-proxy's rules for its cluster IP). */
  const serviceApi = async () => {
    const { spec } = await core.readNamespacedService({
      name: `${PIPELINE}-inference`,
      namespace: NAMESPACE,
    });
    return `http://${spec!.clusterIP}/api/v1/inquiries`;
  };

  /**
   * Users' traffic: `n` generated inquiries submitted through the Service, each reviewed with its
   * true labels (every head) through the feedback API. The answers' model versions, counted.
   */
  async function reviewedTraffic(seed: number, n: number): Promise<Map<string, number>> {
    const api = await serviceApi();
    const traffic = path.join(work, `traffic-${seed}.jsonl`);
    expect(
      (await runCli(['generate', '--n', String(n), '--seed', String(seed), '--out', traffic])).code,
    ).toBe(0);
    const lines = (await readFile(traffic, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    const versions = new Map<string, number>();
    for (const line of lines) {
      const submitted = await postJson(`${api}/submit`, {
        subject: line.subject,
        body: line.body,
        sender_email: line.sender_email,
      });
      expect(submitted.status).toBe(201);
      const answer = submitted.body as { id: string; model_version: string };
      versions.set(answer.model_version, (versions.get(answer.model_version) ?? 0) + 1);
      const feedback = await postJson(`${api}/${answer.id}/feedback`, {
        category: line.true_category,
        sentiment: line.true_sentiment,
        urgency: line.true_urgency,
        reviewer: 'qa',
      });
      expect(feedback.status).toBe(201);
    }
    return versions;
  }

  /** Waits until `name`'s first step is live: its own pods available and the routes carrying it. */
  async function firstStepLive(name: string) {
    await eventually(
      `${name}'s first step live`,
      async () => ((await readVersion(name)).status?.stepStartedAt ? true : undefined),
      300_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; ${await podReport()}`, { cause: error });
    });
  }

  /** The running inference pods, as [track, model version] pairs. */
  async function servingTracks() {
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
    return pods.items
      .filter(
        (pod) =>
          pod.metadata?.labels?.app === `${PIPELINE}-inference` &&
          pod.status?.phase === 'Running' &&
          !pod.metadata.deletionTimestamp,
      )
      .map((pod) => [
        pod.metadata?.labels?.['inquiries.mlops.io/track'],
        pod.metadata?.labels?.['inquiries.mlops.io/model-version'],
      ]);
  }

  /**
   * With `name`'s first step live on its own pods, sends reviewed traffic through the Service
   * (kube-proxy spreads it over stable and candidate pods; Istio's weights are not enforced
   * here) and runs the classify job, whose evaluate-online step logs each version's online
   * accuracy to MLflow for the operator's analysis. The rollout's final status.
   */
  async function analyseOnReviewedTraffic(name: string, seed: number) {
    const versions = await reviewedTraffic(seed, 120);
    expect(versions.size).toBe(2);
    mark(`${name}: 120 reviewed requests, answered by both versions`);
    const { status } = await runJob('classify');
    expect(status).toMatchObject({ phase: 'Succeeded' });
    mark(`${name}: classify job (evaluate-online) done`);
    const ended = await eventually(
      `${name}'s rollout to end`,
      async () => {
        const found = await readVersion(name);
        return ['Promoted', 'RolledBack', 'Failed'].includes(found.status?.phase ?? '')
          ? found.status
          : undefined;
      },
      300_000,
    );
    mark(`${name}: ${ended.phase}`);
    return ended;
  }

  const mlflow = new MlflowClient({ trackingUri: testbed.mlflowUrl });
  const aliased = async (alias: string) =>
    (await mlflow.versionByAlias(`${PIPELINE}-classifier`, alias))?.version;

  it('retrains from the feedback users give: the model its Workflow registers is canaried on real pods and promoted, surviving the loss of the leader', async () => {
    const first = (await readPipeline()).status?.conditions?.find((c) => c.type === 'Ready');
    const before = await versionNames();
    // Reviewed traffic: the feedback should-retrain counts and train --from-db learns from.
    await reviewedTraffic(31, 300);
    mark('300 reviewed requests on the first model');
    const retrain = await runJob('retrain');
    expect(retrain.status).toMatchObject({ phase: 'Succeeded' });
    const nodes = Object.values(retrain.status.nodes ?? {});
    const decisions = nodes
      .filter((node) => node.displayName.startsWith('should-retrain'))
      .flatMap((node) => node.outputs?.parameters ?? [])
      .filter((parameter) => parameter.name === 'decision');
    expect(decisions.map((parameter) => parameter.value)).toContain('retrain');
    expect(nodes.find((node) => node.displayName === 'train-evaluate-register')?.phase).toBe(
      'Succeeded',
    );
    mark('retrain Workflow: decided, trained, beat the champion, registered');

    // The ModelVersion the register step created from its pod, with the pipeline's rollout.
    const created = await eventually('the ModelVersion the retrain Workflow created', async () => {
      const fresh = (await versionNames()).filter((name) => !before.includes(name));
      return fresh.length === 1 ? fresh[0] : undefined;
    });
    const candidate = (await custom.getNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      name: created,
    })) as { spec: { rollout: unknown; model: { version: string } } };
    expect(candidate.spec.rollout).toEqual(RETRAINED_ROLLOUT);
    expect(await aliased('challenger')).toBe(candidate.spec.model.version);
    // Trained with the off-topic text the pipeline's image carries (retraining.outOfScopeExamples
    // defaults to builtin), as its MLflow run records.
    const challenger = await mlflow.versionByAlias(`${PIPELINE}-classifier`, 'challenger');
    const trainedWith = (await mlflow.getRun(challenger!.run_id!)).data.params ?? [];
    expect(trainedWith.find((param) => param.key === 'outlierExamples')?.value).toMatch(
      /^category: [1-9]\d*$/,
    );

    await firstStepLive(created);
    mark(`${created}: first step (20 %) live on its own pod`);
    const tracks = await servingTracks();
    expect(tracks.filter(([track]) => track === 'canary')).toEqual([['canary', created]]);
    expect(tracks.filter(([track]) => track === 'stable')).toHaveLength(2);

    // The leader is deleted in the middle of the step: the other replica takes the Lease and
    // the rollout goes on from its status, at the same step.
    const lease = () =>
      coordination.readNamespacedLease({ name: 'inquiry-operator', namespace: SYSTEM });
    const leader = (await lease()).spec!.holderIdentity!;
    const step = (await readVersion(created)).status?.currentStep;
    await core.deleteNamespacedPod({ name: leader, namespace: SYSTEM });
    const successor = await eventually(
      'another operator replica holding the Lease',
      async () => {
        const holder = (await lease()).spec?.holderIdentity;
        return holder && holder !== leader ? holder : undefined;
      },
      120_000,
    );
    mark(`leader ${leader} deleted; ${successor} holds the Lease`);
    expect((await readVersion(created)).status?.currentStep).toBe(step);

    const ended = await analyseOnReviewedTraffic(created, 32);
    expect(ended.phase).toBe('Promoted');
    expect(await aliased('champion')).toBe(candidate.spec.model.version);
    // Nothing done twice by the two leaders: one start, one canary Deployment, sized for the
    // last step's share (80 % of 2 stable replicas).
    const events = await core.listNamespacedEvent({
      namespace: NAMESPACE,
      fieldSelector: `involvedObject.name=${created}`,
    });
    const started = events.items.filter((event) => event.reason === 'CanaryStarted');
    expect(started.reduce((sum, event) => sum + (event.count ?? 1), 0)).toBe(1);
    const canaries = await apps.listNamespacedDeployment({
      namespace: NAMESPACE,
      labelSelector: 'inquiries.mlops.io/track=canary',
    });
    expect(canaries.items.map((d) => [d.metadata?.name, d.spec?.replicas])).toEqual([
      [`${PIPELINE}-inference-${created}`, 2],
    ]);

    const ready = await eventually(
      'the pipeline serving the candidate',
      async () => {
        const condition = (await readPipeline()).status?.conditions?.find(
          (c) => c.type === 'Ready',
        );
        return condition?.status === 'True' && condition.message?.includes(created)
          ? condition
          : undefined;
      },
      300_000,
    );
    expect(ready.reason).toBe('Reconciled');
    expect(ready.message).not.toBe(first?.message);
    mark(`pipeline Ready, serving ${created}`);
    // After its scale-down delay the canary Deployment goes; the stable one serves the model.
    await eventually(
      'the canary Deployment removed after the scale-down delay',
      async () =>
        (
          await apps.listNamespacedDeployment({
            namespace: NAMESPACE,
            labelSelector: 'inquiries.mlops.io/track=canary',
          })
        ).items.length === 0
          ? true
          : undefined,
      120_000,
    );
    mark('canary Deployment retired after its scale-down delay');
    const retired = await core.listNamespacedEvent({
      namespace: NAMESPACE,
      fieldSelector: `involvedObject.name=${created}`,
    });
    expect(retired.items.map((event) => event.reason)).toContain('CanaryRetired');
  }, 1_200_000);

  it('rolls back a bad model on the same evidence: the failing metric in status and an Event, champion untouched', async () => {
    const before = await aliased('champion');
    // Shuffled labels on every head: the online accuracy (over the reviewed heads) falls.
    const candidate = await registerModel(9, CANARY_ON_ONLINE_ACCURACY, {
      scramble: ['category', 'sentiment', 'urgency'],
    });
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'modelversions',
      body: candidate,
    });
    await firstStepLive(candidate.metadata.name);
    const ended = await analyseOnReviewedTraffic(candidate.metadata.name, 22);
    expect(ended.phase).toBe('RolledBack');
    const reason = ended.conditions?.map((c) => c.message ?? '').join(' ') ?? '';
    expect(reason).toMatch(/online-accuracy .* is below the minimum 0\.5/);
    expect(await aliased('champion')).toBe(before);
    const events = await core.listNamespacedEvent({
      namespace: NAMESPACE,
      fieldSelector: `involvedObject.name=${candidate.metadata.name}`,
    });
    expect(events.items.map((event) => event.reason)).toContain('RolledBack');
  }, 900_000);

  it("shows the loop on every dashboard panel, from the platform's own pods, and every rule evaluates", async () => {
    // The loop's last event (the rollback) scraped, then long enough for a range query's last
    // step (aligned to the step, up to STEP_SECONDS before the end) to hold two of its samples:
    // increase() needs two, and the counter's series begins at the rollback.
    await eventually(
      'Prometheus to have scraped the rollback',
      async () =>
        (await prometheus!.api.query('sum(inquiry_operator_rollbacks_total) > 0')).length > 0
          ? true
          : undefined,
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, (STEP_SECONDS + 2 * SCRAPE_SECONDS) * 1000));
    const end = Math.floor(Date.now() / 1000);
    const reports = await checkDashboardData(
      prometheus!.api,
      loadDashboards().map((d) => d.dashboard),
      {
        start: Math.floor(began / 1000),
        end,
        stepSeconds: STEP_SECONDS,
        scrapeIntervalSeconds: SCRAPE_SECONDS,
      },
    );
    console.log(formatDashboardReport(reports));
    const { errors, empty, expected } = dashboardFindings(reports, EMPTY_ON_THE_NODE);
    expect(errors).toEqual([]);
    expect(empty).toEqual(expected);
    const rules = await checkRuleExpressions(prometheus!.api, loadRuleExpressions());
    expect(rules.filter((r) => r.error).map((r) => `${r.rule.name}: ${r.error}`)).toEqual([]);
    mark('dashboards: every panel with data; every rule evaluates');
  }, 300_000);

  /** Waits until `alertname` fires (Prometheus' alerts API) with `labels` among its own. */
  const firing = (alertname: string, labels: Record<string, string>, timeoutMs = 180_000) =>
    eventually(
      `${alertname} ${JSON.stringify(labels)} to fire`,
      async () =>
        (await prometheus!.api.alerts()).find(
          (alert) =>
            alert.labels.alertname === alertname &&
            alert.state === 'firing' &&
            Object.entries(labels).every(([name, value]) => alert.labels[name] === value),
        ),
      timeoutMs,
    );

  /** Until `alertname` is no longer active for the pipeline. */
  const ended = (alertname: string) =>
    eventually(
      `${alertname} to end`,
      async () =>
        (await prometheus!.api.alerts()).some(
          (alert) => alert.labels.alertname === alertname && alert.labels.pipeline === PIPELINE,
        )
          ? undefined
          : true,
      180_000,
    );

  const stablePods = async () =>
    (
      await core.listNamespacedPod({
        namespace: NAMESPACE,
        labelSelector: `app=${PIPELINE}-inference,inquiries.mlops.io/track=stable`,
      })
    ).items.filter((pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp);

  const readyAgain = async (what: string) => {
    await eventually(
      `the pipeline Ready again after ${what}`,
      async () =>
        (await readPipeline()).status?.conditions?.some(
          (c) => c.type === 'Ready' && c.status === 'True',
        )
          ? true
          : undefined,
      240_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; ${await podReport()}`, { cause: error });
    });
    const answer = await postJson(`${await serviceApi()}/submit`, {
      subject: 'Back again?',
      body: `Checking the service answers after ${what}.`,
      sender_email: 'ops@example.com',
    });
    expect(answer.status).toBe(201);
  };

  it('fires the error-rate and unavailable alerts while the database refuses connections, and serves again once it is back', async () => {
    const admin = new pg.Client({ connectionString: testbed.databaseUrl });
    await admin.connect();
    const name = admin.escapeIdentifier(new URL(database.url).pathname.slice(1));
    const pods = await stablePods();
    expect(pods.length).toBeGreaterThan(0);
    const statuses = new Map<number, number>();
    let stop = false;
    try {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [new URL(database.url).pathname.slice(1)],
      );
      mark('fault: the database refuses connections');
      // Users keep submitting, straight to the pods: once their readiness fails the Service
      // has no endpoint left to refuse them with a status.
      const load = (async () => {
        for (let i = 0; !stop; i++) {
          for (const pod of pods) {
            const answer = await postJson(
              `http://${pod.status!.podIP}:8080/api/v1/inquiries/submit`,
              {
                subject: 'Refund',
                body: `Charged twice for order ${i}, please refund.`,
                sender_email: 'client@example.com',
              },
            ).catch(() => undefined);
            if (answer) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      try {
        const errors = await firing('InquiryHttpErrorRateHigh', {
          namespace: NAMESPACE,
          pipeline: PIPELINE,
          severity: 'critical',
        });
        mark('InquiryHttpErrorRateHigh firing');
        // Readiness checks the database: no pod is available, and the operator says so.
        const unavailable = await firing('InquiryInferenceUnavailable', {
          namespace: NAMESPACE,
          pipeline: PIPELINE,
          severity: 'critical',
        });
        mark('InquiryInferenceUnavailable firing');
        expect(errors.annotations.runbook).toContain(`kubectl -n ${NAMESPACE}`);
        expect(unavailable.annotations.description).toContain(`${NAMESPACE}/${PIPELINE}`);
      } finally {
        stop = true;
        await load;
      }
      // A database outage is a 503 with Retry-After for every submit, never a crash or a 500.
      expect([...statuses.keys()]).toEqual([503]);
    } finally {
      await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    mark('database back');
    await readyAgain('the database outage');
    await ended('InquiryInferenceUnavailable');
    mark('pipeline Ready again; InquiryInferenceUnavailable ended');
  }, 600_000);

  it('fires the server-down alert for a hung server, whose target answers again once it resumes', async () => {
    const [pod] = await stablePods();
    const podName = pod!.metadata!.name!;
    const pids = await serverProcesses(pod!.metadata!.uid!);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    mark(`fault: ${podName}'s server stopped (SIGSTOP)`);
    try {
      const down = await firing('InquiryInferenceServerDown', {
        namespace: NAMESPACE,
        pipeline: PIPELINE,
        pod: podName,
      });
      expect(down.labels.subset).toBe('stable');
      mark('InquiryInferenceServerDown firing');
    } finally {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // The kubelet's liveness probe restarted the container meanwhile.
        }
      }
    }
    await eventually(
      `${podName}'s target up again`,
      async () =>
        (await prometheus!.api.query(`up{pod="${podName}"} == 1`)).length > 0 ? true : undefined,
      180_000,
    );
    await readyAgain('the hung server');
    await ended('InquiryInferenceServerDown');
    mark(`${podName} answers again; InquiryInferenceServerDown ended`);
  }, 600_000);

  it('fires the unavailable alert when the inference pods are deleted and cannot come back, with no scrape target left to be down', async () => {
    // A namespace out of pod quota: the ReplicaSet cannot replace what is deleted.
    await core.createNamespacedResourceQuota({
      namespace: NAMESPACE,
      body: { metadata: { name: 'no-pods' }, spec: { hard: { pods: '0' } } },
    });
    try {
      for (const pod of await stablePods())
        await core.deleteNamespacedPod({
          namespace: NAMESPACE,
          name: pod.metadata!.name!,
          gracePeriodSeconds: 0,
        });
      mark('fault: inference pods deleted, none can be created');
      await firing('InquiryInferenceUnavailable', {
        namespace: NAMESPACE,
        pipeline: PIPELINE,
        severity: 'critical',
      });
      mark('InquiryInferenceUnavailable firing');
      // What InquiryInferenceServerDown cannot see: the targets go with the pods (once
      // discovery has seen them go; a scrape in between may still say 0).
      await eventually(
        'no scrape target left for the deleted pods',
        async () =>
          (await prometheus!.api.query(`up{namespace="${NAMESPACE}",subset="stable"}`)).length === 0
            ? true
            : undefined,
        60_000,
      );
    } finally {
      await core.deleteNamespacedResourceQuota({ namespace: NAMESPACE, name: 'no-pods' });
    }
    await readyAgain('the deleted pods');
    await ended('InquiryInferenceUnavailable');
    mark('pods back; InquiryInferenceUnavailable ended');
  }, 600_000);
});

/**
 * The host's processes of a pod's inference server (the node runs here): those in the pod's
 * cgroup (cgroupfs or systemd naming of its UID) running the server's entry point.
 */
async function serverProcesses(podUid: string): Promise<number[]> {
  const uid = [podUid, podUid.replace(/-/g, '_')];
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cgroup = await readFile(`/proc/${entry}/cgroup`, 'utf8');
      if (!uid.some((id) => cgroup.includes(id))) continue;
      const command = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ');
      if (command.includes('inference-server/src/main.js')) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}
