/**
 * Reconciles an InquiryPipeline: derives its stable version from its ModelVersions (the latest
 * promoted), computes its children with the pure builders, applies them (server-side apply, so
 * a deleted or hand-edited child is restored), sets its routes through the traffic router (the
 * only writer of routes) from its stable version and its active rollout's status, and writes
 * its own status with conditions. Level-triggered: running it twice changes nothing.
 */
import { ownerOf } from '../builders/common.js';
import { withDefaults } from '../builders/defaults.js';
import { buildNamespaceIdentities } from '../builders/identity.js';
import {
  buildAutoscaler,
  buildInferenceDeployment,
  buildInferenceService,
  canaryCapacity,
} from '../builders/serving.js';
import { buildCronWorkflow } from '../builders/workflows.js';
import { describeError } from '../kube/client.js';
import type { Kube } from '../kube/kube.js';
import type { OperatorMetrics } from '../metrics.js';
import { names } from '../names.js';
import type { Condition, InquiryPipeline, ModelVersion } from '../resources.js';
import type { TrafficRouter } from '../traffic/router.js';
import { activeRollout, desiredRoutes, stableVersion } from '../traffic/routes.js';
import { isFinished, JOB_NAMES, summarizeRuns, type WorkflowLike } from './job-runs.js';
import { canonicalJson, setCondition } from './status.js';

/** The children an InquiryPipeline should have, given its stable ModelVersion (if any). */
export function desiredChildren(
  pipeline: InquiryPipeline,
  stable?: { name: string; artifactUri: string | undefined },
): object[] {
  const owner = ownerOf(pipeline);
  const spec = withDefaults(pipeline.spec);
  const children: object[] = [
    ...buildNamespaceIdentities(owner.metadata.namespace),
    // Ingestion only from a source: without one, inquiries arrive through the API alone.
    ...(spec.ingestion.source ? (['ingest'] as const) : []).map((job) =>
      buildCronWorkflow(owner, spec, job),
    ),
    ...(['classify', 'retrain'] as const).map((job) => buildCronWorkflow(owner, spec, job)),
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
    const autoscaler = buildAutoscaler(owner, spec);
    if (autoscaler) children.push(autoscaler);
  }
  return children;
}

const HPA_KIND = 'HorizontalPodAutoscaler';

/** A child by its identity: enough to find it in a cache and to delete it. */
export interface ChildRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
}

/**
 * Every child of a pipeline that its spec can stop asking for: its jobs' CronWorkflows and its
 * autoscaler (`serving.autoscaling.enabled: false`). Those it has beyond `desiredChildren` go;
 * an autoscaler left behind would go on scaling a Deployment the operator sizes again. Pure.
 */
export function optionalChildren(namespace: string, pipeline: string): ChildRef[] {
  return [
    ...(['ingest', 'classify', 'retrain'] as const).map((job) => ({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'CronWorkflow',
      metadata: { name: names.cronWorkflow(pipeline, job), namespace },
    })),
    {
      apiVersion: 'autoscaling/v2',
      kind: HPA_KIND,
      metadata: { name: names.inference(pipeline), namespace },
    },
  ];
}

const refKey = (child: { kind?: string; metadata?: { name?: string } }) =>
  `${child.kind}/${child.metadata?.name}`;

/** The optional children `present` says exist that `desired` no longer holds. Pure. */
export function staleChildren(
  namespace: string,
  pipeline: string,
  desired: readonly object[],
  present: (child: ChildRef) => boolean,
): ChildRef[] {
  const wanted = new Set(desired.map((child) => refKey(child as ChildRef)));
  return optionalChildren(namespace, pipeline).filter(
    (child) => !wanted.has(refKey(child)) && present(child),
  );
}

const sameChild = (a: object, b: ChildRef) => refKey(a) === refKey(b);

/**
 * The Deployment whose replicas must pass to an autoscaler before `children` are applied, and
 * those replicas: the autoscaler is asked for but does not exist yet, while the Deployment it
 * scales does, with replicas the operator set until then. Pure.
 */
export function replicasHandOver(
  namespace: string,
  children: readonly object[],
  owns: ((child: ChildRef) => boolean) | undefined,
  replicasOf: (deployment: string) => number | undefined,
): { deployment: ChildRef; replicas: number } | undefined {
  const autoscaler = children.find((c) => (c as ChildRef).kind === HPA_KIND) as
    ChildRef | undefined;
  if (!autoscaler || !owns || owns(autoscaler)) return undefined;
  const name = autoscaler.metadata.name;
  const deployment: ChildRef = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
  };
  const replicas = replicasOf(name);
  return owns(deployment) && replicas !== undefined ? { deployment, replicas } : undefined;
}

function comparable(status: {
  observedGeneration?: number;
  conditions?: unknown[];
  lastRuns?: unknown;
  stableModelVersion?: string;
}) {
  const conditions = [...((status.conditions ?? []) as Condition[])].sort((a, b) =>
    a.type.localeCompare(b.type),
  );
  return {
    observedGeneration: status.observedGeneration,
    conditions,
    lastRuns: status.lastRuns,
    stableModelVersion: status.stableModelVersion,
  };
}

/** What the controller's informers know of a pipeline's surroundings (no API calls needed). */
export interface PipelineContext {
  /** The pipeline's job Workflows: status.lastRuns and the last-success gauge. */
  workflows: readonly WorkflowLike[];
  /** The ModelVersions of the pipeline's namespace. */
  versions: readonly ModelVersion[];
  /** Available replicas of a Deployment of the pipeline's namespace (0 when unknown). */
  availableReplicas: (deployment: string) => number;
  /**
   * Its own ServiceAccounts and RoleBinding from before the namespace identities
   * (`isRetiredIdentity`), to delete once no Workflow of it runs under them.
   */
  retiredIdentities?: readonly object[];
  /**
   * Whether the pipeline owns `child` (one of `optionalChildren`), as the informers' caches say;
   * those it no longer asks for are deleted. Without it, none is.
   */
  owns?: (child: ChildRef) => boolean;
  /** `spec.replicas` of a Deployment of the pipeline's namespace (undefined when unknown). */
  replicasOf?: (deployment: string) => number | undefined;
}

export interface PipelineDeps {
  kube: Kube;
  router: TrafficRouter;
  metrics?: OperatorMetrics;
  /**
   * A candidate gets traffic only once its Deployment has an available replica (default). Off
   * only where no pod can ever run (a test bed without a node).
   */
  requireAvailableCandidate?: boolean;
}

/** Ready: serving its stable version, whose Deployment has an available replica. */
export function readiness(
  stable: string | undefined,
  availableReplicas: number,
  deployment: string,
  applied: number,
): { status: 'True' | 'False'; reason: string; message: string } {
  if (stable === undefined)
    return {
      status: 'False',
      reason: 'NoStableModel',
      message: `${applied} children applied (jobs and Service); inference starts once a ModelVersion is promoted`,
    };
  if (availableReplicas < 1)
    return {
      status: 'False',
      reason: 'DeploymentUnavailable',
      message: `Deployment ${deployment} of ${stable} has no available replica yet`,
    };
  return {
    status: 'True',
    reason: 'Reconciled',
    message: `${applied} children applied; serving ${stable} (${availableReplicas} available)`,
  };
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

export async function reconcilePipeline(
  deps: PipelineDeps,
  pipeline: InquiryPipeline,
  now: Date,
  {
    workflows,
    versions,
    availableReplicas,
    retiredIdentities = [],
    owns,
    replicasOf = () => undefined,
  }: PipelineContext,
): Promise<void> {
  const { kube, router, metrics } = deps;
  const { namespace, name } = pipeline.metadata as { namespace: string; name: string };
  const stable = stableVersion(name, versions);
  const stableName = stable?.metadata.name;
  const rollout = activeRollout(name, versions);
  const children = desiredChildren(
    pipeline,
    stable
      ? { name: stableName!, artifactUri: stable.status?.artifactUri ?? stable.spec.artifactUri }
      : undefined,
  );
  const spec = withDefaults(pipeline.spec);
  const routes = desiredRoutes(name, versions, (candidate) =>
    deps.requireAvailableCandidate === false
      ? 100
      : canaryCapacity(spec, availableReplicas(names.canaryDeployment(name, candidate))),
  );
  // The children are independent: applied at once, so a reconcile costs one round trip, not
  // one per child; the routes follow (they name the subsets of the Deployments). A child the
  // API server refuses (a quota, an admission policy, …) is reported in status (Degraded,
  // Ready=False) and the error goes on to the queue, which retries with backoff.
  // Its retired identities go with the same round trip, unless a Workflow still runs under one
  // (its token would stop working); the Workflow's end wakes the pipeline again.
  // The optional children it no longer asks for go with it too (an autoscaler after
  // `autoscaling.enabled: false`).
  const retiring = workflows.every(isFinished) ? retiredIdentities : [];
  const stale = owns ? staleChildren(namespace, name, children, owns) : [];
  // Autoscaling turned on for a running Deployment: its replicas pass to the new autoscaler as
  // they are, not through 1 (the apply leaves them out). Until that has worked, neither the
  // Deployment nor the autoscaler is applied.
  const handOver = replicasHandOver(namespace, children, owns, replicasOf);
  const handOverFailure = handOver
    ? await kube
        .handOverReplicas(namespace, handOver.deployment.metadata.name, handOver.replicas)
        .then(() => undefined, asError)
    : undefined;
  const applying = handOverFailure
    ? children.filter(
        (c) => !sameChild(c, handOver!.deployment) && (c as ChildRef).kind !== HPA_KIND,
      )
    : children;
  const applied = await Promise.allSettled([
    ...applying.map((child) => kube.apply(child)),
    ...[...retiring, ...stale].map((child) => kube.delete(child)),
  ]);
  const refused = applied.find((result) => result.status === 'rejected');
  let failure = handOverFailure ?? (refused ? asError(refused.reason) : undefined);
  if (!failure && routes)
    failure = await router.setRoutes(pipeline, routes).then(() => undefined, asError);
  const generation = pipeline.metadata.generation;
  const observed = generation === undefined ? {} : { observedGeneration: generation };
  const stableDeployment = names.inference(name);
  const ready =
    failure !== undefined
      ? { status: 'False' as const, reason: 'ApplyFailed', message: describeError(failure) }
      : readiness(
          stableName,
          availableReplicas(stableDeployment),
          stableDeployment,
          children.length + (routes ? 2 : 0),
        );
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
  // Nothing answers while a promoted model's Deployment has no available pod, whether its
  // pods were deleted (no scrape target is left to be down) or fail their readiness.
  if (stableName)
    metrics?.availableReplicas.set(
      { namespace, pipeline: name },
      availableReplicas(stableDeployment),
    );
  else metrics?.availableReplicas.remove({ namespace, pipeline: name });
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
    ...(stableName ? { stableModelVersion: stableName } : {}),
  };
  // An unchanged status is not written: the watch would wake for nothing.
  const current = {
    observedGeneration: pipeline.status?.observedGeneration,
    conditions: pipeline.status?.conditions,
    lastRuns: pipeline.status?.lastRuns,
    stableModelVersion: pipeline.status?.stableModelVersion,
  };
  if (canonicalJson(comparable(current)) !== canonicalJson(comparable(status))) {
    await kube.patchStatus('inquirypipelines', namespace, name, status);
    if (failure !== undefined)
      await kube.event(pipeline, 'Warning', 'ApplyFailed', describeError(failure));
  }
  if (failure !== undefined) throw failure;
}

/** Drops a deleted pipeline's series: its alerts (ingestion stale, unavailable) end with it. */
export function forgetPipelineGauges(
  metrics: OperatorMetrics | undefined,
  namespace: string,
  pipeline: string,
): void {
  metrics?.availableReplicas.remove({ namespace, pipeline });
  for (const job of Object.values(JOB_NAMES))
    metrics?.jobLastSuccess.remove({ namespace, pipeline, pipeline_job: job });
}
