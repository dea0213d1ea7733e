/**
 * Operator benchmark (`npm run bench:operator`): the test bed's real API server (upstream Argo
 * and Istio CRDs, the platform's CRDs) and real MLflow, the operator as its own process
 * (`node --import tsx operator/src/main.ts`, leader election off), one run:
 * - fleet, first, on an empty cluster: with the operator stopped, 500 InquiryPipelines sharing one
 *   RoutingPolicy and 2,000 ModelVersions (per pipeline three Superseded history versions and a
 *   new Immediate one); then the operator starts: time to the first full sync (every pipeline's
 *   status observed and Ready, every ModelVersion with a phase, the new ones Promoted) and until
 *   its work queue is empty, RSS after it and at its peak, reconciles per second;
 * - apply latency, with the same operator and the fleet still present, in fresh namespaces:
 *   100 pipelines applied one at a time, then 100 in a burst (16 creates in flight), each with an
 *   Immediate ModelVersion with an explicit artifactUri: from the create call returning to its
 *   7 children present, to its status observed, and to Ready=True (p50, p99, max).
 * Every phase records the CPU seconds of each process and the API server's requests per verb and
 * resource. Prints one JSON line; figures go to bench/RESULTS.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { MlflowClient } from '../lib/mlflow/client.js';
import { bundleOperator } from '../scripts/bundle-operator.js';
import { upstreamCrdFiles } from '../scripts/testbed/build.js';
import { installCrds } from '../scripts/testbed/kubernetes.js';
import { freePorts, groupMembers } from '../scripts/testbed/processes.js';
import { stopRun, up, type TestbedEnv } from '../scripts/testbed/testbed.js';
import { KUBERNETES_VERSION } from '../scripts/testbed/versions.js';
import { compiledTree } from './processes.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const FLEET_PIPELINES = Number(process.env.BENCH_FLEET_PIPELINES ?? 500);
const VERSIONS_PER_PIPELINE = Number(process.env.BENCH_VERSIONS_PER_PIPELINE ?? 4);
const APPLY_PIPELINES = Number(process.env.BENCH_APPLY_PIPELINES ?? 100);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 16);
const SYNC_TIMEOUT_MS = Number(process.env.BENCH_SYNC_TIMEOUT_SECONDS ?? 1800) * 1000;
const APPLY_TIMEOUT_MS = 60_000;
/**
 * `tsx`: as `npm run operator` runs it; `compiled`: tsc's output run by plain node (the image
 * until 2026-12-01); `bundled`: one minified ES module with its packages, as the image runs it
 * (scripts/bundle-operator.ts).
 */
const RUNTIME = process.env.BENCH_OPERATOR_RUNTIME ?? 'tsx';
/**
 * The operator's node flags: by default the chart's `operator.nodeOptions` (its heap limits), as
 * the operator runs in a cluster; BENCH_OPERATOR_NODE_FLAGS replaces them, e.g. with
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it, or '' for Node's defaults.
 */
const CHART = (
  parseYaml(readFileSync(path.join(root, 'charts/inquiry-platform/values.yaml'), 'utf8')) as {
    operator: { nodeOptions?: string; workers: number };
  }
).operator;
const NODE_FLAGS = (process.env.BENCH_OPERATOR_NODE_FLAGS ?? CHART.nodeOptions ?? '')
  .split(' ')
  .filter(Boolean);
/** OPERATOR_WORKERS: the chart's `operator.workers` unless set. */
const WORKERS = Number(process.env.OPERATOR_WORKERS ?? CHART.workers);
const GROUP = 'inquiries.mlops.io';
const VERSION = 'v1alpha1';
const API_VERSION = `${GROUP}/${VERSION}`;
/**
 * The 3 CronWorkflows and the Service exist before any model is promoted (operators before the
 * shared step templates also wrote 3 WorkflowTemplates, not counted, so both compare).
 */
const CHILDREN_BEFORE_MODEL = 4;
/**
 * BENCH_BASELINE: a git revision whose operator is measured against the working tree's in the
 * same run: bursts alternate baseline, current, current, baseline (fresh namespaces, one operator
 * at a time), and the fleet phase is skipped.
 */
const BASELINE = process.env.BENCH_BASELINE;
/**
 * BENCH_ARGO_CRDS: `full` (default) keeps the Argo CRDs the test bed installs, with Argo's whole
 * openAPIV3Schema, which the API server validates and prunes every Workflow object with;
 * `minimal` replaces them with the minimal ones Argo's release manifests install; `both`
 * compares bursts of the working tree's operator under each (rounds full, minimal, minimal,
 * full), like BENCH_BASELINE's rounds.
 */
const ARGO_CRDS = process.env.BENCH_ARGO_CRDS ?? 'full';
if (!['full', 'minimal', 'both'].includes(ARGO_CRDS))
  throw new Error(`BENCH_ARGO_CRDS=${ARGO_CRDS}: expected full, minimal or both`);
if (ARGO_CRDS === 'both' && BASELINE)
  throw new Error('BENCH_ARGO_CRDS=both compares CRDs, BENCH_BASELINE operators: give one');
type ArgoCrds = 'full' | 'minimal';
/** The Argo CRDs installed before any round. */
const FIRST_ARGO_CRDS: ArgoCrds = ARGO_CRDS === 'minimal' ? 'minimal' : 'full';
/** Whether the test bed runs pods: without a node, no inference Deployment becomes available. */
let podsRun = false;
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

const log = (message: string): void => void process.stderr.write(`[bench:operator] ${message}\n`);

interface Meta {
  name: string;
  namespace: string;
  uid: string;
  generation?: number;
  resourceVersion?: string;
  ownerReferences?: { kind: string; name: string }[];
}
interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface Watched {
  metadata: Meta;
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    phase?: string;
    stableModelVersion?: string;
  };
}

// --- small helpers ---

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Polls `test` until it holds (true) or the time is up (false). */
async function until(test: () => boolean, timeoutMs: number, pollMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Percentiles of per-object latencies, and the slowest objects by name (to look into). */
function latency(values: Map<string, number | undefined>) {
  const done = [...values.values()]
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  if (done.length === 0) return { n: 0, missing: values.size };
  const round = (v: number) => Math.round(v);
  return {
    n: done.length,
    missing: values.size - done.length,
    p50Ms: round(percentile(done, 50)),
    p90Ms: round(percentile(done, 90)),
    p99Ms: round(percentile(done, 99)),
    maxMs: round(done[done.length - 1]!),
    meanMs: round(done.reduce((a, b) => a + b, 0) / done.length),
    slowest: [...values]
      .filter((entry): entry is [string, number] => entry[1] !== undefined)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, ms]) => `${name} ${round(ms)} ms`),
  };
}

const seconds = (ms: number) => Number((ms / 1000).toFixed(2));
const pad = (i: number) => String(i).padStart(3, '0');
const loadavg = () => os.loadavg().map((v) => Number(v.toFixed(2)));

// --- processes: CPU time and memory from /proc ---

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of a live process (utime and stime are fields 14 and 15). */
function cpuOf(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS : 0;
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => Number(statFields(child)?.[1]) === pid);
}

/** 0 once the process is gone. */
function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const kb = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Sockets the process holds open (TCP connections, mostly: to the API server and MLflow). */
function openSockets(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

/** CPU seconds so far of every process in play: the test bed's daemons, the operator, us. */
function cpuSnapshot(env: TestbedEnv, operatorPid: number | undefined): Record<string, number> {
  const state = JSON.parse(readFileSync(path.join(env.runDir, 'state.json'), 'utf8')) as {
    daemons: { name: string; pid: number }[];
  };
  const snapshot: Record<string, number> = {};
  for (const daemon of state.daemons) {
    snapshot[daemon.name] = groupMembers(daemon.pid).reduce((sum, pid) => sum + cpuOf(pid), 0);
  }
  if (operatorPid !== undefined) {
    snapshot.operator = [operatorPid, ...childrenOf(operatorPid)].reduce(
      (sum, pid) => sum + cpuOf(pid),
      0,
    );
  }
  const own = process.cpuUsage();
  snapshot.bench = (own.user + own.system) / 1e6;
  return snapshot;
}

function cpuDelta(before: Record<string, number>, after: Record<string, number>, wallMs: number) {
  return Object.fromEntries(
    Object.keys(after).map((name) => {
      const used = after[name]! - (before[name] ?? 0);
      return [
        name,
        { cpuSeconds: seconds(used * 1000), cores: Number((used / (wallMs / 1000)).toFixed(2)) },
      ];
    }),
  );
}

// --- Prometheus text: the operator's and the API server's metrics ---

type Samples = Map<string, number>;

/** Samples of the named metrics, keyed by `name` plus the chosen labels' values. */
function parseMetrics(text: string, names: Record<string, string[]>): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const keep = names[match[1]!];
    if (!keep) continue;
    const labels = new Map(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    const key = [match[1], ...keep.map((label) => labels.get(label) ?? '')].join(' ');
    samples.set(key, (samples.get(key) ?? 0) + Number(match[3]));
  }
  return samples;
}

function diff(before: Samples, after: Samples): Samples {
  return new Map([...after].map(([key, value]) => [key, value - (before.get(key) ?? 0)]));
}

const OPERATOR_METRICS = {
  inquiry_operator_reconciles_total: ['kind', 'result'],
  inquiry_operator_reconcile_duration_seconds_sum: ['kind'],
  inquiry_operator_reconcile_duration_seconds_count: ['kind'],
  inquiry_operator_queue_wait_seconds_sum: ['kind'],
  inquiry_operator_queue_wait_seconds_count: ['kind'],
  inquiry_operator_queue_depth: [],
  inquiry_operator_nodejs_heap_size_used_bytes: [],
  inquiry_operator_nodejs_heap_size_total_bytes: [],
  inquiry_operator_nodejs_gc_duration_seconds_sum: [],
};

const APISERVER_METRICS = {
  apiserver_request_total: ['verb', 'resource', 'subresource'],
  apiserver_request_duration_seconds_sum: ['verb', 'resource', 'subresource'],
  apiserver_response_sizes_sum: ['verb', 'resource', 'subresource'],
};

function reconcileSummary(samples: Samples, wallMs: number) {
  const kinds = new Set(
    [...samples.keys()]
      .filter((key) => key.startsWith('inquiry_operator_reconcile'))
      .map((key) => key.split(' ')[1]!),
  );
  let total = 0;
  const byKind: Record<
    string,
    { reconciles: number; errors: number; meanMs: number; meanQueueWaitMs?: number }
  > = {};
  for (const kind of kinds) {
    const ok = samples.get(`inquiry_operator_reconciles_total ${kind} success`) ?? 0;
    const errors = samples.get(`inquiry_operator_reconciles_total ${kind} error`) ?? 0;
    const count = samples.get(`inquiry_operator_reconcile_duration_seconds_count ${kind}`) ?? 0;
    const sum = samples.get(`inquiry_operator_reconcile_duration_seconds_sum ${kind}`) ?? 0;
    const waits = samples.get(`inquiry_operator_queue_wait_seconds_count ${kind}`) ?? 0;
    const waited = samples.get(`inquiry_operator_queue_wait_seconds_sum ${kind}`) ?? 0;
    total += ok + errors;
    byKind[kind] = {
      reconciles: ok + errors,
      errors,
      meanMs: count ? Math.round((sum / count) * 1000) : 0,
      // Operators before the queue-wait metric do not report it.
      ...(waits ? { meanQueueWaitMs: Math.round((waited / waits) * 1000) } : {}),
    };
  }
  return {
    total,
    perSecond: Number((total / (wallMs / 1000)).toFixed(1)),
    byKind,
  };
}

/**
 * The API server's busiest request kinds over a phase: count, time spent, and bytes returned as
 * `apiserver_response_sizes` counts them (gzip-compressed for clients that accept it).
 */
function apiserverSummary(samples: Samples, top = 12) {
  const rows = new Map<string, { requests: number; seconds: number; responseMb: number }>();
  for (const [key, value] of samples) {
    const [metric, verb, resource, subresource] = key.split(' ') as [
      string,
      string,
      string,
      string,
    ];
    if (verb === 'WATCH' || value === 0) continue;
    const name = `${verb} ${resource}${subresource ? `/${subresource}` : ''}`;
    const row = rows.get(name) ?? { requests: 0, seconds: 0, responseMb: 0 };
    if (metric === 'apiserver_request_total') row.requests += value;
    else if (metric === 'apiserver_request_duration_seconds_sum') row.seconds += value;
    else row.responseMb += value / 1e6;
    rows.set(name, row);
  }
  return [...rows]
    .sort((a, b) => b[1].seconds - a[1].seconds)
    .slice(0, top)
    .map(([request, row]) => ({
      request,
      requests: row.requests,
      seconds: Number(row.seconds.toFixed(2)),
      meanMs: row.requests ? Number(((row.seconds / row.requests) * 1000).toFixed(1)) : 0,
      responseMb: Number(row.responseMb.toFixed(1)),
    }));
}

async function apiserverMetrics(kc: k8s.KubeConfig): Promise<Samples> {
  const url = new URL('/metrics', kc.getCurrentCluster()!.server);
  const options: RequestOptions = { method: 'GET' };
  await kc.applyToHTTPSOptions(options);
  const text = await new Promise<string>((resolve, reject) => {
    const request = httpsRequest(url, options, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(body)
          : reject(new Error(`GET ${url.href}: ${response.statusCode}`)),
      );
    });
    request.on('error', reject);
    request.end();
  });
  return parseMetrics(text, APISERVER_METRICS);
}

// --- the operator as a process ---

/** Every operator started, so that the end of the run (or a failure) stops them all. */
const operators: OperatorProcess[] = [];

class OperatorProcess {
  readonly warnings: string[] = [];
  warningCount = 0;
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly spawnedAt: number,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let buffered = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) this.record(line);
    });
  }

  static async start(
    kubeconfig: string,
    entry: string[],
    extraEnv: Record<string, string> = {},
  ): Promise<OperatorProcess> {
    const [port] = (await freePorts(1)) as [number];
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [...NODE_FLAGS, ...entry], {
      cwd: root,
      env: {
        ...process.env,
        KUBECONFIG: kubeconfig,
        OPERATOR_WORKERS: String(WORKERS),
        LEADER_ELECTION: 'false',
        OPERATOR_PORT: String(port),
        OPERATOR_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...extraEnv,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const operator = new OperatorProcess(child, port, spawnedAt);
    operators.push(operator);
    return operator;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Throws once the operator has exited: a wait on it would never end. */
  assertRunning(): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null)
      throw new Error(
        `the operator exited (${this.child.exitCode ?? this.child.signalCode}): ${this.warnings.join('; ')}`,
      );
  }

  /** Warnings and errors the operator logged (reconcile retries, watch restarts). */
  private record(line: string): void {
    let entry: { level?: number; msg?: string; error?: string; key?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      entry = { level: 50, msg: line };
    }
    if ((entry.level ?? 0) < 40) return;
    this.warningCount++;
    if (this.warnings.length < 5)
      this.warnings.push(
        `${entry.msg ?? ''} ${entry.key ?? ''} ${entry.error ?? ''}`.slice(0, 400),
      );
  }

  /** Milliseconds from spawn to /readyz answering 200 (informers listed, queue running). */
  async waitReady(timeoutMs = 120_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.assertRunning();
      const ok = await fetch(`http://127.0.0.1:${this.port}/readyz`, {
        signal: AbortSignal.timeout(1000),
      }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - this.spawnedAt;
      await sleep(20);
    }
    throw new Error('the operator did not become ready');
  }

  async metrics(): Promise<Samples> {
    const response = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    return parseMetrics(await response.text(), OPERATOR_METRICS);
  }

  memory() {
    return { rssMb: memoryMb(this.pid, 'VmRSS'), peakMb: memoryMb(this.pid, 'VmHWM') };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(10_000, false)]);
    if (!stopped) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

// --- watching what the operator writes ---

/**
 * Watches a collection (restarting from the last resourceVersion when the server ends a watch,
 * from scratch after 410 Gone); `onEvent` gets every object with the time it arrived.
 */
async function watchAll(
  kc: k8s.KubeConfig,
  apiPath: string,
  onEvent: (object: Watched, at: number) => void,
): Promise<() => void> {
  const watch = new k8s.Watch(kc);
  let resourceVersion: string | undefined;
  let stopped = false;
  let controller: AbortController | undefined;
  const start = async (): Promise<void> => {
    controller = await watch.watch(
      apiPath,
      { allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
      (type: string, object: Watched) => {
        if (type === 'ERROR') {
          resourceVersion = undefined;
          return;
        }
        resourceVersion = object.metadata.resourceVersion;
        if (type !== 'BOOKMARK' && type !== 'DELETED') onEvent(object, performance.now());
      },
      () => {
        if (!stopped)
          setTimeout(
            () => void start().catch((e: unknown) => log(`watch ${apiPath}: ${String(e)}`)),
            200,
          );
      },
    );
  };
  await start();
  return () => {
    stopped = true;
    controller?.abort();
  };
}

const observed = (o: Watched) =>
  o.status?.observedGeneration !== undefined &&
  o.status.observedGeneration === o.metadata.generation;
/**
 * Ready=True; without a node, where no pod ever runs, Ready=False for the one reason left once the
 * operator has done everything (DeploymentUnavailable: children applied, model promoted, routes
 * set, only the pods missing).
 */
const ready = (o: Watched) =>
  observed(o) &&
  (o.status?.conditions ?? []).some(
    (c) =>
      c.type === 'Ready' &&
      (c.status === 'True' || (!podsRun && c.reason === 'DeploymentUnavailable')),
  );

/**
 * When each pipeline of a namespace got its children, an observed status, its first ModelVersion
 * Promoted, and Ready.
 */
class PipelineTimes {
  readonly children = new Map<string, Set<string>>();
  readonly childrenAt = new Map<string, number>();
  readonly statusAt = new Map<string, number>();
  readonly promotedAt = new Map<string, number>();
  readonly readyAt = new Map<string, number>();
  private readonly stops: (() => void)[] = [];

  async watch(kc: k8s.KubeConfig, namespace: string): Promise<void> {
    const child = (kind: string) => (object: Watched, at: number) => {
      const owner = object.metadata.ownerReferences?.find((ref) => ref.kind === 'InquiryPipeline');
      if (!owner) return;
      const seen = this.children.get(owner.name) ?? new Set<string>();
      this.children.set(owner.name, seen.add(`${kind}/${object.metadata.name}`));
      if (seen.size >= CHILDREN_BEFORE_MODEL && !this.childrenAt.has(owner.name))
        this.childrenAt.set(owner.name, at);
    };
    const argo = `/apis/argoproj.io/v1alpha1/namespaces/${namespace}`;
    this.stops.push(
      await watchAll(kc, `${argo}/cronworkflows`, child('CronWorkflow')),
      await watchAll(kc, `/api/v1/namespaces/${namespace}/services`, child('Service')),
      await watchAll(
        kc,
        `/apis/${API_VERSION}/namespaces/${namespace}/inquirypipelines`,
        (object, at) => {
          const name = object.metadata.name;
          if (!this.statusAt.has(name) && observed(object) && object.status?.conditions?.length)
            this.statusAt.set(name, at);
          if (!this.readyAt.has(name) && ready(object)) this.readyAt.set(name, at);
        },
      ),
      await watchAll(
        kc,
        `/apis/${API_VERSION}/namespaces/${namespace}/modelversions`,
        (object, at) => {
          const pipeline = (object as { spec?: { pipeline?: string } }).spec?.pipeline;
          if (pipeline && !this.promotedAt.has(pipeline) && object.status?.phase === 'Promoted')
            this.promotedAt.set(pipeline, at);
        },
      ),
    );
  }

  done(name: string): boolean {
    return this.childrenAt.has(name) && this.statusAt.has(name) && this.readyAt.has(name);
  }

  stop(): void {
    for (const stop of this.stops) stop();
  }
}

// --- the objects ---

function pipelineBody(name: string, mlflowUrl: string, modelName: string, policy: string) {
  return {
    apiVersion: API_VERSION,
    kind: 'InquiryPipeline',
    metadata: { name },
    spec: {
      databaseSecretRef: { name: 'inquiries-db' },
      mlflow: { trackingUri: mlflowUrl, modelName },
      ingestion: {
        schedule: '30 1 * * *',
        source: {
          type: 'http',
          location: 'https://crm.example.internal/api/inquiries',
          labels: ['category'],
        },
      },
      classification: { shards: 4 },
      retraining: { triggers: { minNewLabels: 1000, driftThreshold: 0.25 } },
      serving: {
        host: `${name}.inquiries.example.com`,
        autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 8 },
      },
      routingPolicyRef: { name: policy },
    },
  };
}

const CANARY_ROLLOUT = {
  strategy: 'Canary',
  steps: [
    { weight: 10, pause: '10m' },
    { weight: 25, pause: '10m' },
    { weight: 50, pause: '20m' },
  ],
  analysis: {
    interval: '2m',
    failureLimit: 2,
    metrics: [
      {
        name: 'offline-macro-f1',
        provider: 'mlflow',
        metric: 'test.category.macro_f1',
        maxDegradation: 0.01,
      },
      {
        name: 'online-accuracy',
        provider: 'mlflow',
        metric: 'online.accuracy',
        sampleMetric: 'online.samples',
        minSamples: 100,
        min: 0.85,
      },
    ],
  },
};

function modelVersionBody(
  name: string,
  pipeline: string,
  model: { name: string; version: string; artifactUri: string },
  strategy: 'Immediate' | 'Canary',
) {
  return {
    apiVersion: API_VERSION,
    kind: 'ModelVersion',
    metadata: { name },
    spec: {
      pipeline,
      model: { name: model.name, version: model.version },
      artifactUri: model.artifactUri,
      rollout: strategy === 'Canary' ? CANARY_ROLLOUT : { strategy: 'Immediate' },
    },
  };
}

const POLICY_SPEC = {
  defaultDepartment: 'customer-service',
  departments: [
    {
      category: 'technical_support',
      department: 'technical_support',
      consultantPool: 'support-engineers',
    },
    { category: 'billing', department: 'finance' },
    { category: 'legal', department: 'legal' },
  ],
  consultantPools: [
    { name: 'support-engineers', consultants: ['se-01', 'se-02'] },
    { name: 'senior-counsel', consultants: ['lc-senior-01'] },
  ],
  escalationRules: [
    {
      name: 'legal-threat',
      when: { keywords: ['lawsuit', 'attorney', 'legal action'] },
      then: {
        department: 'legal',
        priorityBoost: 25,
        escalate: true,
        consultantPool: 'senior-counsel',
      },
    },
  ],
  triage: { confidenceBelow: 0.45 },
};

class Cluster {
  readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;

  constructor(readonly kc: k8s.KubeConfig) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  async namespace(name: string, policy: string): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name } } });
    await this.create(name, 'routingpolicies', {
      apiVersion: API_VERSION,
      kind: 'RoutingPolicy',
      metadata: { name: policy },
      spec: POLICY_SPEC,
    });
  }

  async create(namespace: string, plural: string, body: object): Promise<void> {
    await this.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural,
      body,
    });
  }

  async patchStatus(
    namespace: string,
    plural: string,
    name: string,
    status: object,
  ): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural, name, body: { status } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }
}

/** One registered model per pipeline, with `versions` versions of the same run's bundle. */
async function registerModels(mlflow: MlflowClient, names: string[], versions: number) {
  const experiment = await mlflow.ensureExperiment('bench-operator-fleet');
  const run = await mlflow.createRun(experiment, 'train');
  const artifactUri = `${run.artifact_uri}/bundle`;
  await pool(names, 4, async (name) => {
    await mlflow.ensureRegisteredModel(name);
    for (let v = 0; v < versions; v++)
      await mlflow.createModelVersion(name, artifactUri, run.run_id);
  });
  return { artifactUri, runId: run.run_id };
}

// --- the phases ---

interface Probe {
  env: TestbedEnv;
  kc: k8s.KubeConfig;
  operatorEntry: string[];
}

/** CPU, API-server requests, reconciles and load over one phase. */
/**
 * Reconciles per kind every 10 s while a phase runs (cumulative from its start), to see a storm
 * that the phase's totals would hide: `[seconds, pipeline, mv, policy]`.
 */
function reconcileTimeline(operator: OperatorProcess, start: Samples) {
  const points: number[][] = [];
  const started = performance.now();
  const count = (samples: Samples, kind: string) =>
    ['success', 'error'].reduce(
      (sum, result) =>
        sum +
        (samples.get(`inquiry_operator_reconciles_total ${kind} ${result}`) ?? 0) -
        (start.get(`inquiry_operator_reconciles_total ${kind} ${result}`) ?? 0),
      0,
    );
  const timer = setInterval(() => {
    void operator.metrics().then(
      (samples) =>
        points.push([
          Math.round((performance.now() - started) / 1000),
          ...['pipeline', 'mv', 'policy'].map((kind) => count(samples, kind)),
        ]),
      () => undefined,
    );
  }, 10_000);
  return () => {
    clearInterval(timer);
    return points;
  };
}

async function measured<T>(
  probe: Probe,
  operator: OperatorProcess,
  run: () => Promise<T>,
): Promise<
  T & {
    wallSeconds: number;
    load: { before: number[]; after: number[] };
    cpu: object;
    reconciles: object;
    reconcileTimeline: number[][];
    apiserver: object;
  }
> {
  const load = loadavg();
  const [api, ops] = await Promise.all([apiserverMetrics(probe.kc), operator.metrics()]);
  const cpu = cpuSnapshot(probe.env, operator.pid);
  const started = performance.now();
  const stopTimeline = reconcileTimeline(operator, ops);
  let result: T;
  try {
    result = await run();
  } finally {
    stopTimeline();
  }
  const wallMs = performance.now() - started;
  const cpuAfter = cpuSnapshot(probe.env, operator.pid);
  const [apiAfter, opsAfter] = await Promise.all([apiserverMetrics(probe.kc), operator.metrics()]);
  return {
    ...result,
    wallSeconds: seconds(wallMs),
    load: { before: load, after: loadavg() },
    cpu: cpuDelta(cpu, cpuAfter, wallMs),
    reconciles: reconcileSummary(diff(ops, opsAfter), wallMs),
    reconcileTimeline: stopTimeline(),
    apiserver: apiserverSummary(diff(api, apiAfter)),
  };
}

async function fleet(probe: Probe, cluster: Cluster) {
  const namespace = 'bench-fleet';
  const policy = 'fleet-routing';
  const pipelines = Array.from({ length: FLEET_PIPELINES }, (_, i) => `fleet-${pad(i)}`);
  const modelName = (pipeline: string) => `${namespace}-${pipeline}`;

  let started = performance.now();
  log(`registering ${pipelines.length} models × ${VERSIONS_PER_PIPELINE} versions in MLflow`);
  const mlflow = new MlflowClient({ trackingUri: probe.env.mlflowUrl });
  const bundle = await registerModels(mlflow, pipelines.map(modelName), VERSIONS_PER_PIPELINE);
  const mlflowSeconds = seconds(performance.now() - started);

  started = performance.now();
  log(
    `creating ${pipelines.length} pipelines and ${pipelines.length * VERSIONS_PER_PIPELINE} ModelVersions (operator stopped)`,
  );
  await cluster.namespace(namespace, policy);
  const versionName = (pipeline: string, v: number) => `${pipeline}-v${v}`;
  await pool(pipelines, IN_FLIGHT, async (pipeline) => {
    await cluster.create(
      namespace,
      'inquirypipelines',
      pipelineBody(pipeline, probe.env.mlflowUrl, modelName(pipeline), policy),
    );
  });
  const versions = pipelines.flatMap((pipeline) =>
    Array.from({ length: VERSIONS_PER_PIPELINE }, (_, i) => ({ pipeline, v: i + 1 })),
  );
  await pool(versions, IN_FLIGHT, async ({ pipeline, v }) => {
    const newest = v === VERSIONS_PER_PIPELINE;
    const name = versionName(pipeline, v);
    await cluster.create(
      namespace,
      'modelversions',
      modelVersionBody(
        name,
        pipeline,
        { name: modelName(pipeline), version: String(v), artifactUri: bundle.artifactUri },
        newest ? 'Immediate' : 'Canary',
      ),
    );
    // History: what an earlier operator left on versions that a later one replaced.
    if (!newest) {
      await cluster.patchStatus(namespace, 'modelversions', name, {
        phase: 'Superseded',
        canaryWeight: 0,
        artifactUri: bundle.artifactUri,
        runId: bundle.runId,
      });
    }
  });
  const createSeconds = seconds(performance.now() - started);

  // Watch before the operator starts: the initial events are the fleet as created.
  const pipelineStatusAt = new Map<string, number>();
  const pipelineReadyAt = new Map<string, number>();
  /** A phase, and for the newest version of each pipeline: Promoted. */
  const versionAt = new Map<string, number>();
  const newestPromotedAt = new Map<string, number>();
  const newest = (name: string) => name.endsWith(`-v${VERSIONS_PER_PIPELINE}`);
  const stops = [
    await watchAll(
      probe.kc,
      `/apis/${API_VERSION}/namespaces/${namespace}/inquirypipelines`,
      (o, at) => {
        if (!pipelineStatusAt.has(o.metadata.name) && observed(o) && o.status?.conditions?.length)
          pipelineStatusAt.set(o.metadata.name, at);
        if (!pipelineReadyAt.has(o.metadata.name) && ready(o))
          pipelineReadyAt.set(o.metadata.name, at);
      },
    ),
    await watchAll(
      probe.kc,
      `/apis/${API_VERSION}/namespaces/${namespace}/modelversions`,
      (o, at) => {
        const phase = o.status?.phase;
        if (
          !versionAt.has(o.metadata.name) &&
          phase &&
          (!newest(o.metadata.name) || phase === 'Promoted')
        )
          versionAt.set(o.metadata.name, at);
        if (!newestPromotedAt.has(o.metadata.name) && o.status?.phase === 'Promoted')
          newestPromotedAt.set(o.metadata.name, at);
      },
    ),
  ];

  const operator = await OperatorProcess.start(probe.env.kubeconfig, probe.operatorEntry);
  const cpuBefore = cpuSnapshot(probe.env, operator.pid);
  const apiBefore = await apiserverMetrics(probe.kc);
  const load = loadavg();
  let sampledPeakMb = 0;
  let peakSockets = 0;
  let samples = 0;
  const sampler = setInterval(() => {
    sampledPeakMb = Math.max(sampledPeakMb, memoryMb(operator.pid, 'VmRSS'));
    if (samples++ % 5 === 0) peakSockets = Math.max(peakSockets, openSockets(operator.pid));
  }, 200);
  const stopTimeline = reconcileTimeline(operator, new Map());
  const totalVersions = versions.length;
  const synced = () => {
    operator.assertRunning();
    return (
      pipelineReadyAt.size === pipelines.length &&
      pipelineStatusAt.size === pipelines.length &&
      versionAt.size === totalVersions
    );
  };
  const progress = setInterval(() => {
    log(
      `  ${seconds(performance.now() - operator.spawnedAt)} s: pipelines observed ${pipelineStatusAt.size}, Ready ${pipelineReadyAt.size}/${pipelines.length}; ModelVersions with a phase ${versionAt.size}/${totalVersions}; RSS ${memoryMb(operator.pid, 'VmRSS')} MB, ${openSockets(operator.pid)} sockets`,
    );
  }, 10_000);
  let readyMs: number, idleRss: number, complete: boolean, drained: boolean, waitedMs: number;
  let cpuAfter: Record<string, number>, opsAfter: Samples, apiAfter: Samples, rssAtSync: number;
  let timeline: number[][];
  try {
    readyMs = await operator.waitReady();
    idleRss = memoryMb(operator.pid, 'VmRSS');
    log(`operator ready in ${seconds(readyMs)} s (RSS ${idleRss} MB); waiting for the full sync`);
    complete = await until(synced, SYNC_TIMEOUT_MS, 50);
    // Then until the work queue is empty and nothing ran for a second: the sync's tail.
    drained = complete && (await waitDrained(operator, 120_000));
    waitedMs = performance.now() - operator.spawnedAt;
    cpuAfter = cpuSnapshot(probe.env, operator.pid);
    [opsAfter, apiAfter] = await Promise.all([operator.metrics(), apiserverMetrics(probe.kc)]);
    rssAtSync = memoryMb(operator.pid, 'VmRSS');
    clearInterval(progress);
    await sleep(10_000);
  } finally {
    clearInterval(progress);
    clearInterval(sampler);
    timeline = stopTimeline();
    for (const stop of stops) stop();
  }
  const settled = operator.memory();

  const last = (times: Map<string, number>) =>
    times.size ? seconds(Math.max(0, Math.max(...times.values()) - operator.spawnedAt)) : null;
  const syncMs = complete
    ? Math.max(...pipelineReadyAt.values(), ...versionAt.values()) - operator.spawnedAt
    : waitedMs;
  const result = {
    pipelines: pipelines.length,
    modelVersions: totalVersions,
    setup: { mlflowRegisterSeconds: mlflowSeconds, createSeconds },
    operatorReadySeconds: seconds(readyMs),
    fullSync: {
      complete,
      seconds: seconds(syncMs),
      queueDrained: drained,
      queueDrainedSeconds: seconds(waitedMs),
      allPipelinesObservedSeconds: last(pipelineStatusAt),
      allModelVersionsPhasedSeconds: last(versionAt),
      allPipelinesReadySeconds: last(pipelineReadyAt),
      reached: {
        pipelinesObserved: pipelineStatusAt.size,
        pipelinesReady: pipelineReadyAt.size,
        modelVersionsPhased: versionAt.size,
        promoted: newestPromotedAt.size,
      },
    },
    memory: {
      idleAfterStartMb: idleRss,
      atSyncMb: rssAtSync,
      // The JavaScript heap at the end of the sync (used / reserved), and the time spent in GC.
      heapUsedMb: Math.round(
        (opsAfter.get('inquiry_operator_nodejs_heap_size_used_bytes') ?? 0) / 1e6,
      ),
      heapTotalMb: Math.round(
        (opsAfter.get('inquiry_operator_nodejs_heap_size_total_bytes') ?? 0) / 1e6,
      ),
      gcSeconds: opsAfter.get('inquiry_operator_nodejs_gc_duration_seconds_sum') ?? 0,
      tenSecondsAfterSyncMb: settled.rssMb,
      peakMb: Math.max(settled.peakMb, sampledPeakMb),
    },
    operatorOpenSockets: { peak: peakSockets, afterSync: openSockets(operator.pid) },
    load: { before: load, after: loadavg() },
    cpu: cpuDelta(cpuBefore, cpuAfter, waitedMs),
    reconciles: reconcileSummary(opsAfter, waitedMs),
    reconcileTimeline: timeline,
    apiserver: apiserverSummary(diff(apiBefore, apiAfter)),
    operatorWarnings: { count: operator.warningCount, first: operator.warnings },
  };
  return { result, operator };
}

async function applyLatency(
  probe: Probe,
  cluster: Cluster,
  operator: OperatorProcess,
  namespace: string,
  inFlight: number,
) {
  const policy = `${namespace}-routing`;
  const pipelines = Array.from({ length: APPLY_PIPELINES }, (_, i) => `p-${pad(i)}`);
  const modelName = (pipeline: string) => `${namespace}-${pipeline}`;
  const mlflow = new MlflowClient({ trackingUri: probe.env.mlflowUrl });
  const bundle = await registerModels(mlflow, pipelines.map(modelName), 1);
  await cluster.namespace(namespace, policy);
  const times = new PipelineTimes();
  await times.watch(probe.kc, namespace);
  const createdAt = new Map<string, number>();
  const apply = async (pipeline: string) => {
    await cluster.create(
      namespace,
      'inquirypipelines',
      pipelineBody(pipeline, probe.env.mlflowUrl, modelName(pipeline), policy),
    );
    createdAt.set(pipeline, performance.now());
    await cluster.create(
      namespace,
      'modelversions',
      modelVersionBody(
        `${pipeline}-v1`,
        pipeline,
        { name: modelName(pipeline), version: '1', artifactUri: bundle.artifactUri },
        'Immediate',
      ),
    );
  };
  let phase;
  try {
    phase = await measured(probe, operator, async () => {
      if (inFlight === 1) {
        for (const pipeline of pipelines) {
          await apply(pipeline);
          await until(() => {
            operator.assertRunning();
            return times.done(pipeline);
          }, APPLY_TIMEOUT_MS);
        }
      } else {
        await pool(pipelines, inFlight, apply);
        await until(
          () => {
            operator.assertRunning();
            return pipelines.every((p) => times.done(p));
          },
          APPLY_TIMEOUT_MS * 5,
          20,
        );
      }
      return {};
    });
  } finally {
    times.stop();
  }
  const since = (at: Map<string, number>) =>
    new Map(
      pipelines.map((p) => {
        const end = at.get(p);
        return [p, end === undefined ? undefined : Math.max(0, end - createdAt.get(p)!)];
      }),
    );
  return {
    namespace,
    pipelines: pipelines.length,
    createsInFlight: inFlight,
    childrenPresent: latency(since(times.childrenAt)),
    statusObserved: latency(since(times.statusAt)),
    modelPromoted: latency(since(times.promotedAt)),
    ready: latency(since(times.readyAt)),
    ...phase,
  };
}

/**
 * The test bed's API server gives Services a /24 (254 ClusterIPs) and every pipeline has a
 * Service: past ~250 pipelines their Services fail with 500 and the pipelines never reconcile.
 * A second ServiceCIDR (4,094 addresses) makes room, as a real cluster's range would (kubeadm's
 * default is a /12).
 */
async function widenServiceRange(kc: k8s.KubeConfig): Promise<void> {
  const networking = kc.makeApiClient(k8s.NetworkingV1Api);
  const name = 'bench-operator-fleet';
  await networking.createServiceCIDR({
    body: { metadata: { name }, spec: { cidrs: ['10.1.0.0/20'] } },
  });
  const served = async () =>
    ((await networking.readServiceCIDR({ name })).status?.conditions ?? []).some(
      (c) => c.type === 'Ready' && c.status === 'True',
    );
  const deadline = Date.now() + 30_000;
  while (!(await served())) {
    if (Date.now() > deadline) throw new Error(`ServiceCIDR ${name} is not Ready after 30 s`);
    await sleep(200);
  }
}

/** Directories made for the run (compiled operators, the baseline's tree), removed at the end. */
const scratchDirs: string[] = [];

/**
 * The operator's command line after `node`, for the sources under `sourceRoot` (the repository,
 * or the baseline's tree). `compiled` builds them with tsc into a temporary directory (never the
 * repository's dist/) that resolves packages from ours.
 */
async function operatorEntry(sourceRoot = root): Promise<string[]> {
  if (RUNTIME === 'tsx') return ['--import', 'tsx', path.join(sourceRoot, 'operator/src/main.ts')];
  if (RUNTIME !== 'compiled' && RUNTIME !== 'bundled')
    throw new Error(`BENCH_OPERATOR_RUNTIME=${RUNTIME}: expected tsx, compiled or bundled`);
  if (RUNTIME === 'bundled') {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'inquiry-bench-operator-'));
    scratchDirs.push(outDir);
    // As in docker/operator.Dockerfile: the RoutingPolicy validation reads the CRD at run time
    // (`../../crds` from the module).
    await cp(path.join(sourceRoot, 'crds'), path.join(outDir, 'crds'), { recursive: true });
    const bundle = path.join(outDir, 'operator/src/main.mjs');
    log(`bundling the operator of ${sourceRoot} with esbuild into ${bundle}`);
    await bundleOperator(sourceRoot, bundle);
    return [bundle];
  }
  log(`compiling the operator of ${sourceRoot} with tsc`);
  const outDir = await compiledTree(sourceRoot, root);
  scratchDirs.push(outDir);
  const main = path.join(outDir, 'operator/src/main.js');
  if (!existsSync(main)) throw new Error(`tsc did not emit ${main}`);
  return [main];
}

/** The tree of a git revision (`git archive`), with our node_modules: the baseline's sources. */
async function checkout(revision: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inquiry-bench-baseline-'));
  scratchDirs.push(dir);
  execFileSync('sh', ['-c', `git archive "$1" | tar -x -C "$2"`, 'sh', revision, dir], {
    cwd: root,
  });
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** Until the operator's queue is empty and no reconcile ran for a second (false at the timeout). */
async function waitDrained(operator: OperatorProcess, timeoutMs: number): Promise<boolean> {
  let before = -1;
  let latest: Samples | undefined;
  return until(
    () => {
      operator.assertRunning();
      void operator.metrics().then(
        (samples) => (latest = samples),
        () => undefined,
      );
      const depth = latest?.get('inquiry_operator_queue_depth') ?? -1;
      const total = [...(latest ?? new Map<string, number>())]
        .filter(([key]) => key.startsWith('inquiry_operator_reconciles_total'))
        .reduce((sum, [, value]) => sum + value, 0);
      const quiet = depth === 0 && total === before;
      before = total;
      return quiet;
    },
    timeoutMs,
    1000,
  );
}

/**
 * Argo's CRDs of one kind, applied by the test bed's own field manager over the ones installed
 * (so the schema of the other kind is dropped), and served before this returns.
 */
async function installArgoCrds(kubeconfig: string, kind: ArgoCrds): Promise<void> {
  const files = (await upstreamCrdFiles(kind)).filter((file) =>
    path.basename(file).includes('argoproj.io_'),
  );
  await installCrds(kubeconfig, files);
}

interface Round {
  label: string;
  entry: string[];
  argoCrds: ArgoCrds;
}

/**
 * Bursts of two setups in one run, alternating (first, second, second, first) so that neither
 * gets the quieter half of the machine: the baseline's operator against the current one, or the
 * current one under full against minimal Argo CRDs. Each round has its own namespace, watched
 * alone by its own operator (WATCH_NAMESPACE), and deleted (and gone) before the next round
 * starts, so no round pays for another's objects.
 */
async function compareBursts(probe: Probe, cluster: Cluster, pair: readonly [Round, Round]) {
  const order = [pair[0], pair[1], pair[1], pair[0]];
  let installed = FIRST_ARGO_CRDS;
  const core = probe.kc.makeApiClient(k8s.CoreV1Api);
  const rounds = [];
  for (const [i, { label, entry, argoCrds }] of order.entries()) {
    if (argoCrds !== installed) {
      await installArgoCrds(probe.env.kubeconfig, argoCrds);
      installed = argoCrds;
    }
    const namespace = `bench-burst-${i + 1}-${label}`;
    const operator = await OperatorProcess.start(probe.env.kubeconfig, entry, {
      WATCH_NAMESPACE: namespace,
    });
    try {
      await operator.waitReady();
      log(`round ${i + 1}: ${label} operator ready; burst`);
      const burst = await applyLatency(probe, cluster, operator, namespace, IN_FLIGHT);
      log(
        `round ${i + 1} ${label}: Ready p50 ${burst.ready.p50Ms} ms, p99 ${burst.ready.p99Ms} ms`,
      );
      rounds.push({
        round: i + 1,
        operator: label,
        argoCrds,
        ...burst,
        operatorMemory: operator.memory(),
        operatorWarnings: { count: operator.warningCount, first: operator.warnings },
      });
      // Deleted while its operator runs: the ModelVersions' finalizer is the operator's.
      await core.deleteNamespace({ name: namespace });
      let gone = false;
      const deadline = Date.now() + 240_000;
      while (!gone && Date.now() < deadline) {
        gone = await core.readNamespace({ name: namespace }).then(
          () => false,
          () => true,
        );
        if (!gone) await sleep(2000);
      }
      log(`round ${i + 1}: namespace ${namespace} ${gone ? 'deleted' : 'still terminating'}`);
    } finally {
      await operator.stop();
    }
  }
  return rounds;
}

/** The code measured: the operator is edited while benchmarks run. */
function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
}

// --- main ---

const env = await up({ detach: false });
try {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  const probe: Probe = { env, kc, operatorEntry: await operatorEntry() };
  const crdDir = path.join(root, 'crds');
  const crdFiles = (await readdir(crdDir))
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => path.join(crdDir, file));
  await installCrds(env.kubeconfig, crdFiles);
  if (FIRST_ARGO_CRDS === 'minimal') await installArgoCrds(env.kubeconfig, 'minimal');
  await widenServiceRange(kc);
  const cluster = new Cluster(kc);
  // Built from the Go module, the binary reports no version of its own (v0.0.0-master).
  const served = (await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion;
  const kubernetes = served.startsWith('v0.0.0') ? KUBERNETES_VERSION : served;
  const uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  const code = {
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommittedOperatorFiles: git('status', '--porcelain', '--', 'operator', 'lib')
      .split('\n')
      .filter(Boolean),
  };

  podsRun = env.node;
  const machine = () => ({
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    kubernetes,
    podsRun,
    operatorRuntime: RUNTIME,
    ...code,
    operatorNodeFlags: NODE_FLAGS,
    operatorWorkers: WORKERS,
    argoCrds: ARGO_CRDS,
    uptimeAtStart: uptime,
    uptimeAtEnd: execFileSync('uptime', { encoding: 'utf8' }).trim(),
  });
  const pair: readonly [Round, Round] | undefined = BASELINE
    ? [
        {
          label: 'baseline',
          entry: await operatorEntry(await checkout(BASELINE)),
          argoCrds: FIRST_ARGO_CRDS,
        },
        { label: 'current', entry: probe.operatorEntry, argoCrds: FIRST_ARGO_CRDS },
      ]
    : ARGO_CRDS === 'both'
      ? [
          { label: 'full', entry: probe.operatorEntry, argoCrds: 'full' },
          { label: 'minimal', entry: probe.operatorEntry, argoCrds: 'minimal' },
        ]
      : undefined;
  if (pair) {
    const baseline = BASELINE ? git('rev-parse', '--short', BASELINE) : undefined;
    const rounds = await compareBursts(probe, cluster, pair);
    const summary = (label: string) =>
      rounds
        .filter((r) => r.operator === label)
        .map((r) => ({
          round: r.round,
          readyP50Ms: r.ready.p50Ms,
          readyP99Ms: r.ready.p99Ms,
          childrenP50Ms: r.childrenPresent.p50Ms,
          statusP50Ms: r.statusObserved.p50Ms,
          promotedP50Ms: r.modelPromoted.p50Ms,
          reconciles: r.reconciles,
          wallSeconds: r.wallSeconds,
          cpuSeconds: Object.fromEntries(
            Object.entries(r.cpu as Record<string, { cpuSeconds: number }>).map(([name, v]) => [
              name,
              v.cpuSeconds,
            ]),
          ),
          load: r.load,
        }));
    console.log(
      JSON.stringify({
        bench: 'operator-burst-comparison',
        machine: { ...machine(), baseline },
        pipelinesPerBurst: APPLY_PIPELINES,
        createsInFlight: IN_FLIGHT,
        summary: Object.fromEntries(pair.map((r) => [r.label, summary(r.label)])),
        rounds,
      }),
    );
    process.exitCode = 0;
  } else {
    const fleetRun = await fleet(probe, cluster);
    const operator = fleetRun.operator;
    log('apply latency: one at a time');
    const sequential = await applyLatency(probe, cluster, operator, 'bench-apply-sequential', 1);
    log(`apply latency: burst, ${IN_FLIGHT} in flight`);
    const burst = await applyLatency(probe, cluster, operator, 'bench-apply-burst', IN_FLIGHT);
    const memoryAfterAll = operator.memory();

    console.log(
      JSON.stringify({
        bench: 'operator-fleet',
        machine: machine(),
        fleet: fleetRun.result,
        applySequential: sequential,
        applyBurst: burst,
        operatorMemoryAtEnd: memoryAfterAll,
        operatorWarnings: { count: operator.warningCount, first: operator.warnings },
        targets: {
          applyReadyP50Under200Ms: {
            sequential: (sequential.ready.p50Ms ?? Infinity) < 200,
            burst: (burst.ready.p50Ms ?? Infinity) < 200,
          },
          fullSyncUnder60s:
            fleetRun.result.fullSync.complete && fleetRun.result.fullSync.seconds < 60,
          rssUnder250Mb: fleetRun.result.memory.peakMb < 250,
        },
      }),
    );
  }
} finally {
  for (const operator of operators) await operator.stop();
  await stopRun(env.runDir);
  for (const dir of scratchDirs) await rm(dir, { recursive: true, force: true });
}
