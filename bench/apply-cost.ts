/**
 * What a new child object costs the API server, by how it is written: server-side apply (what the
 * operator does, `KubeClient.apply`) against a plain create (POST). The API server is what limits
 * the operator's burst and sync (bench/RESULTS.md, "Operator fleet"), and most of a new pipeline's
 * writes create objects: this measures whether creating them would be cheaper.
 *
 * For each kind the operator writes per pipeline (CronWorkflow, Deployment, Service, HPA), an
 * unmeasured round warms the API server up (a kind's first round costs more, whichever way), then
 * rounds of BENCH_APPLY_OBJECTS (default 40; the test bed's Service range holds ~250) new objects
 * (8 writes in flight) alternate between the two ways, twice each, in the order apply, create,
 * create, apply; then the same objects are applied again
 * unchanged (what the operator's apply memo now skips). The figure is the kube-apiserver's and
 * etcd's CPU time per object, from /proc. The objects carry no owner (no garbage collection work
 * in between). Run on the test bed without its node: `TESTBED_NODE=0 npm run bench:apply-cost`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { withDefaults } from '../operator/src/builders/defaults.js';
import {
  buildAutoscaler,
  buildInferenceDeployment,
  buildInferenceService,
  type ServedModel,
} from '../operator/src/builders/serving.js';
import { buildCronWorkflow } from '../operator/src/builders/workflows.js';
import { up, stopRun, type TestbedEnv } from '../scripts/testbed/testbed.js';
import { cpuMicros } from './processes.js';

const OBJECTS = Number(process.env.BENCH_APPLY_OBJECTS ?? 40);
const IN_FLIGHT = 8;
const FIELD_MANAGER = 'inquiry-operator';

const spec = withDefaults({
  databaseSecretRef: { name: 'inquiries-db' },
  mlflow: { trackingUri: 'http://mlflow.mlflow:5000', modelName: 'support-classifier' },
  ingestion: {
    source: { type: 'http', location: 'https://crm.example.internal/api/inquiries' },
  },
  classification: { shards: 4 },
  serving: { host: 'inquiries.example.com', autoscaling: { enabled: true } },
});

type Kind = 'CronWorkflow' | 'Deployment' | 'Service' | 'HorizontalPodAutoscaler';
const KINDS: Kind[] = ['CronWorkflow', 'Deployment', 'Service', 'HorizontalPodAutoscaler'];

/** A kind's object for the pipeline `name`, as the operator builds it, without its owner. */
function build(kind: Kind, name: string): k8s.KubernetesObject {
  const owner = {
    apiVersion: 'inquiries.mlops.io/v1alpha1',
    kind: 'InquiryPipeline',
    metadata: { name, namespace: 'default', uid: '00000000-0000-4000-8000-000000000000' },
  };
  const served: ServedModel = { subset: 'stable', name: 'support-v1', artifactUri: 'models:/m/1' };
  const object: k8s.KubernetesObject =
    kind === 'CronWorkflow'
      ? buildCronWorkflow(owner, spec, 'classify')
      : kind === 'Deployment'
        ? buildInferenceDeployment(owner, spec, served)
        : kind === 'Service'
          ? buildInferenceService(owner)
          : buildAutoscaler(owner, spec)!;
  delete object.metadata!.ownerReferences;
  return object;
}

function daemonPids(env: TestbedEnv): Record<'kube-apiserver' | 'etcd', number> {
  const state = JSON.parse(readFileSync(path.join(env.runDir, 'state.json'), 'utf8')) as {
    daemons: { name: string; pid: number }[];
  };
  const pid = (name: string) => state.daemons.find((daemon) => daemon.name === name)!.pid;
  return { 'kube-apiserver': pid('kube-apiserver'), etcd: pid('etcd') };
}

async function inFlight<T>(items: readonly T[], work: (item: T) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const env = await up({ detach: false });
try {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const pids = daemonPids(env);
  const ways = {
    apply: (object: k8s.KubernetesObject) =>
      objects.patch(
        object,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        k8s.PatchStrategy.ServerSideApply,
      ),
    create: (object: k8s.KubernetesObject) =>
      objects.create(object, undefined, undefined, FIELD_MANAGER),
  };
  let round = 0;
  /** API-server and etcd CPU milliseconds per object of one round. */
  async function measure(kind: Kind, way: keyof typeof ways, names: string[]) {
    const before = { api: cpuMicros(pids['kube-apiserver']), etcd: cpuMicros(pids.etcd) };
    const started = Date.now();
    await inFlight(names, (name) => ways[way](build(kind, name)));
    const wallMs = Date.now() - started;
    const per = (micros: number) => Number((micros / 1000 / names.length).toFixed(2));
    return {
      kind,
      way,
      objects: names.length,
      wallMs,
      apiServerMsPerObject: per(cpuMicros(pids['kube-apiserver']) - before.api),
      etcdMsPerObject: per(cpuMicros(pids.etcd) - before.etcd),
    };
  }
  const results = [];
  for (const kind of KINDS) {
    const applied: string[][] = [];
    await measure(
      kind,
      'apply',
      Array.from({ length: OBJECTS }, (_, i) => `warm-${i}`),
    );
    for (const way of ['apply', 'create', 'create', 'apply'] as const) {
      const names = Array.from({ length: OBJECTS }, (_, i) => `r${round}-${i}`);
      round++;
      if (way === 'apply') applied.push(names);
      results.push(await measure(kind, way, names));
    }
    // The same objects applied again, unchanged.
    results.push({ ...(await measure(kind, 'apply', applied[0]!)), way: 'apply unchanged' });
  }
  const uptime = execFileSync('uptime', { encoding: 'utf8' }).trim();
  console.log(JSON.stringify({ uptime, objects: OBJECTS, inFlight: IN_FLIGHT, results }));
  console.table(results);
} finally {
  await stopRun(env.runDir);
}
