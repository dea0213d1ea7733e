/**
 * InquiryPipeline defaults in one place. They agree with the CRD's schema defaults (a test reads
 * crds/inquirypipelines.yaml and compares), so an object applied with a client that skips the
 * API server's defaulting still reconciles the same.
 */
import type { InquiryPipelineSpec } from '../../../crds/generated/inquirypipelines.js';

export interface ResolvedPipelineSpec extends InquiryPipelineSpec {
  databaseSecretRef: { name: string; key: string };
  ingestion: NonNullable<InquiryPipelineSpec['ingestion']> & { schedule: string };
  classification: { schedule: string; shards: number };
  retraining: {
    schedule: string;
    triggers: { minNewLabels: number; driftThreshold: number; minOnlineAccuracy: number };
    /** Off-topic text the retrained category head learns to answer with low confidence. */
    outOfScopeExamples: 'builtin' | 'none';
    /** The rollout registered models carry; absent: the ModelVersion CRD's default. */
    rollout?: Record<string, unknown>;
  };
  serving: NonNullable<InquiryPipelineSpec['serving']> & { replicas: number };
}

export const PIPELINE_DEFAULTS = {
  databaseSecretKey: 'url',
  ingestionSchedule: '0 2 * * *',
  classificationSchedule: '0 * * * *',
  shards: 1,
  retrainingSchedule: '0 3 * * 0',
  triggers: { minNewLabels: 500, driftThreshold: 0.2, minOnlineAccuracy: 0.8 },
  outOfScopeExamples: 'builtin',
  replicas: 2,
  autoscaling: { enabled: false, minReplicas: 2, maxReplicas: 10, targetCPUUtilization: 70 },
} as const;

export function withDefaults(spec: InquiryPipelineSpec): ResolvedPipelineSpec {
  const d = PIPELINE_DEFAULTS;
  return {
    ...spec,
    databaseSecretRef: { key: d.databaseSecretKey, ...spec.databaseSecretRef },
    ingestion: { ...spec.ingestion, schedule: spec.ingestion?.schedule ?? d.ingestionSchedule },
    classification: {
      schedule: spec.classification?.schedule ?? d.classificationSchedule,
      shards: spec.classification?.shards ?? d.shards,
    },
    retraining: {
      schedule: spec.retraining?.schedule ?? d.retrainingSchedule,
      triggers: { ...d.triggers, ...spec.retraining?.triggers },
      outOfScopeExamples: spec.retraining?.outOfScopeExamples ?? d.outOfScopeExamples,
      ...(spec.retraining?.rollout ? { rollout: spec.retraining.rollout } : {}),
    },
    serving: {
      ...spec.serving,
      replicas: spec.serving?.replicas ?? d.replicas,
      ...(spec.serving?.autoscaling
        ? { autoscaling: { ...d.autoscaling, ...spec.serving.autoscaling } }
        : {}),
    },
  };
}
