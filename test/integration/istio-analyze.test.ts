/**
 * `istioctl analyze` (built by the test bed from istio.io/istio's Go module) over the Istio
 * objects the operator writes for a pipeline in each traffic state, together with the mesh
 * policies of `istio/`. No Envoy runs on these machines (Istio's data plane cannot be had here),
 * so the routes are never exercised by real traffic: this analysis and the server-side dry run
 * against the upstream CRDs (builders.test.ts) are what checks them.
 *
 * Files (`--use-kube=false`): istioctl drops Services, Pods, Namespaces, Nodes and Secrets read
 * from files, so the analyzers that need them (a route's host against its Service, subsets
 * against pods, port names, injection) are skipped; those that run check each route's subsets
 * against the DestinationRule, the Gateway it binds to, conflicting hosts, and Istio's own
 * validation of every field. So the same states are also written by the operator's IstioRouter
 * into the test bed's API server, beside the Deployments whose pods the controller-manager
 * creates (Pending without a node: enough for their labels), and analyzed there.
 */
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { withDefaults } from '../../operator/src/builders/defaults.js';
import { ownerOf } from '../../operator/src/builders/common.js';
import { buildNamespaceIdentities } from '../../operator/src/builders/identity.js';
import {
  buildInferenceDeployment,
  buildInferenceService,
} from '../../operator/src/builders/serving.js';
import { KubeClient } from '../../operator/src/kube/client.js';
import type { InquiryPipeline } from '../../operator/src/resources.js';
import { LABELS } from '../../operator/src/names.js';
import {
  buildDestinationRule,
  buildVirtualService,
  IstioRouter,
} from '../../operator/src/traffic/istio.js';
import type { TrafficState } from '../../operator/src/traffic/routes.js';
import { pipelineObject } from '../fixtures.js';
import { deleteNamespaces, eventually, installPlatformCrds, testbed } from './testbed.js';

const run = promisify(execFile);
const ISTIO_DIR = fileURLToPath(new URL('../../istio/', import.meta.url));
/** istio/ binds the Gateway's hosts to VirtualServices of this namespace. */
const NAMESPACE = 'inquiries';

interface AnalysisMessage {
  code: string;
  level: 'Error' | 'Warning' | 'Info';
  message: string;
  origin: string;
}

/**
 * `istioctl analyze --use-kube=false -A` of `files`: its messages. `-A` matters: without it
 * istioctl analyzes the `default` namespace only and says nothing of objects elsewhere.
 */
async function analyze(files: string[]): Promise<AnalysisMessage[]> {
  return istioctlAnalyze(['--use-kube=false', '--all-namespaces', ...files]);
}

async function istioctlAnalyze(options: string[]): Promise<AnalysisMessage[]> {
  const args = ['analyze', '--output', 'json', ...options];
  try {
    const { stdout } = await run(testbed.istioctl, args, { maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(stdout) as AnalysisMessage[];
  } catch (error) {
    // Exit code 79: the analysis found errors, listed on stdout like any other message.
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (failed.code === 79 && failed.stdout) return JSON.parse(failed.stdout) as AnalysisMessage[];
    throw new Error(`istioctl ${args.join(' ')} failed: ${failed.stderr ?? String(error)}`, {
      cause: error,
    });
  }
}

const owner = (name: string, index: number, namespace = NAMESPACE) => ({
  apiVersion: 'inquiries.mlops.io/v1alpha1',
  kind: 'InquiryPipeline',
  metadata: {
    name,
    namespace,
    uid: `0b5e5a4e-0000-4000-8000-00000000000${index}`,
  },
});

/** A pipeline's spec, published on `host` through the Gateway, or in the mesh only. */
const specWith = (host: string | undefined) =>
  withDefaults({
    databaseSecretRef: { name: 'inquiries-db' },
    mlflow: { trackingUri: 'http://mlflow.mlflow.svc:5000' },
    serving: host ? { host } : {},
  });

/** A/B by headers (each kind of comparison) or by cookie, before a 10 % weight. */
const AB_MATCH = [
  {
    headers: [
      { name: 'x-canary', exact: 'insider' },
      { name: 'x-release', regex: '(?i)beta-[0-9]+' },
      { name: 'x-tenant', prefix: 'acme-' },
    ],
  },
  { cookie: { name: 'canary', value: 'always' } },
];

const STATES: [string, TrafficState][] = [
  ['stable only', { kind: 'stable' }],
  ['a weighted canary', { kind: 'canary', candidate: 'v2', weight: 25 }],
  ['an A/B canary', { kind: 'canary', candidate: 'v2', weight: 10, match: AB_MATCH }],
  [
    'an A/B canary before any weight',
    { kind: 'canary', candidate: 'v2', weight: 0, match: AB_MATCH },
  ],
  ['a shadow mirror', { kind: 'shadow', candidate: 'v2' }],
];

/**
 * What the operator writes for two pipelines in `traffic`: one published on the Gateway of
 * istio/ (`serving.host`), one reached in the mesh only. Their Services too (istioctl ignores
 * them from files, but they are part of what the operator writes).
 */
function operatorObjects(traffic: TrafficState): object[] {
  const pipelines = [
    { owner: owner('support-emea', 1), host: 'inquiries.example.com' },
    { owner: owner('support-apac', 2), host: undefined },
  ];
  return pipelines.flatMap(({ owner, host }) => {
    const spec = specWith(host);
    const name = owner.metadata.name;
    const versioned: TrafficState =
      traffic.kind === 'stable' ? traffic : { ...traffic, candidate: `${name}-v2` };
    return [
      buildInferenceService(owner),
      buildDestinationRule(owner, { stable: `${name}-v1`, traffic: versioned }),
      buildVirtualService(owner, spec, versioned),
    ];
  });
}

describe('istioctl analyze over the operator’s Istio objects', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'istio-analyze-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, objects: object[]): Promise<string> {
    const file = path.join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.yaml`);
    await writeFile(file, objects.map((object) => stringify(object)).join('---\n'));
    return file;
  }

  it.each(STATES)('finds nothing to report with %s, beside istio/', async (state, traffic) => {
    const file = await write(state, operatorObjects(traffic));
    expect(await analyze([file, ISTIO_DIR])).toEqual([]);
  });

  it('reports the Gateway a published pipeline names when istio/ is not there', async () => {
    // The operator's routes rely on istio/gateway.yaml; the analysis sees it is missing (and so
    // is shown to read the objects at all).
    const file = await write('without-istio-dir', operatorObjects(STATES[1]![1]));
    const messages = await analyze([file]);
    expect(messages).toContainEqual(
      expect.objectContaining({
        code: 'IST0101',
        level: 'Error',
        origin: `VirtualService ${NAMESPACE}/support-emea-inference`,
        message: 'Referenced gateway not found: "istio-system/inquiry-gateway"',
      }),
    );
    expect(messages.filter((m) => m.origin.includes('support-apac'))).toEqual([]);
  });

  it('warns of a published pipeline outside the namespace the Gateway admits', async () => {
    // istio/gateway.yaml lets VirtualServices of `inquiries` only bind its hosts: a pipeline
    // elsewhere with `serving.host` is reached in the mesh, not through the Gateway.
    const elsewhere = owner('support-emea', 3, 'support');
    const spec = specWith('inquiries.example.com');
    const file = await write('outside-inquiries', [
      buildDestinationRule(elsewhere, { stable: 'support-emea-v1', traffic: { kind: 'stable' } }),
      buildVirtualService(elsewhere, spec, { kind: 'stable' }),
    ]);
    expect(await analyze([file, ISTIO_DIR])).toEqual([
      expect.objectContaining({
        code: 'IST0132',
        level: 'Warning',
        origin: 'VirtualService support/support-emea-inference',
        message: expect.stringContaining(
          'not found in Gateway istio-system/inquiry-gateway',
        ) as string,
      }),
    ]);
  });

  it('reports a route to a subset the DestinationRule lacks', async () => {
    // A candidate's route written before its subset: what the operator's write order prevents.
    const emea = owner('support-emea', 1);
    const canary: TrafficState = { kind: 'canary', candidate: 'support-emea-v2', weight: 25 };
    const file = await write('route-before-subset', [
      buildDestinationRule(emea, { stable: 'support-emea-v1', traffic: { kind: 'stable' } }),
      buildVirtualService(emea, specWith(undefined), canary),
    ]);
    expect(await analyze([file, ISTIO_DIR])).toContainEqual(
      expect.objectContaining({
        code: 'IST0101',
        message:
          'Referenced host+subset in destinationrule not found: "support-emea-inference.inquiries.svc.cluster.local+canary"',
      }),
    );
  });
});

describe('istioctl analyze over what the IstioRouter wrote to the API server', () => {
  const kc = testbed.kubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const kube = new KubeClient(kc);
  const namespace = `istio-analyze-${randomBytes(3).toString('hex')}`;
  let pipeline: InquiryPipeline;

  beforeAll(async () => {
    await installPlatformCrds();
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    pipeline = (await custom.createNamespacedCustomObject({
      group: 'inquiries.mlops.io',
      version: 'v1alpha1',
      namespace,
      plural: 'inquirypipelines',
      body: pipelineObject('support-emea'),
    })) as InquiryPipeline;
  });

  afterAll(async () => {
    await deleteNamespaces(kc, [namespace], { operatorStopped: true });
  });

  /** The Deployment of each served version, as the reconcilers write them, and its pod. */
  async function serve(models: Parameters<typeof buildInferenceDeployment>[2][]): Promise<void> {
    const owner = ownerOf(pipeline);
    const spec = withDefaults(pipeline.spec);
    for (const model of models) await kube.apply(buildInferenceDeployment(owner, spec, model));
    await eventually(`a pod of ${models.map((m) => m.name).join(', ')}`, async () => {
      const pods = await core.listNamespacedPod({ namespace });
      const versions = pods.items.map((p) => p.metadata?.labels?.[LABELS.modelVersion]);
      return models.every((m) => versions.includes(m.name)) ? true : undefined;
    });
  }

  /**
   * Messages for `namespace` only, less the two the test bed explains, each listed:
   * - IST0103 on every pod, no sidecar: no Istio control plane (so no injector) runs here.
   * - IST0102 on the namespace, no `istio-injection` label: by design the inference pods opt in
   *   with their own `sidecar.istio.io/inject: "true"` label, which Istio's injector honours in
   *   an unlabelled namespace; labelling the namespace would also inject the Workflow pods.
   */
  async function analyzeNamespace(): Promise<AnalysisMessage[]> {
    const messages = await istioctlAnalyze(['--kubeconfig', testbed.kubeconfig, '-n', namespace]);
    const explained = (m: AnalysisMessage) =>
      (m.code === 'IST0103' && m.origin.startsWith(`Pod ${namespace}/`)) ||
      (m.code === 'IST0102' && m.origin === `Namespace ${namespace}`);
    expect(messages.filter(explained).map((m) => m.code)).toContain('IST0102');
    return messages.filter((m) => !explained(m));
  }

  it('finds nothing but the sidecars no injector added, in each traffic state in turn', async () => {
    const owner = ownerOf(pipeline);
    for (const object of [
      ...buildNamespaceIdentities(owner.metadata.namespace),
      buildInferenceService(owner),
    ])
      await kube.apply(object);
    const stable = {
      name: 'support-emea-v1',
      artifactUri: 'mlflow-artifacts:/1/a',
      subset: 'stable' as const,
    };
    const candidate = {
      name: 'support-emea-v2',
      artifactUri: 'mlflow-artifacts:/1/b',
      subset: 'canary' as const,
    };
    const router = new IstioRouter(kube);
    await serve([stable]);
    // A candidate routed before it has a pod (what the operator's readiness gate prevents):
    // the analysis reads the pods, and says so.
    await router.setRoutes(pipeline, {
      stable: stable.name,
      traffic: { kind: 'canary', candidate: 'support-emea-v9', weight: 10 },
    });
    expect(await analyzeNamespace()).toContainEqual(
      expect.objectContaining({
        code: 'IST0173',
        message: expect.stringContaining(
          'The Subset canary defined in the DestinationRule does not select any pods',
        ) as string,
      }),
    );
    const findings: Record<string, AnalysisMessage[]> = {};
    for (const [state, traffic] of STATES) {
      const versioned: TrafficState =
        traffic.kind === 'stable' ? traffic : { ...traffic, candidate: candidate.name };
      if (traffic.kind !== 'stable')
        await serve([
          {
            ...candidate,
            shadow: traffic.kind === 'shadow',
            weight: traffic.kind === 'canary' ? traffic.weight : undefined,
          },
        ]);
      await router.setRoutes(pipeline, { stable: stable.name, traffic: versioned });
      expect(await router.getRoutes(pipeline)).toEqual({ stable: stable.name, traffic: versioned });
      findings[state] = await analyzeNamespace();
    }
    expect(findings).toEqual(Object.fromEntries(STATES.map(([state]) => [state, []])));
  });
});
