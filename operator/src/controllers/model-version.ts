/**
 * Reconciles a ModelVersion: resolves its bundle and run from the MLflow registry, gives the
 * canary state machine what it needs (its status, the pipeline's stable version, the routes as
 * observed, an analysis when one is due), carries out the actions (the canary Deployment, the
 * MLflow `champion` alias, Events) and writes its own status, nothing else's. The routes follow
 * that status: the pipeline's reconciler sets them.
 */
import type {
  ModelVersionSpec,
  ModelVersionStatus,
} from '../../../crds/generated/modelversions.js';
import type { MlflowClient } from '../../../lib/mlflow/client.js';
import type { AnalysisProviders } from '../analysis/index.js';
import { ownerOf } from '../builders/common.js';
import { withDefaults } from '../builders/defaults.js';
import { buildInferenceDeployment } from '../builders/serving.js';
import {
  analysisDue,
  controlOf,
  describeMatch,
  isTerminal,
  judgeMetric,
  nextStep,
  planRollout,
  ROUTE_RECHECK_MS,
  type Action,
  type AnalysisResult,
  type CanaryInput,
} from '../canary/index.js';
import { describeError } from '../kube/client.js';
import type { Kube } from '../kube/kube.js';
import type { OperatorMetrics } from '../metrics.js';
import { API_VERSION, type InquiryPipeline, type ModelVersion } from '../resources.js';
import type { TrafficRouter } from '../traffic/router.js';
import { sendsToCandidate, stableVersion } from '../traffic/routes.js';
import { modelVersionConditions, type ConditionContext } from './model-version-conditions.js';
import { canonicalJson } from './status.js';
/**
 * Held by a ModelVersion of a registered model version: on deletion the operator first takes
 * back what lives outside Kubernetes (the MLflow aliases pointing at it) and the canary's traffic.
 */
export const ALIAS_FINALIZER = 'inquiries.mlops.io/mlflow-aliases';
/** The registry aliases the platform moves: `champion` (promotion) and `challenger` (register). */
const MANAGED_ALIASES = ['champion', 'challenger'] as const;

export interface ModelVersionDeps {
  kube: Kube;
  /** Reads the routes (the pipeline's reconciler is the one that sets them). */
  router: TrafficRouter;
  /** An MLflow client for a tracking URI (one per pipeline). */
  mlflow: (trackingUri: string) => MlflowClient;
  providers: AnalysisProviders;
  metrics?: OperatorMetrics;
}

/** What the controller's informers know around a ModelVersion (no API calls needed). */
export interface ModelVersionContext {
  pipeline: InquiryPipeline | undefined;
  /** The ModelVersions of its namespace (its pipeline's stable version is derived from them). */
  versions: readonly ModelVersion[];
}

const PHASES = [
  'Pending',
  'Progressing',
  'Paused',
  'Promoted',
  'RolledBack',
  'Failed',
  'Superseded',
] as const satisfies readonly NonNullable<ModelVersionStatus['phase']>[];

/** Phases that are history: their gauges are dropped, so a fleet's old versions cost no series. */
const HISTORY_PHASES = new Set(['Superseded', 'RolledBack', 'Failed']);

const gaugeLabels = (mv: ModelVersion) => ({
  namespace: mv.metadata.namespace!,
  pipeline: mv.spec.pipeline,
  modelversion: mv.metadata.name!,
});

/**
 * The canary gauges of one ModelVersion: its phase (one-hot), weight and step. A version that
 * is history (superseded, rolled back, failed) has none: its end is in the counters.
 */
export function recordRolloutGauges(
  metrics: OperatorMetrics | undefined,
  mv: ModelVersion,
  status: ModelVersionStatus,
): void {
  if (!metrics) return;
  if (HISTORY_PHASES.has(status.phase ?? '')) {
    forgetRolloutGauges(metrics, mv);
    return;
  }
  const labels = gaugeLabels(mv);
  for (const phase of PHASES)
    metrics.canaryPhase.set({ ...labels, phase }, phase === (status.phase ?? 'Pending') ? 1 : 0);
  metrics.canaryWeight.set(labels, status.canaryWeight ?? 0);
  metrics.canaryStep.set(labels, status.currentStep ?? 0);
}

/** Drops a deleted ModelVersion's series so dashboards do not show ghosts. */
export function forgetRolloutGauges(metrics: OperatorMetrics | undefined, mv: ModelVersion): void {
  if (!metrics) return;
  const labels = gaugeLabels(mv);
  for (const phase of PHASES) metrics.canaryPhase.remove({ ...labels, phase });
  metrics.canaryWeight.remove(labels);
  metrics.canaryStep.remove(labels);
}

/** The bundle and run of `mv`: from its status once resolved, else from the MLflow registry. */
async function resolveModel(
  registry: () => MlflowClient,
  mv: ModelVersion,
): Promise<{ artifactUri: string; runId: string }> {
  if (mv.status?.artifactUri && mv.status.runId)
    return { artifactUri: mv.status.artifactUri, runId: mv.status.runId };
  const client = registry();
  const { name, version, runId } = mv.spec.model;
  if (version) {
    const registered = await client.getModelVersion(name, version);
    return {
      artifactUri: mv.spec.artifactUri ?? registered.source ?? '',
      runId: runId ?? registered.run_id ?? '',
    };
  }
  const run = await client.getRun(runId!);
  return { artifactUri: mv.spec.artifactUri ?? `${run.info.artifact_uri}/bundle`, runId: runId! };
}

/**
 * True when a ModelVersion has nothing left to do: its rollout ended, no canary Deployment waits
 * to retire, it is not being deleted, and (promoted) it is still its pipeline's stable version.
 * A fleet's old versions so cost no API calls.
 */
function isSettled(mv: ModelVersion, versions: readonly ModelVersion[]): boolean {
  const status = mv.status;
  if (!isTerminal(status?.phase) || status?.canaryRetiresAt || mv.metadata.deletionTimestamp)
    return false;
  return (
    status?.phase !== 'Promoted' ||
    stableVersion(mv.spec.pipeline, versions)?.metadata.name === mv.metadata.name
  );
}

/** `versions` with `mv` as given (fresher than the cache's copy). */
const withFresh = (versions: readonly ModelVersion[], mv: ModelVersion) => [
  ...versions.filter((v) => v.metadata.name !== mv.metadata.name),
  mv,
];

/** Returns when to reconcile again (ms), or null when only a change can move it on. */
export async function reconcileModelVersion(
  deps: ModelVersionDeps,
  cached: ModelVersion,
  now: Date,
  context: ModelVersionContext,
): Promise<number | null> {
  const { kube } = deps;
  if (isSettled(cached, context.versions)) {
    recordRolloutGauges(deps.metrics, cached, cached.status!);
    return null;
  }
  // Read fresh: each decision builds on the status the last one wrote, which the informer's
  // cache may not show yet.
  const namespace = cached.metadata.namespace!;
  const mv = await kube.read<ModelVersion>(
    API_VERSION,
    'ModelVersion',
    namespace,
    cached.metadata.name!,
  );
  if (!mv) return null;
  const finalizers = mv.metadata.finalizers ?? [];
  const needsFinalizer =
    !mv.metadata.deletionTimestamp &&
    mv.spec.model.version !== undefined &&
    !finalizers.includes(ALIAS_FINALIZER);
  const addFinalizer = async () => {
    if (needsFinalizer)
      await kube.setFinalizers(mv, 'modelversions', [...finalizers, ALIAS_FINALIZER]);
  };
  const { pipeline } = context;
  if (mv.metadata.deletionTimestamp) return finalizeModelVersion(deps, mv, pipeline);
  if (!pipeline) {
    await addFinalizer();
    await reportProblem(kube, mv, now, {
      reason: 'PipelineNotFound',
      message: `InquiryPipeline ${namespace}/${mv.spec.pipeline} does not exist; the rollout waits for it.`,
    });
    return 10_000;
  }
  try {
    return await advanceRollout(
      deps,
      mv,
      pipeline,
      withFresh(context.versions, mv),
      now,
      addFinalizer,
    );
  } catch (error) {
    // Said in status too (Degraded, ReconcileFailed), then retried with backoff by the queue.
    try {
      await reportProblem(kube, mv, now, {
        reason: 'ReconcileFailed',
        message: describeError(error),
      });
    } catch (reportError) {
      throw new Error(`${describeError(error)} (and its Degraded condition was not written)`, {
        cause: reportError,
      });
    }
    throw error;
  }
}

/**
 * Degraded=True with `problem`, the rest of the status as it is. Written only when it changes
 * the status (the same failure again writes nothing, so it wakes nothing).
 */
async function reportProblem(
  kube: Kube,
  mv: ModelVersion,
  now: Date,
  problem: { reason: string; message: string },
): Promise<void> {
  const status = { ...mv.status, phase: mv.status?.phase ?? 'Pending' };
  const conditions = modelVersionConditions(status, conditionContext(mv, { problem }), now);
  if (
    status.phase === mv.status?.phase &&
    canonicalJson(conditions) === canonicalJson(mv.status?.conditions)
  )
    return;
  await kube.patchStatus('modelversions', mv.metadata.namespace!, mv.metadata.name!, {
    phase: status.phase,
    conditions,
  });
}

function conditionContext(
  mv: ModelVersion,
  extra: Pick<ConditionContext, 'outcome' | 'problem'> = {},
  spec: ModelVersionSpec = mv.spec,
): ConditionContext {
  const plan = planRollout(spec);
  return {
    generation: mv.metadata.generation,
    steps: plan.ok ? plan.plan.steps.length : 0,
    shadow: plan.ok && plan.plan.strategy === 'Shadow',
    ...(plan.ok && plan.plan.match.length > 0 && { match: describeMatch(plan.plan.match) }),
    ...extra,
  };
}

/**
 * One pass of the rollout: resolve, decide (with an analysis when one is due), act, write status.
 * What does not depend on another step runs beside it (the finalizer, the registry, the routes;
 * the Events and the status write), so a first model's promotion costs four round trips in a
 * row, not seven.
 */
async function advanceRollout(
  deps: ModelVersionDeps,
  mv: ModelVersion,
  pipeline: InquiryPipeline,
  versions: readonly ModelVersion[],
  now: Date,
  addFinalizer: () => Promise<void>,
): Promise<number | null> {
  const { kube } = deps;
  const namespace = mv.metadata.namespace!;
  const { trackingUri } = pipeline.spec.mlflow;
  // The finalizer is written before any status (its write compares resourceVersions).
  const [resolved, routes] = await allSettledThenThrow([
    resolveModel(() => deps.mlflow(trackingUri), mv),
    deps.router.getRoutes(pipeline),
    addFinalizer(),
  ] as const);
  const stable = stableVersion(mv.spec.pipeline, versions);
  const input: CanaryInput = {
    name: mv.metadata.name!,
    spec: mv.spec,
    status: mv.status,
    now,
    stable: stable?.metadata.name,
    routes,
  };
  const control = controlOf(mv.metadata.annotations);
  if (control) input.control = control;
  if (analysisDue(input)) {
    input.analysis = await runAnalysis(deps, mv, {
      trackingUri,
      candidateRunId: resolved.runId,
      stableRunId: stable?.status?.runId,
      now,
    });
  }
  const decision = nextStep(input);
  // Events announce what the other actions did: they go out with the status write.
  for (const action of decision.actions) if (action.type !== 'event') await carryOut(action);
  const announced = decision.actions.filter((action) => action.type === 'event');

  const outcome = decision.outcome;
  // A rollout that ended keeps the conditions its end wrote (they carry its reason) until its
  // phase changes again (Promoted → Superseded).
  const ended = isTerminal(mv.status?.phase) && decision.status.phase === mv.status?.phase;
  const next: ModelVersionStatus = {
    ...decision.status,
    conditions: ended
      ? mv.status?.conditions
      : modelVersionConditions(
          decision.status,
          conditionContext(mv, outcome ? { outcome } : {}),
          now,
        ),
    artifactUri: resolved.artifactUri,
    runId: resolved.runId,
    ...(mv.metadata.generation === undefined ? {} : { observedGeneration: mv.metadata.generation }),
  };
  const patch = statusPatch(mv.status ?? {}, next);
  await Promise.all([
    ...announced.map(carryOut),
    patch && kube.patchStatus('modelversions', namespace, mv.metadata.name!, patch),
  ]);
  recordRolloutGauges(deps.metrics, mv, decision.status);
  return decision.requeueAfterMs;

  async function carryOut(action: Action): Promise<void> {
    switch (action.type) {
      case 'deployCanary':
        // Sized for the weight the decision asks for: its pods come up before it goes live.
        await kube.apply(
          canaryDeployment(pipeline, mv, resolved.artifactUri, decision.status.canaryWeight),
        );
        return;
      case 'removeCanary':
        await kube.delete(canaryDeployment(pipeline, mv));
        return;
      case 'promote':
        if (mv.spec.model.version)
          await deps
            .mlflow(trackingUri)
            .setAlias(mv.spec.model.name, 'champion', mv.spec.model.version);
        deps.metrics?.promotions.inc({ namespace, pipeline: mv.spec.pipeline });
        return;
      case 'rollback':
        deps.metrics?.rollbacks.inc({ namespace, pipeline: mv.spec.pipeline });
        return;
      case 'event':
        await kube.event(mv, action.severity, action.reason, action.message);
        return;
    }
  }
}

/**
 * The results of `steps` once every one has settled (none is left running behind an error), or
 * the first error among them.
 */
async function allSettledThenThrow<T extends readonly Promise<unknown>[]>(
  steps: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((step) => step.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((step) => (step as PromiseFulfilledResult<unknown>).value) as {
    -readonly [K in keyof T]: Awaited<T[K]>;
  };
}

/**
 * The merge patch that takes `current` to `next` (a field `next` lacks is removed with null),
 * or undefined when nothing changes: an unchanged status is not written, so it wakes nothing.
 */
export function statusPatch(current: object, next: object): object | undefined {
  const before = current as Record<string, unknown>;
  const after = next as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(after))
    if (canonicalJson(value) !== canonicalJson(before[field])) patch[field] = value;
  for (const field of Object.keys(before))
    if (!(field in after) && field !== 'conditions') patch[field] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Every metric of the plan read by its provider and judged, and counted by verdict. */
async function runAnalysis(
  deps: ModelVersionDeps,
  mv: ModelVersion,
  run: { trackingUri: string; candidateRunId: string; stableRunId: string | undefined; now: Date },
): Promise<AnalysisResult[]> {
  const plan = planRollout(mv.spec);
  if (!plan.ok) return [];
  const { now, ...context } = run;
  const results = await Promise.all(
    plan.plan.metrics.map(async (metric) =>
      judgeMetric(
        metric,
        await deps.providers[metric.provider].observe(metric, { ...context, subset: 'canary' }),
        now,
      ),
    ),
  );
  for (const result of results)
    deps.metrics?.analysisResults.inc({
      namespace: mv.metadata.namespace!,
      pipeline: mv.spec.pipeline,
      metric: result.name,
      verdict: result.verdict,
    });
  return results;
}

/** The canary Deployment of `mv` (deleting needs only its name; applying needs the bundle). */
function canaryDeployment(
  pipeline: InquiryPipeline,
  mv: ModelVersion,
  artifactUri = mv.status?.artifactUri ?? '',
  weight = mv.status?.canaryWeight ?? 0,
) {
  return buildInferenceDeployment(ownerOf(pipeline), withDefaults(pipeline.spec), {
    name: mv.metadata.name!,
    artifactUri,
    subset: 'canary',
    shadow: mv.spec.rollout?.strategy === 'Shadow',
    weight,
  });
}

/**
 * A ModelVersion being deleted: once no route sends it traffic (its pipeline drops a version
 * being deleted from the routes), the canary Deployment goes, the MLflow aliases pointing at
 * this version are removed, then the finalizer. Without its pipeline (deleted first) there is
 * no tracking URI: the aliases are left and a Warning says so, rather than holding the deletion
 * forever.
 */
async function finalizeModelVersion(
  deps: ModelVersionDeps,
  mv: ModelVersion,
  pipeline: InquiryPipeline | undefined,
): Promise<number | null> {
  const { kube } = deps;
  const finalizers = mv.metadata.finalizers ?? [];
  if (!finalizers.includes(ALIAS_FINALIZER)) return null;
  const { name: model, version } = mv.spec.model;
  if (pipeline) {
    if (sendsToCandidate(await deps.router.getRoutes(pipeline), mv.metadata.name!))
      return ROUTE_RECHECK_MS;
    await kube.delete(canaryDeployment(pipeline, mv));
    if (version) {
      const client = deps.mlflow(pipeline.spec.mlflow.trackingUri);
      const removed: string[] = [];
      for (const alias of MANAGED_ALIASES) {
        const current = await client.versionByAlias(model, alias);
        if (current?.version === version) {
          await client.deleteAlias(model, alias);
          removed.push(alias);
        }
      }
      if (removed.length > 0)
        await kube.event(
          mv,
          'Normal',
          'AliasesRemoved',
          `MLflow aliases ${removed.join(', ')} of ${model} no longer point at version ${version}`,
        );
    }
  } else {
    await kube.event(
      mv,
      'Warning',
      'AliasesLeft',
      `pipeline ${mv.spec.pipeline} is gone, so its MLflow server is unknown: aliases of ${model} version ${version ?? '?'} were not checked`,
    );
  }
  forgetRolloutGauges(deps.metrics, mv);
  await kube.setFinalizers(
    mv,
    'modelversions',
    finalizers.filter((f) => f !== ALIAS_FINALIZER),
  );
  return null;
}
