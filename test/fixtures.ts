/**
 * The platform's custom resources as tests write them, in one place: an InquiryPipeline, a
 * ModelVersion, the short canary rollout the operator tests walk, and a pipeline as the owner
 * the builders take.
 */
import type { InquiryPipelineSpec } from '../crds/generated/inquirypipelines.js';
import type { ModelVersionSpec } from '../crds/generated/modelversions.js';

const API_VERSION = 'inquiries.mlops.io/v1alpha1';

/** An InquiryPipeline named `name`: database Secret `db`, MLflow at `http://mlflow:5000` unless `spec` says. */
export function pipelineObject(name: string, spec: Partial<InquiryPipelineSpec> = {}) {
  return {
    apiVersion: API_VERSION,
    kind: 'InquiryPipeline' as const,
    metadata: { name },
    spec: {
      databaseSecretRef: { name: 'db' },
      mlflow: { trackingUri: 'http://mlflow:5000' },
      ...spec,
    },
  };
}

/** A ModelVersion named `name` of `spec.pipeline`. */
export function modelVersionObject(name: string, spec: ModelVersionSpec) {
  return { apiVersion: API_VERSION, kind: 'ModelVersion' as const, metadata: { name }, spec };
}

type Rollout = NonNullable<ModelVersionSpec['rollout']>;

/** Online accuracy from MLflow, at least 0.8 over at least 100 labels. */
export const ONLINE_ACCURACY_METRIC = {
  name: 'online-accuracy',
  provider: 'mlflow' as const,
  metric: 'online.accuracy',
  sampleMetric: 'online.samples',
  minSamples: 100,
  min: 0.8,
};

/** A Canary through `steps`, analysed every second, one failure tolerated. */
export function quickCanary(steps: Rollout['steps'], extra: Partial<Rollout> = {}): Rollout {
  return {
    strategy: 'Canary',
    steps,
    analysis: { interval: '1s', failureLimit: 1, metrics: [ONLINE_ACCURACY_METRIC] },
    ...extra,
  };
}

/** A pipeline as the builders take it (an owner with identity), `support-emea` in `inquiries`. */
export const OWNER = {
  apiVersion: API_VERSION,
  kind: 'InquiryPipeline',
  metadata: {
    name: 'support-emea',
    namespace: 'inquiries',
    uid: '0b5e5a4e-0000-4000-8000-000000000001',
  },
};
