/**
 * The dashboards and alerts against a real Prometheus (the test bed's) scraping a real inference
 * server process and a real operator process on the host. The chart's PodMonitor and
 * ServiceMonitor, rendered by helm and translated to the scrape jobs the Prometheus Operator
 * would generate, scrape them as the pods they stand for (the inference pod the operator builds,
 * the operator pod and Service the chart renders), with the targets Kubernetes discovery would
 * give them; the chart's rules loaded. The operator reconciles a pipeline on the test bed's API
 * server, promotes a first ModelVersion, holds a candidate (no node: no pod becomes available)
 * and rolls it back on a manual abort. After submits, classifications, feedback, status changes, a refused policy reload
 * and a child deleted behind the operator's back, every panel returns series except those listed
 * with their reason. Every rule evaluates without error; the error-rate, server-down and
 * operator-down alerts become active when the database is dropped and the processes killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { inquiryText } from '../../lib/model/runtime.js';
import {
  endpointsDiscoveryTargets,
  monitorsIn,
  podDiscoveryTargets,
  prometheusConfig,
  scrapeConfigsFor,
  withStaticTargets,
  type DiscoveredPod,
  type DiscoveredService,
  type Monitor,
} from '../../monitoring/scrape-config.js';
import { withDefaults } from '../../operator/src/builders/defaults.js';
import { buildInferenceDeployment } from '../../operator/src/builders/serving.js';
import { generateInquiries } from '../../pipelines/src/generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../../pipelines/src/train/train.js';
import { freePorts } from '../../scripts/testbed/processes.js';
import {
  startPrometheus,
  waitForTargetsUp,
  type PrometheusServer,
} from '../../scripts/testbed/prometheus.js';
import { modelVersionObject, OWNER, pipelineObject, quickCanary } from '../fixtures.js';
import {
  checkDashboardData,
  checkRuleExpressions,
  dashboardFindings,
  formatDashboardReport,
  loadDashboards,
  loadRuleExpressions,
  loadRuleFiles,
  renderChart,
  type DashboardReport,
} from './dashboards-live.js';
import {
  createTestDatabase,
  deleteNamespaces,
  eventually,
  installPlatformCrds,
  registerModelWithAccuracy,
  testbed,
} from './testbed.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RELEASE = 'inquiry-platform';
const SCRAPE_SECONDS = 1;
const STEP_SECONDS = 2;
/** The chart's release and the pipeline share one namespace. */
const NAMESPACE = 'dashboards';
const RELEASE_NAMESPACE = NAMESPACE;
const PIPELINE = OWNER.metadata.name;
const GROUP = { group: 'inquiries.mlops.io', version: 'v1alpha1', namespace: NAMESPACE };

/**
 * Panels that cannot have data here, and why. The node's live test provokes them: Argo runs the
 * pipeline's jobs there, and a candidate whose pod becomes available gets analysed.
 */
const NO_ARGO = 'no Argo Workflow runs without the node: the operator reports no job run';
const NO_ANALYSIS =
  'no candidate pod becomes available without the node: no step is reached, no analysis runs';
const EXPECTED_EMPTY: Record<string, Record<string, string>> = {
  'inquiry-canary': {
    'Analysis results': NO_ANALYSIS,
    'Verdicts in the range': NO_ANALYSIS,
  },
  'inquiry-model-performance': {},
  'inquiry-pipeline-overview': {
    'Job runs': NO_ARGO,
    'Job runs in the range': NO_ARGO,
    'Time since last success': NO_ARGO,
  },
  'inquiry-system-health': {},
};

interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
}

/**
 * `main` (a TypeScript entry point) as a process listening on `host`, ready once its `ready`
 * path answers 200; killed when it is not ready in 90 s.
 */
async function startProcess(
  main: string,
  host: string,
  ready: string,
  env: (port: number) => Record<string, string>,
): Promise<ServerProcess> {
  const [port] = await freePorts(1);
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env(port!) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://${host}:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${main} exited at start:\n${output}`);
    const status = await fetch(`${url}${ready}`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${main} was not ready on ${url} in 90 s:\n${output}`);
    }
    await sleep(250);
  }
  return { url, port: port!, child, output: () => output };
}

async function call(
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
  };
}

/**
 * An address of this machine other than loopback, where the operator listens: the API server
 * refuses loopback addresses in Endpoints.
 */
function hostAddress(): string {
  const address = Object.values(networkInterfaces())
    .flat()
    .find((a) => a?.family === 'IPv4' && !a.internal);
  if (!address) throw new Error('this machine has no IPv4 address other than loopback');
  return address.address;
}

describe('dashboards and alerts on a live Prometheus', () => {
  const host = hostAddress();
  const kc = testbed.kubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const owner = { ...OWNER, metadata: { ...OWNER.metadata, namespace: NAMESPACE } };
  const inferencePod = `${PIPELINE}-inference-7d9f-abcde`;
  const operatorPod = `${RELEASE}-operator-5c8d-fghij`;
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: ServerProcess;
  let operator: ServerProcess;
  let prometheus: PrometheusServer;
  let policyFile: string;
  let jobs: { inference: string; operator: string };
  let operatorMonitor: Monitor;
  let operatorService: DiscoveredService;
  let operatorTemplate: k8s.V1PodTemplateSpec;

  const readModelVersion = async (name: string) =>
    (await custom.getNamespacedCustomObject({ ...GROUP, plural: 'modelversions', name })) as {
      status?: { phase?: string };
    };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dashboards-'));
    database = await createTestDatabase('dashboards');
    const data = generateInquiries({ n: 600, seed: 5 }).map((g) => ({
      text: inquiryText(g),
      labels: { category: g.category, sentiment: g.sentiment, urgency: g.urgency },
    }));
    const bundle = path.join(dir, 'bundle');
    await writeBundle(
      bundle,
      trainModel(data, { ...DEFAULT_TRAIN_OPTIONS, seed: 5, dim: 16, buckets: 4096 }),
    );
    policyFile = path.join(dir, 'routing_rules.yaml');
    await copyFile(path.join(ROOT, 'config/routing_rules.yaml'), policyFile);
    server = await startProcess('inference-server/src/main.ts', '127.0.0.1', '/readyz', (port) => ({
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: database.url,
      MODEL_DIR: bundle,
      ROUTING_POLICY_FILE: policyFile,
    }));

    await installPlatformCrds();
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespace({ body: { metadata: { name: NAMESPACE } } });
    // The operator as the chart runs it (leader election on), watching the test's namespace.
    operator = await startProcess('operator/src/main.ts', host, '/readyz', (port) => ({
      KUBECONFIG: testbed.kubeconfig,
      OPERATOR_HOST: host,
      OPERATOR_PORT: String(port),
      WATCH_NAMESPACE: NAMESPACE,
      LEADER_ELECTION: 'true',
      POD_NAMESPACE: NAMESPACE,
      POD_NAME: operatorPod,
    }));

    // The chart scraping the pods directly: the test bed has no Istio sidecar to merge metrics.
    const rendered = await renderChart(testbed.helm, RELEASE, RELEASE_NAMESPACE, [
      'monitoring.podMonitor.istioMetricsMerging=false',
      `monitoring.podMonitor.interval=${SCRAPE_SECONDS}s`,
      `monitoring.serviceMonitor.interval=${SCRAPE_SECONDS}s`,
    ]);
    const monitors = monitorsIn(rendered);
    const [inference] = scrapeConfigsFor(monitors.filter((m) => m.kind === 'PodMonitor'));
    operatorMonitor = monitors.find((m) => m.kind === 'ServiceMonitor')!;
    const [operatorJob] = scrapeConfigsFor([operatorMonitor]);
    jobs = { inference: inference!.job_name, operator: operatorJob!.job_name };

    // The pod the operator creates for the pipeline's stable version, served by the process here.
    const template = buildInferenceDeployment(
      owner,
      withDefaults({
        databaseSecretRef: { name: 'db' },
        mlflow: { trackingUri: 'http://mlflow:5000' },
      }),
      {
        name: `${PIPELINE}-v1`,
        artifactUri: 'mlflow-artifacts:/1/r/artifacts/bundle',
        subset: 'stable',
      },
    ).spec!.template;
    const podOf = (
      name: string,
      namespace: string,
      spec: k8s.V1PodTemplateSpec,
      labels: Record<string, string>,
      port: number,
      podIP = '127.0.0.1',
    ): DiscoveredPod => ({
      metadata: { name, namespace, labels, annotations: spec.metadata?.annotations ?? {} },
      spec: {
        containers: spec.spec!.containers.map((container) => ({
          name: container.name,
          ports: (container.ports ?? []).map((p) => ({ ...p, containerPort: port })),
        })),
      },
      status: { podIP, phase: 'Running', ready: true },
    });
    const pod = podOf(inferencePod, NAMESPACE, template, template.metadata!.labels!, server.port);
    // A pod the PodMonitor must not select (no track label).
    const other = podOf('other-7d9f-abcde', NAMESPACE, template, { app: 'other' }, server.port);

    // The operator pod and metrics Service as the chart renders them, served by the process here.
    const byKind = (kind: string, name: string) =>
      rendered.find(
        (o) =>
          (o as { kind?: string }).kind === kind &&
          (o as { metadata?: { name?: string } }).metadata?.name === name,
      );
    operatorService = byKind('Service', `${RELEASE}-operator-metrics`) as DiscoveredService;
    operatorTemplate = (byKind('Deployment', `${RELEASE}-operator`) as k8s.V1Deployment).spec!
      .template;
    const operatorTarget = endpointsDiscoveryTargets(
      operatorService,
      podOf(
        operatorPod,
        RELEASE_NAMESPACE,
        operatorTemplate,
        operatorTemplate.metadata!.labels!,
        operator.port,
        host,
      ),
    );
    const config = prometheusConfig({
      scrapeConfigs: [
        withStaticTargets(inference!, [...podDiscoveryTargets(pod), ...podDiscoveryTargets(other)]),
        withStaticTargets(operatorJob!, operatorTarget),
      ],
      scrapeInterval: `${SCRAPE_SECONDS}s`,
      evaluationInterval: `${SCRAPE_SECONDS}s`,
    });
    prometheus = await startPrometheus(
      testbed.prometheus,
      path.join(dir, 'prometheus'),
      config,
      loadRuleFiles(),
    );
    await waitForTargetsUp(prometheus.api, [jobs.inference, jobs.operator]);
  }, 300_000);

  afterAll(async () => {
    await prometheus?.stop();
    for (const started of [server, operator]) {
      if (started?.child.exitCode === null) started.child.kill('SIGKILL');
    }
    await deleteNamespaces(kc, [NAMESPACE], { operatorStopped: true });
    await database?.drop().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 240_000);

  it("scrapes the inference and operator pods with the labels the chart's monitors give, and only them", async () => {
    const { activeTargets, droppedTargets } = await prometheus.api.targets();
    const labelsOf = (job: string) =>
      activeTargets.filter((t) => t.scrapePool === job).map((t) => t.labels);
    expect(labelsOf(jobs.inference)).toEqual([
      {
        namespace: NAMESPACE,
        pod: inferencePod,
        container: 'inference',
        endpoint: 'http',
        job: `${RELEASE_NAMESPACE}/${RELEASE}-inference`,
        pipeline: PIPELINE,
        subset: 'stable',
        modelversion: `${PIPELINE}-v1`,
        instance: `127.0.0.1:${server.port}`,
      },
    ]);
    expect(labelsOf(jobs.operator)).toEqual([
      {
        namespace: RELEASE_NAMESPACE,
        pod: operatorPod,
        container: 'operator',
        service: `${RELEASE}-operator-metrics`,
        endpoint: 'metrics',
        job: `${RELEASE}-operator-metrics`,
        instance: `${host}:${operator.port}`,
      },
    ]);
    expect(droppedTargets.map((t) => t.discoveredLabels.__meta_kubernetes_pod_name)).toEqual([
      'other-7d9f-abcde',
    ]);
  });

  it("finds the operator through the API server as the chart's ServiceMonitor says (Kubernetes discovery from the host)", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    // Without a node no pod runs: the operator's Pod object (bound to a node that does not
    // exist), a Service with the chart's labels and Endpoints at the operator process here, as
    // the endpoints controller writes them for a running pod.
    const pod = `${RELEASE}-operator-discovered`;
    const service = operatorService.metadata.name;
    await eventually('the Pod object', async () =>
      core.createNamespacedPod({
        namespace: NAMESPACE,
        body: {
          metadata: { name: pod, labels: operatorTemplate.metadata!.labels! },
          spec: {
            nodeName: 'no-such-node',
            containers: [
              {
                name: 'operator',
                image: 'inquiry-platform:dashboards-test',
                ports: [{ name: 'metrics', containerPort: operator.port }],
              },
            ],
          },
        },
      }),
    );
    await core.createNamespacedService({
      namespace: NAMESPACE,
      body: {
        metadata: { name: service, labels: operatorService.metadata.labels },
        spec: { ports: [{ name: 'metrics', port: 8081, targetPort: 'metrics' }] },
      },
    });
    await core.createNamespacedEndpoints({
      namespace: NAMESPACE,
      body: {
        metadata: { name: service, labels: operatorService.metadata.labels },
        subsets: [
          {
            addresses: [{ ip: host, targetRef: { kind: 'Pod', name: pod, namespace: NAMESPACE } }],
            ports: [{ name: 'metrics', port: operator.port }],
          },
        ],
      },
    });
    const [discovered] = scrapeConfigsFor([operatorMonitor], {
      kubernetesSd: { kubeconfig_file: testbed.kubeconfig },
    });
    const sd = await startPrometheus(
      testbed.prometheus,
      path.join(dir, 'prometheus-sd'),
      prometheusConfig({ scrapeConfigs: [discovered!], scrapeInterval: `${SCRAPE_SECONDS}s` }),
    );
    try {
      const [target] = await waitForTargetsUp(sd.api, [discovered!.job_name]);
      expect(target!.labels).toEqual({
        namespace: NAMESPACE,
        pod,
        container: 'operator',
        service,
        endpoint: 'metrics',
        job: service,
        instance: `${host}:${operator.port}`,
      });
      const leader = await eventually('the leader gauge scraped', async () => {
        const [series] = await sd.api.query('inquiry_operator_leader');
        return series;
      });
      expect(leader.value?.[1]).toBe('1');
    } finally {
      await sd.stop();
    }
  });

  let reports: DashboardReport[];

  it('shows data on every panel but those listed, after a realistic load', async () => {
    const start = Math.floor(Date.now() / 1000) - 5;
    const api = `${server.url}/api/v1/inquiries`;
    const inquiries = generateInquiries({ n: 40, seed: 11 });
    const ids: string[] = [];
    for (const [i, g] of inquiries.entries()) {
      // Every fourth mentions a lawsuit: the policy escalates it.
      const body = i % 4 === 0 ? `${g.body} Otherwise we will file a lawsuit.` : g.body;
      const submitted = await call(
        `${api}/submit`,
        'POST',
        { subject: g.subject, body, sender_email: g.sender_email },
        { 'idempotency-key': `dashboards-${i}` },
      );
      expect(submitted.status).toBe(201);
      ids.push(String(submitted.body.id));
    }
    expect((await call(`${api}/submit`, 'POST', { subject: 'no body' })).status).toBe(422);
    for (const g of inquiries.slice(0, 10)) {
      expect(
        (await call(`${api}/classify`, 'POST', { subject: g.subject, body: g.body })).status,
      ).toBe(200);
    }
    for (const [i, id] of ids.slice(0, 12).entries()) {
      const feedback = await call(`${api}/${id}/feedback`, 'POST', {
        category: inquiries[i]!.category,
        reviewer: 'qa',
      });
      expect(feedback.status).toBe(201);
    }
    for (const id of ids.slice(0, 6)) {
      const resolved = await call(`${api}/${id}`, 'PATCH', {
        status: 'resolved',
        resolved_by: 'agent-1',
      });
      expect(resolved.status).toBe(200);
    }
    // A policy edit the server refuses (it keeps the old policy), then the file restored.
    await writeFile(policyFile, 'departments: [not, a, mapping\n');
    await eventually('the refused policy reload', async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return /inquiry_policy_reloads_total\{result="failure"\} [1-9]/.test(text) ? true : undefined;
    });
    await copyFile(path.join(ROOT, 'config/routing_rules.yaml'), policyFile);
    expect((await call(`${server.url}/admin/model/reload`, 'POST', {})).status).toBeLessThan(500);

    // The operator: a pipeline, its first model promoted, a candidate held (no pod becomes
    // available without a node), a child deleted behind its back and restored.
    const mlflow = new MlflowClient({ trackingUri: testbed.mlflowUrl });
    const modelName = `dashboards-${Date.now()}`;
    await custom.createNamespacedCustomObject({
      ...GROUP,
      plural: 'inquirypipelines',
      body: pipelineObject(PIPELINE, { mlflow: { trackingUri: testbed.mlflowUrl } }),
    });
    const modelVersion = async (name: string, accuracy: number): Promise<void> => {
      await custom.createNamespacedCustomObject({
        ...GROUP,
        plural: 'modelversions',
        body: modelVersionObject(name, {
          pipeline: PIPELINE,
          model: {
            name: modelName,
            version: await registerModelWithAccuracy(mlflow, modelName, accuracy),
          },
          rollout: quickCanary([{ weight: 50, pause: '1s' }]),
        }),
      });
    };
    await modelVersion(`${PIPELINE}-v1`, 0.9);
    await eventually('the first model to be promoted', async () =>
      (await readModelVersion(`${PIPELINE}-v1`)).status?.phase === 'Promoted' ? true : undefined,
    );
    await modelVersion(`${PIPELINE}-v2`, 0.92);
    await eventually('the candidate to be taken up', async () =>
      (await readModelVersion(`${PIPELINE}-v2`)).status?.phase ? true : undefined,
    );
    // The held candidate aborted by hand (the runbook's override): rolled back.
    await custom.patchNamespacedCustomObject(
      {
        ...GROUP,
        plural: 'modelversions',
        name: `${PIPELINE}-v2`,
        body: { metadata: { annotations: { 'inquiries.mlops.io/control': 'abort' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await eventually('the aborted candidate to be rolled back', async () =>
      (await readModelVersion(`${PIPELINE}-v2`)).status?.phase === 'RolledBack' ? true : undefined,
    );
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const service = `${PIPELINE}-inference`;
    await eventually('the pipeline Service', async () =>
      (await core.readNamespacedService({ name: service, namespace: NAMESPACE }))
        ? true
        : undefined,
    );
    await core.deleteNamespacedService({ name: service, namespace: NAMESPACE });
    await eventually('the operator to restore the deleted Service', async () => {
      const [restored] = await prometheus.api.query(
        'sum(inquiry_operator_child_changes_total{verb="delete"})',
      );
      return Number(restored?.value?.[1]) >= 1 ? true : undefined;
    });

    // Scraped after the load, and the recording rules evaluated on it.
    await eventually('Prometheus to have scraped the load', async () => {
      const [stored] = await prometheus.api.query(
        'sum(inquiry_submissions_total{outcome="stored"})',
      );
      const [ratio] = await prometheus.api.query(
        'namespace_pipeline:inquiry_http_errors:ratio_rate5m',
      );
      return Number(stored?.value?.[1]) === inquiries.length && ratio ? true : undefined;
    });
    await sleep(4 * SCRAPE_SECONDS * 1000);
    const end = Math.floor(Date.now() / 1000);

    reports = await checkDashboardData(
      prometheus.api,
      loadDashboards().map((d) => d.dashboard),
      { start, end, stepSeconds: STEP_SECONDS, scrapeIntervalSeconds: SCRAPE_SECONDS },
    );
    console.log(formatDashboardReport(reports));
    const { errors, empty, expected } = dashboardFindings(reports, EXPECTED_EMPTY);
    expect(errors).toEqual([]);
    expect(empty).toEqual(expected);
  });

  it('evaluates every recording and alert rule without error', async () => {
    const outcomes = await checkRuleExpressions(prometheus.api, loadRuleExpressions());
    expect(outcomes.filter((o) => o.error).map((o) => `${o.rule.name}: ${o.error}`)).toEqual([]);
    const rules = await prometheus.api.rules();
    expect(rules.length).toBe(outcomes.length);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual(
      [],
    );
  });

  it('raises the error-rate alert when the database goes away, the down alerts when the server and operator do', async () => {
    await database.drop();
    const api = `${server.url}/api/v1/inquiries`;
    const failing = await eventually(
      'submits to fail with a 5xx',
      async () => {
        const { status } = await call(`${api}/submit`, 'POST', {
          subject: 'x',
          body: 'Refund please, charged twice.',
          sender_email: 'a@example.com',
        });
        return status >= 500 ? status : undefined;
      },
      30_000,
    );
    expect(failing).toBeGreaterThanOrEqual(500);
    const load = (async () => {
      for (let i = 0; i < 40; i++) {
        await call(`${api}/submit`, 'POST', {
          subject: 'x',
          body: `Refund please ${i}.`,
          sender_email: 'a@example.com',
        });
        await sleep(100);
      }
    })();
    // `for: 5m` keeps it pending in a test this short: active is what the expression decides.
    const errorAlert = await eventually(
      'InquiryHttpErrorRateHigh to be active',
      async () =>
        (await prometheus.api.alerts()).find(
          (a) => a.labels.alertname === 'InquiryHttpErrorRateHigh',
        ),
      60_000,
    );
    await load;
    expect(errorAlert.labels).toMatchObject({
      namespace: NAMESPACE,
      pipeline: PIPELINE,
      severity: 'critical',
    });

    server.child.kill('SIGKILL');
    const downAlert = await eventually(
      'InquiryInferenceServerDown to be active',
      async () =>
        (await prometheus.api.alerts()).find(
          (a) => a.labels.alertname === 'InquiryInferenceServerDown',
        ),
      60_000,
    );
    expect(downAlert.labels).toMatchObject({
      namespace: NAMESPACE,
      pod: inferencePod,
    });
    expect(['pending', 'firing']).toContain(downAlert.state);

    operator.child.kill('SIGKILL');
    const operatorDown = await eventually(
      'InquiryOperatorDown to be active',
      async () =>
        (await prometheus.api.alerts()).find((a) => a.labels.alertname === 'InquiryOperatorDown'),
      60_000,
    );
    expect(operatorDown.labels).toMatchObject({
      job: `${RELEASE}-operator-metrics`,
      pod: operatorPod,
    });
  });
});
