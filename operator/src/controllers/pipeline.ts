/**
 * Reconciles an InquiryPipeline: computes its children with the pure builders, applies them
 * (server-side apply, so a deleted or hand-edited child is restored), and writes status with
 * conditions. Level-triggered: running it twice changes nothing.
 */
import type {
  InquiryPipelineSpec,
  InquiryPipelineStatus,
} from '../../../crds/generated/inquirypipelines.js';
import type { ModelVersionSpec } from '../../../crds/generated/modelversions.js';
import { ownerOf } from '../builders/common.js';
import { withDefaults } from '../builders/defaults.js';
import { buildServiceAccounts, buildWorkflowRoleBinding } from '../builders/identity.js';
import {
  buildAutoscaler,
  buildDestinationRule,
  buildInferenceDeployment,
  buildInferenceService,
  buildVirtualService,
} from '../builders/serving.js';
import { buildCronWorkflow, buildWorkflowTemplate } from '../builders/workflows.js';
import { describeError, type KubeClient, type KubeObject } from '../kube/client.js';
import type { OperatorMetrics } from '../metrics.js';
import { summarizeRuns, type WorkflowLike } from './job-runs.js';
import { canonicalJson, setCondition, type Condition } from './status.js';

export type InquiryPipeline = KubeObject & {
  spec: InquiryPipelineSpec;
  status?: InquiryPipelineStatus;
};

/** The children an InquiryPipeline should have, given its stable ModelVersion (if any). */
export function desiredChildren(
  pipeline: InquiryPipeline,
  stable?: { name: string; artifactUri: string | undefined },
  rolloutInProgress = false,
): object[] {
  const owner = ownerOf(pipeline);
  const spec = withDefaults(pipeline.spec);
  const children: object[] = [
    ...buildServiceAccounts(owner),
    buildWorkflowRoleBinding(owner),
    ...(['ingest', 'classify', 'retrain'] as const).flatMap((job) => [
      buildWorkflowTemplate(owner, spec, job),
      buildCronWorkflow(owner, spec, job),
    ]),
    buildInferenceService(owner),
  ];
  if (stable?.artifactUri) {
    children.push(
      buildInferenceDeployment(owner, spec, {
        name: stable.name,
        artifactUri: stable.artifactUri,
        subset: 'stable',
      }),
    );
    // During a rollout the ModelVersion reconciler owns the subsets and the weights.
    if (!rolloutInProgress) {
      children.push(
        buildDestinationRule(owner, stable.name),
        buildVirtualService(owner, spec, { canaryWeight: 0, canary: false }),
      );
    }
    const autoscaler = buildAutoscaler(owner, spec);
    if (autoscaler) children.push(autoscaler);
  }
  return children;
}

function comparable(status: {
  observedGeneration?: number;
  conditions?: unknown[];
  lastRuns?: unknown;
}) {
  const conditions = [...((status.conditions ?? []) as Condition[])].sort((a, b) =>
    a.type.localeCompare(b.type),
  );
  return { observedGeneration: status.observedGeneration, conditions, lastRuns: status.lastRuns };
}

/** What the controller's informers know of a pipeline's surroundings (no API calls needed). */
export interface PipelineContext {
  /** The pipeline's job Workflows: status.lastRuns and the last-success gauge. */
  workflows: readonly WorkflowLike[];
  /** The ModelVersions of the pipeline's namespace. */
  versions: readonly (KubeObject & {
    spec: ModelVersionSpec;
    status?: { phase?: string; artifactUri?: string };
  })[];
}

export async function reconcilePipeline(
  kube: KubeClient,
  pipeline: InquiryPipeline,
  now: Date,
  { workflows, versions }: PipelineContext,
  metrics?: OperatorMetrics,
): Promise<void> {
  const { namespace, name } = pipeline.metadata as { namespace: string; name: string };
  const stableName = pipeline.status?.stableModelVersion;
  const stable = stableName ? versions.find((v) => v.metadata.name === stableName) : undefined;
  const rollout = versions.find(
    (v) =>
      v.spec.pipeline === name &&
      (v.status?.phase === 'Progressing' || v.status?.phase === 'Paused'),
  );
  const children = desiredChildren(
    pipeline,
    stable
      ? { name: stableName!, artifactUri: stable.status?.artifactUri ?? stable.spec.artifactUri }
      : undefined,
    rollout !== undefined,
  );
  // The children are independent: applied at once, so a reconcile costs one round trip, not
  // one per child. A child the API server refuses (a quota, an admission policy, …) is reported
  // in status (Degraded, Ready=False) and the error goes on to the queue, which retries with
  // backoff.
  const refused = (await Promise.allSettled(children.map((child) => kube.apply(child)))).find(
    (result) => result.status === 'rejected',
  );
  const failure: Error | undefined = refused
    ? refused.reason instanceof Error
      ? refused.reason
      : new Error(String(refused.reason))
    : undefined;
  const generation = pipeline.metadata.generation;
  const observed = generation === undefined ? {} : { observedGeneration: generation };
  const serving = stable !== undefined;
  const ready =
    failure !== undefined
      ? { status: 'False' as const, reason: 'ApplyFailed', message: describeError(failure) }
      : serving
        ? {
            status: 'True' as const,
            reason: 'Reconciled',
            message: `${children.length} children applied; serving ${stableName}`,
          }
        : {
            status: 'False' as const,
            reason: 'NoStableModel',
            message: `${children.length} children applied (jobs and Service); inference starts once a ModelVersion is promoted`,
          };
  let conditions = setCondition(
    pipeline.status?.conditions as Condition[] | undefined,
    { type: 'Ready', ...ready, ...observed },
    now,
  );
  conditions = setCondition(
    conditions,
    failure !== undefined
      ? {
          type: 'Degraded',
          status: 'True',
          reason: 'ApplyFailed',
          message: describeError(failure),
          ...observed,
        }
      : {
          type: 'Degraded',
          status: 'False',
          reason: 'Reconciled',
          message: 'all children applied',
          ...observed,
        },
    now,
  );
  conditions = setCondition(
    conditions,
    rollout
      ? {
          type: 'Progressing',
          status: 'True',
          reason: rollout.status?.phase === 'Paused' ? 'RolloutPaused' : 'RolloutInProgress',
          message: `ModelVersion ${rollout.metadata.name} is rolling out (${rollout.status?.phase}).`,
          ...observed,
        }
      : {
          type: 'Progressing',
          status: 'False',
          reason: 'NoRollout',
          message: stable
            ? `No ModelVersion is rolling out; ${stableName} serves all traffic.`
            : 'No ModelVersion is rolling out.',
          ...observed,
        },
    now,
  );
  const { lastRuns, lastSuccess } = summarizeRuns(workflows);
  for (const [job, at] of Object.entries(lastSuccess))
    metrics?.jobLastSuccess.set(
      { namespace, pipeline: name, pipeline_job: job },
      at.getTime() / 1000,
    );
  const status = {
    ...observed,
    conditions,
    ...(Object.keys(lastRuns).length > 0 ? { lastRuns } : {}),
  };
  // An unchanged status is not written: the watch would wake for nothing.
  const current = {
    observedGeneration: pipeline.status?.observedGeneration,
    conditions: pipeline.status?.conditions,
    lastRuns: pipeline.status?.lastRuns,
  };
  if (canonicalJson(comparable(current)) !== canonicalJson(comparable(status))) {
    await kube.patchStatus('inquirypipelines', namespace, name, status);
    if (failure !== undefined)
      await kube.event(pipeline, 'Warning', 'ApplyFailed', describeError(failure));
  }
  if (failure !== undefined) throw failure;
}
