/**
 * The dashboards and alerts against a real Prometheus (the test bed's) scraping a real inference
 * server process on the host: the chart's PodMonitor, rendered by helm and translated to the
 * scrape job the Prometheus Operator would generate, scrapes the server as the pod the operator
 * builds (its labels and port, with the targets Kubernetes pod discovery would give it), the
 * chart's rules loaded. After submits, classifications, feedback, status changes and a refused
 * policy reload, every panel fed by the inference server returns series; the operator's panels
 * are listed as empty (no operator runs here: the node's test covers them). Every rule evaluates
 * without error; the error-rate and server-down alerts become active when the database is dropped
 * and the server killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { inquiryText } from '../../lib/model/runtime.js';
import {
  podDiscoveryTargets,
  prometheusConfig,
  scrapeConfigsFor,
  withStaticTargets,
  type DiscoveredPod,
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
import { OWNER } from '../fixtures.js';
import {
  checkDashboardData,
  checkRuleExpressions,
  formatDashboardReport,
  loadDashboards,
  loadRuleExpressions,
  loadRuleFiles,
  renderChartMonitors,
  type DashboardReport,
} from './dashboards-live.js';
import { createTestDatabase, eventually, testbed } from './testbed.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RELEASE = 'inquiry-platform';
const RELEASE_NAMESPACE = 'inquiry-system';
const SCRAPE_SECONDS = 1;
const STEP_SECONDS = 2;

/**
 * Panels that cannot have data here, and why: their series come from the operator (no operator
 * runs in this test) or from an event the test does not provoke.
 */
const NO_OPERATOR = 'operator series: no operator runs in this test';
const EXPECTED_EMPTY: Record<string, Record<string, string>> = {
  'inquiry-canary': {
    'Canary weight': NO_OPERATOR,
    'Current phase': NO_OPERATOR,
    'Canary step': NO_OPERATOR,
    'ModelVersions by phase': NO_OPERATOR,
    'Analysis results': NO_OPERATOR,
    'Verdicts in the range': NO_OPERATOR,
    Promotions: NO_OPERATOR,
    Rollbacks: NO_OPERATOR,
    'Promotions and rollbacks': NO_OPERATOR,
  },
  'inquiry-model-performance': {},
  'inquiry-pipeline-overview': {
    'Job runs': NO_OPERATOR,
    'Job runs in the range': NO_OPERATOR,
    'Time since last success': NO_OPERATOR,
  },
  'inquiry-system-health': {
    'Operator leader': NO_OPERATOR,
    Reconciles: NO_OPERATOR,
    'Reconcile duration p95': NO_OPERATOR,
    'Work queue depth': NO_OPERATOR,
    'Children changed by others': NO_OPERATOR,
    CPU: NO_OPERATOR,
    'Resident memory': NO_OPERATOR,
    'Event loop lag p99': NO_OPERATOR,
  },
};

interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  output: () => string;
}

async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const [port] = await freePorts(1);
  const child = spawn(process.execPath, ['--import', 'tsx', 'inference-server/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    'the inference server to be ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`the server exited at start:\n${output}`);
      return (await fetch(`${url}/readyz`)).status === 200 ? true : undefined;
    },
    120_000,
  );
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

describe('dashboards and alerts on a live Prometheus', () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: ServerProcess;
  let prometheus: PrometheusServer;
  let policyFile: string;
  let job: string;

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
    server = await startServer({
      DATABASE_URL: database.url,
      MODEL_DIR: bundle,
      ROUTING_POLICY_FILE: policyFile,
    });

    // The chart scraping the pods directly: the test bed has no Istio sidecar to merge metrics.
    const monitors = await renderChartMonitors(testbed.helm, RELEASE, RELEASE_NAMESPACE, [
      'monitoring.podMonitor.istioMetricsMerging=false',
      `monitoring.podMonitor.interval=${SCRAPE_SECONDS}s`,
    ]);
    const [inference] = scrapeConfigsFor(monitors.filter((m) => m.kind === 'PodMonitor'));
    job = inference!.job_name;
    // The pod the operator creates for the pipeline's stable version, served by the process here.
    const template = buildInferenceDeployment(
      OWNER,
      withDefaults({
        databaseSecretRef: { name: 'db' },
        mlflow: { trackingUri: 'http://mlflow:5000' },
      }),
      {
        name: 'support-emea-v1',
        artifactUri: 'mlflow-artifacts:/1/r/artifacts/bundle',
        subset: 'stable',
      },
    ).spec!.template;
    const podOf = (name: string, labels: Record<string, string>): DiscoveredPod => ({
      metadata: {
        name,
        namespace: OWNER.metadata.namespace,
        labels,
        annotations: template.metadata!.annotations,
      },
      spec: {
        containers: template.spec!.containers.map((container) => ({
          name: container.name,
          ports: (container.ports ?? []).map((port) => ({ ...port, containerPort: server.port })),
        })),
      },
      status: { podIP: '127.0.0.1', phase: 'Running', ready: true },
    });
    const pod = podOf('support-emea-inference-7d9f-abcde', template.metadata!.labels!);
    // A pod the PodMonitor must not select (no track label).
    const other = podOf('other-7d9f-abcde', { app: 'other' });
    const config = prometheusConfig({
      scrapeConfigs: [
        withStaticTargets(inference!, [...podDiscoveryTargets(pod), ...podDiscoveryTargets(other)]),
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
    await waitForTargetsUp(prometheus.api, [job]);
  });

  afterAll(async () => {
    await prometheus?.stop();
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await database?.drop().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("scrapes the operator's inference pod with the labels the chart's PodMonitor gives, and only it", async () => {
    const { activeTargets, droppedTargets } = await prometheus.api.targets();
    const active = activeTargets.filter((t) => t.scrapePool === job);
    expect(active.map((t) => t.labels)).toEqual([
      {
        namespace: OWNER.metadata.namespace,
        pod: 'support-emea-inference-7d9f-abcde',
        container: 'inference',
        endpoint: 'http',
        job: `${RELEASE_NAMESPACE}/${RELEASE}-inference`,
        pipeline: OWNER.metadata.name,
        subset: 'stable',
        modelversion: 'support-emea-v1',
        instance: `127.0.0.1:${server.port}`,
      },
    ]);
    expect(droppedTargets.map((t) => t.discoveredLabels.__meta_kubernetes_pod_name)).toEqual([
      'other-7d9f-abcde',
    ]);
  });

  let reports: DashboardReport[];

  it('shows data on every panel the inference server feeds, after a realistic load', async () => {
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
    const errors = reports.flatMap((r) =>
      r.panels.flatMap((p) => p.queries.filter((q) => q.error)),
    );
    expect(errors.map((q) => `${q.query.title}: ${q.error}`)).toEqual([]);
    const empty = Object.fromEntries(
      reports.map((r) => [
        r.dashboard,
        r.panels
          .filter((p) => !p.hasData)
          .map((p) => p.title)
          .sort(),
      ]),
    );
    const expected = Object.fromEntries(
      Object.entries(EXPECTED_EMPTY).map(([dashboard, panels]) => [
        dashboard,
        Object.keys(panels).sort(),
      ]),
    );
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

  it('raises the error-rate alert when the database goes away, the server-down alert when the server does', async () => {
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
      namespace: OWNER.metadata.namespace,
      pipeline: OWNER.metadata.name,
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
      namespace: OWNER.metadata.namespace,
      pod: 'support-emea-inference-7d9f-abcde',
    });
    expect(['pending', 'firing']).toContain(downAlert.state);
  });
});
