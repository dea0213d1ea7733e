/**
 * The InquiryPipeline's serving: the inference Deployment (one per model version: the stable one
 * and, during a rollout, the canary), its Service, an optional HorizontalPodAutoscaler, and the
 * ConfigMap that carries a RoutingPolicy to the server. The routes between the versions are
 * traffic/istio.ts's.
 */
import type {
  V1ConfigMap,
  V1Deployment,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { RoutingPolicySpec } from '../../../crds/generated/routingpolicies.js';
import { LABELS, names } from '../names.js';
import {
  childMetadata,
  containerSecurity,
  DEFAULT_IMAGE,
  POLICY_DIR,
  podSecurity,
  policyFileOf,
  type Owner,
} from './common.js';
import type { ResolvedPipelineSpec } from './defaults.js';
import { modelName } from './workflows.js';

export type Subset = 'stable' | 'canary';

export interface ServedModel {
  /** ModelVersion resource name: the Deployment and the subset carry it as a label. */
  name: string;
  /** MLflow artifact location of the bundle. */
  artifactUri: string;
  subset: Subset;
  /** A Shadow rollout's candidate: receives mirrored traffic, classifies, stores nothing. */
  shadow?: boolean;
  /** A canary's share of the requests (percent): its replicas follow it. */
  weight?: number;
}

/** The replicas the stable track runs: the pipeline's, or its autoscaler's floor. */
export function stableReplicas(spec: ResolvedPipelineSpec): number {
  return spec.serving.autoscaling?.enabled
    ? (spec.serving.autoscaling.minReplicas ?? 1)
    : spec.serving.replicas;
}

/**
 * A candidate's replicas follow its share of the requests: ⌈stable × weight %⌉, at least one
 * (a step of weight 0 still answers its matched requests), at most the stable track's. A
 * Shadow receives a mirror of every request: as many as stable.
 */
export function canaryReplicas(
  spec: ResolvedPipelineSpec,
  share: { weight: number } | 'shadow',
): number {
  const stable = Math.max(1, stableReplicas(spec));
  if (share === 'shadow') return stable;
  return Math.min(stable, Math.max(1, Math.ceil((stable * share.weight) / 100)));
}

/**
 * The share (percent) `available` candidate pods carry beside the stable track: the inverse of
 * `canaryReplicas`, so a step's weight goes live once the pods sized for it are available.
 */
export function canaryCapacity(spec: ResolvedPipelineSpec, available: number): number {
  if (available <= 0) return 0;
  const stable = Math.max(1, stableReplicas(spec));
  return available >= stable ? 100 : Math.max(1, Math.floor((available * 100) / stable));
}

const PORT = 8080;

const DEFAULT_RESOURCES = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
};

const QUANTITY = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const UNIT_BYTES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/**
 * NODE_OPTIONS of the inference server from its container's memory limit. Without a heap
 * limit Node sizes the heap from the memory it sees and lets garbage grow towards it; the
 * server's native memory (onnxruntime's session and arenas, code, buffers: about 130 MB,
 * bench/RESULTS.md) lives outside the heap, so the old space gets a quarter of the limit
 * (128 MiB of the default 512Mi). Undefined when the limit is absent or not a plain quantity.
 */
export function inferenceNodeOptions(memoryLimit: string | undefined): string | undefined {
  const match = memoryLimit === undefined ? null : QUANTITY.exec(memoryLimit);
  if (!match) return undefined;
  const mib = (Number(match[1]) * (match[2] ? UNIT_BYTES[match[2]]! : 1)) / 2 ** 20;
  return `--max-old-space-size=${Math.max(64, Math.floor(mib / 4))} --max-semi-space-size=8`;
}

export function buildInferenceDeployment(
  owner: Owner,
  spec: ResolvedPipelineSpec,
  model: ServedModel,
): V1Deployment {
  const name =
    model.subset === 'stable'
      ? names.inference(owner.metadata.name)
      : names.canaryDeployment(owner.metadata.name, model.name);
  // The selector is immutable: it names the track (stable, canary), never the model version,
  // which changes at every promotion and lives on the pods (the DestinationRule subsets use it).
  const selector = { app: names.inference(owner.metadata.name), [LABELS.track]: model.subset };
  const labels = { ...selector, [LABELS.modelVersion]: model.name };
  const resources = spec.serving.resources ?? DEFAULT_RESOURCES;
  const limits = resources.limits as { memory?: unknown } | undefined;
  const nodeOptions = inferenceNodeOptions(
    typeof limits?.memory === 'string' ? limits.memory : undefined,
  );
  const replicas =
    model.subset === 'stable'
      ? spec.serving.autoscaling?.enabled
        ? undefined
        : spec.serving.replicas
      : canaryReplicas(spec, model.shadow ? 'shadow' : { weight: model.weight ?? 0 });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      ...childMetadata(owner, name, `inference-${model.subset}`),
      labels: { ...childMetadata(owner, name, `inference-${model.subset}`).labels, ...labels },
    },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: { ...labels, 'sidecar.istio.io/inject': 'true' },
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: names.inferenceServiceAccount,
          securityContext: podSecurity,
          automountServiceAccountToken: false,
          initContainers: [
            {
              // The bundle comes from the MLflow artifact store before the server starts.
              name: 'fetch-model',
              image: spec.image ?? DEFAULT_IMAGE,
              command: ['inquiry-pipeline'],
              args: [
                'fetch-model',
                '--source',
                model.artifactUri,
                '--out',
                '/var/lib/inquiry/model',
              ],
              env: [{ name: 'MLFLOW_TRACKING_URI', value: spec.mlflow.trackingUri }],
              securityContext: containerSecurity,
              volumeMounts: [{ name: 'model', mountPath: '/var/lib/inquiry/model' }],
            },
          ],
          containers: [
            {
              name: 'inference',
              image: spec.image ?? DEFAULT_IMAGE,
              command: ['inquiry-server'],
              ports: [{ name: 'http', containerPort: PORT }],
              env: [
                { name: 'HOST', value: '0.0.0.0' },
                { name: 'PORT', value: String(PORT) },
                {
                  name: 'DATABASE_URL',
                  valueFrom: {
                    secretKeyRef: {
                      name: spec.databaseSecretRef.name,
                      key: spec.databaseSecretRef.key,
                    },
                  },
                },
                { name: 'MLFLOW_TRACKING_URI', value: spec.mlflow.trackingUri },
                { name: 'MODEL_NAME', value: modelName(owner, spec) },
                { name: 'MODEL_DIR', value: '/var/lib/inquiry/model' },
                { name: 'ROUTING_POLICY_FILE', value: policyFileOf(spec) },
                ...(nodeOptions ? [{ name: 'NODE_OPTIONS', value: nodeOptions }] : []),
                ...(model.shadow ? [{ name: 'SERVING_ROLE', value: 'shadow' }] : []),
              ],
              resources,
              readinessProbe: {
                httpGet: { path: '/readyz', port: 'http' },
                periodSeconds: 5,
                failureThreshold: 3,
              },
              livenessProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                periodSeconds: 10,
                failureThreshold: 3,
              },
              startupProbe: {
                httpGet: { path: '/healthz', port: 'http' },
                periodSeconds: 2,
                failureThreshold: 60,
              },
              securityContext: containerSecurity,
              volumeMounts: [
                ...(spec.routingPolicyRef
                  ? [{ name: 'policy', mountPath: POLICY_DIR, readOnly: true }]
                  : []),
                { name: 'model', mountPath: '/var/lib/inquiry/model' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            ...(spec.routingPolicyRef
              ? [
                  {
                    name: 'policy',
                    configMap: { name: names.policyConfigMap(spec.routingPolicyRef.name) },
                  },
                ]
              : []),
            { name: 'model', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}

export function buildInferenceService(owner: Owner): V1Service {
  const name = names.inference(owner.metadata.name);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(owner, name, 'inference'),
    spec: {
      selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    },
  };
}

export function buildAutoscaler(
  owner: Owner,
  spec: ResolvedPipelineSpec,
): V2HorizontalPodAutoscaler | undefined {
  const autoscaling = spec.serving.autoscaling;
  if (!autoscaling?.enabled) return undefined;
  const name = names.inference(owner.metadata.name);
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMetadata(owner, name, 'inference'),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: autoscaling.minReplicas ?? 2,
      maxReplicas: autoscaling.maxReplicas ?? 10,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: {
              type: 'Utilization',
              averageUtilization: autoscaling.targetCPUUtilization ?? 70,
            },
          },
        },
      ],
    },
  };
}

export function buildPolicyConfigMap(policy: Owner & { spec: RoutingPolicySpec }): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      ...childMetadata(policy, names.policyConfigMap(policy.metadata.name), 'routing-policy'),
      labels: { [LABELS.managedBy]: 'inquiry-operator', [LABELS.component]: 'routing-policy' },
    },
    data: { 'routing_rules.yaml': stringify(policy.spec) },
  };
}
