/**
 * Reconciles a ModelVersion: resolves its bundle and run from the MLflow registry, asks the
 * canary state machine what to do, runs the analysis when it asks, carries out the actions
 * (canary Deployment and Istio weights, promotion with the MLflow `champion` alias, roll back),
 * and writes status. A pipeline without a stable model takes its first model at once.
 */
import type {
  ModelVersionSpec,
  ModelVersionStatus,
} from '../../../crds/generated/modelversions.js';
import { MlflowClient } from '../../../lib/mlflow/client.js';
import type { AnalysisProvider } from '../analysis/provider.js';
import { MlflowProvider } from '../analysis/mlflow.js';
import { PrometheusProvider } from '../analysis/prometheus.js';
import { ownerOf } from '../builders/common.js';
import { withDefaults } from '../builders/defaults.js';
import { parseDuration } from '../canary/duration.js';
import {
  buildDestinationRule,
  buildInferenceDeployment,
  buildVirtualService,
} from '../builders/serving.js';
import {
  isTerminal,
  judgeMetric,
  nextStep,
  planRollout,
  type Action,
  type AnalysisResult,
} from '../canary/index.js';
import { describeError, type KubeClient, type KubeObject } from '../kube/client.js';
import type { OperatorMetrics } from '../metrics.js';
import { modelVersionConditions, type ConditionContext } from './model-version-conditions.js';
import type { InquiryPipeline } from './pipeline.js';
import { canonicalJson } from './status.js';

export type ModelVersion = KubeObject & { spec: ModelVersionSpec; status?: ModelVersionStatus };

const API_VERSION = 'inquiries.mlops.io/v1alpha1';
/** Annotation a human sets to promote or abort a rollout now. */
export const CONTROL_ANNOTATION = 'inquiries.mlops.io/control';
/**
 * Held by a ModelVersion of a registered model version: on deletion the operator first takes
 * back what lives outside Kubernetes (the MLflow aliases pointing at it) and the canary's traffic.
 */
export const ALIAS_FINALIZER = 'inquiries.mlops.io/mlflow-aliases';
/** The registry aliases the platform moves: `champion` (promotion) and `challenger` (register). */
const MANAGED_ALIASES = ['champion', 'challenger'] as const;
const DEFAULT_SCALE_DOWN_DELAY_MS = 120_000;

export interface ModelVersionDeps {
  kube: KubeClient;
  /** An MLflow client for a tracking URI (one per pipeline). */
  mlflow: (trackingUri: string) => MlflowClient;
  prometheusUrl?: string;
  metrics?: OperatorMetrics;
  /** The time after the actions ran (a step's pause starts when its weight is live). */
  clock?: () => Date;
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

async function resolveModel(
  client: MlflowClient,
  mv: ModelVersion,
): Promise<{ artifactUri: string; runId: string }> {
  if (mv.status?.artifactUri && mv.status.runId)
    return { artifactUri: mv.status.artifactUri, runId: mv.status.runId };
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

async function analyse(
  mv: ModelVersion,
  providers: Record<'mlflow' | 'prometheus', AnalysisProvider>,
  runs: { candidate: string; stable: string | undefined },
  now: Date,
): Promise<AnalysisResult[]> {
  const plan = planRollout(mv.spec);
  if (!plan.ok) return [];
  return Promise.all(
    plan.plan.metrics.map(async (metric) =>
      judgeMetric(
        metric,
        await providers[metric.provider].observe(metric, {
          candidateRunId: runs.candidate,
          stableRunId: runs.stable,
          subset: 'canary',
        }),
        now,
      ),
    ),
  );
}

/** Returns when to reconcile again (ms), or null when only a change can move it on. */
export async function reconcileModelVersion(
  deps: ModelVersionDeps,
  mv: ModelVersion,
  now: Date,
): Promise<number | null> {
  const { kube } = deps;
  const namespace = mv.metadata.namespace!;
  const finalizers = mv.metadata.finalizers ?? [];
  const needsFinalizer =
    !mv.metadata.deletionTimestamp &&
    mv.spec.model.version !== undefined &&
    !finalizers.includes(ALIAS_FINALIZER);
  if (needsFinalizer)
    await kube.setFinalizers(mv, 'modelversions', [...finalizers, ALIAS_FINALIZER]);
  // A finished rollout has nothing left to do (a fleet's old versions cost no API calls), unless
  // a promoted canary's Deployment is still to retire or the object is being deleted.
  if (
    isTerminal(mv.status?.phase) &&
    !mv.metadata.deletionTimestamp &&
    !(mv.status?.phase === 'Promoted' && mv.status.canaryRetiresAt)
  ) {
    recordRolloutGauges(deps.metrics, mv, mv.status!);
    return null;
  }
  // Read fresh, not from a cache: a stale stable version would point the routes at the wrong one.
  const pipeline = await kube.read<InquiryPipeline>(
    API_VERSION,
    'InquiryPipeline',
    namespace,
    mv.spec.pipeline,
  );
  if (mv.metadata.deletionTimestamp) {
    await finalizeModelVersion(deps, mv, pipeline);
    return null;
  }
  if (!pipeline) {
    await reportProblem(kube, mv, now, {
      reason: 'PipelineNotFound',
      message: `InquiryPipeline ${namespace}/${mv.spec.pipeline} does not exist; the rollout waits for it.`,
    });
    return 10_000;
  }
  if (mv.status?.phase === 'Promoted' && mv.status.canaryRetiresAt)
    return retireCanary(deps, mv, pipeline, now);
  try {
    return await advanceRollout(deps, mv, pipeline, now);
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
  kube: KubeClient,
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
    ...extra,
  };
}

/** One pass of the rollout: resolve, decide (and analyse when asked), act, write status. */
async function advanceRollout(
  deps: ModelVersionDeps,
  mv: ModelVersion,
  pipeline: InquiryPipeline,
  now: Date,
): Promise<number | null> {
  const { kube } = deps;
  const namespace = mv.metadata.namespace!;
  const client = deps.mlflow(pipeline.spec.mlflow.trackingUri);
  const resolved = await resolveModel(client, mv);
  const stableName = pipeline.status?.stableModelVersion;
  const stable =
    stableName && stableName !== mv.metadata.name
      ? await kube.read<ModelVersion>(API_VERSION, 'ModelVersion', namespace, stableName)
      : undefined;
  const owner = ownerOf(pipeline);
  const spec = withDefaults(pipeline.spec);

  // The first model of a pipeline has nothing to be compared with or to share traffic with.
  // A human's override: annotate `inquiries.mlops.io/control: promote` (or `abort`).
  const requested = mv.metadata.annotations?.[CONTROL_ANNOTATION];
  const control: 'promote' | 'abort' | undefined =
    requested === 'promote' || requested === 'abort' ? requested : undefined;
  const input = {
    spec: stable ? mv.spec : { ...mv.spec, rollout: { strategy: 'Immediate' as const } },
    status: mv.status,
    now,
    ...(control ? { control } : {}),
  };
  let decision = nextStep(input);
  if (decision.needsAnalysis) {
    const providers = {
      mlflow: new MlflowProvider(client),
      prometheus: new PrometheusProvider(deps.prometheusUrl),
    };
    const analysis = await analyse(
      mv,
      providers,
      { candidate: resolved.runId, stable: stable?.status?.runId },
      now,
    );
    decision = nextStep({ ...input, analysis });
    for (const result of analysis)
      deps.metrics?.analysisResults.inc({
        namespace,
        pipeline: mv.spec.pipeline,
        metric: result.name,
        verdict: result.verdict,
      });
  }

  for (const action of decision.actions) await carryOut(action);
  // Level-triggered: a rollout under way puts its Deployment and routes back each time it runs,
  // so a hand-edited VirtualService or a deleted canary Deployment is restored (they wake it).
  const underWay =
    (decision.status.phase === 'Progressing' || decision.status.phase === 'Paused') &&
    decision.status.stepStartedAt !== undefined &&
    !decision.actions.some((a) => a.type !== 'event');
  if (underWay && stable)
    await carryOut(
      mv.spec.rollout?.strategy === 'Shadow'
        ? { type: 'startShadow' }
        : { type: 'setCanaryWeight', weight: decision.status.canaryWeight ?? 0 },
    );
  // A step's pause counts from when its weight is live, not from when it was decided: under
  // load the Deployment and route writes can take longer than a short pause, and the step
  // would then be analysed, and left, the moment it began.
  const startedStep = decision.status.stepStartedAt !== mv.status?.stepStartedAt;
  if (
    startedStep &&
    decision.actions.some((a) => a.type === 'setCanaryWeight' || a.type === 'startShadow')
  )
    decision.status.stepStartedAt = (deps.clock?.() ?? new Date()).toISOString();

  const promotedFromCanary = stable && decision.actions.some((a) => a.type === 'promote');
  const retireInMs = promotedFromCanary ? scaleDownDelayMs(mv) : undefined;
  // The announcement of a rollout that ended now (its Event) explains Ready and Degraded.
  const announced = isTerminal(decision.status.phase)
    ? decision.actions.findLast((a) => a.type === 'event')
    : undefined;
  const outcome = announced ? { reason: announced.reason, message: announced.message } : undefined;
  const conditions = modelVersionConditions(
    decision.status,
    conditionContext(mv, outcome ? { outcome } : {}, input.spec),
    now,
  );
  await kube.patchStatus('modelversions', namespace, mv.metadata.name!, {
    ...decision.status,
    conditions,
    artifactUri: resolved.artifactUri,
    runId: resolved.runId,
    ...(retireInMs === undefined
      ? {}
      : { canaryRetiresAt: new Date(now.getTime() + retireInMs).toISOString() }),
    ...(mv.metadata.generation === undefined ? {} : { observedGeneration: mv.metadata.generation }),
  });
  recordRolloutGauges(deps.metrics, mv, decision.status);
  return retireInMs ?? decision.requeueAfterMs;

  async function carryOut(action: Action): Promise<void> {
    switch (action.type) {
      case 'setCanaryWeight':
      case 'startShadow':
        await kube.apply(canaryDeployment(pipeline, mv, resolved.artifactUri));
        await kube.apply(buildDestinationRule(owner, stableName!, mv.metadata.name));
        await kube.apply(
          buildVirtualService(
            owner,
            spec,
            action.type === 'startShadow'
              ? { canaryWeight: 0, canary: false, shadow: true }
              : { canaryWeight: action.weight, canary: true },
          ),
        );
        return;
      case 'promote':
        // The pipeline's reconciler moves the stable Deployment and all traffic to this version.
        await kube.patchStatus('inquirypipelines', namespace, pipeline.metadata.name!, {
          stableModelVersion: mv.metadata.name,
        });
        if (stable) {
          const superseded = { phase: 'Superseded' as const, canaryWeight: 0 };
          await kube.patchStatus('modelversions', namespace, stable.metadata.name!, {
            ...superseded,
            conditions: modelVersionConditions(
              { ...stable.status, ...superseded },
              conditionContext(stable),
              now,
            ),
          });
        }
        if (mv.spec.model.version)
          await client.setAlias(mv.spec.model.name, 'champion', mv.spec.model.version);
        // The canary Deployment (pods labelled with this version, so in the new stable subset)
        // keeps serving until the stable Deployment has rolled over: retired after a delay.
        deps.metrics?.promotions.inc({ namespace, pipeline: mv.spec.pipeline });
        return;
      case 'rollback':
        if (stableName) await routeAllToStable(kube, pipeline, stableName);
        await kube.delete(canaryDeployment(pipeline, mv));
        deps.metrics?.rollbacks.inc({ namespace, pipeline: mv.spec.pipeline });
        return;
      case 'event':
        await kube.event(mv, action.severity, action.reason, action.message);
        return;
    }
  }
}

function scaleDownDelayMs(mv: ModelVersion): number {
  const delay = mv.spec.rollout?.scaleDownDelay;
  return delay ? parseDuration(delay) : DEFAULT_SCALE_DOWN_DELAY_MS;
}

/** After a promotion: removes the canary Deployment once its delay is over. */
async function retireCanary(
  deps: ModelVersionDeps,
  mv: ModelVersion,
  pipeline: InquiryPipeline,
  now: Date,
): Promise<number | null> {
  const dueInMs = Date.parse(mv.status!.canaryRetiresAt!) - now.getTime();
  recordRolloutGauges(deps.metrics, mv, mv.status!);
  if (dueInMs > 0) return dueInMs;
  await deps.kube.delete(canaryDeployment(pipeline, mv));
  await deps.kube.event(
    mv,
    'Normal',
    'CanaryRetired',
    `canary Deployment removed ${scaleDownDelayMs(mv) / 1000} s after promotion; the stable Deployment serves ${mv.metadata.name}`,
  );
  // Merge patch: null removes the field.
  await deps.kube.patchStatus('modelversions', mv.metadata.namespace!, mv.metadata.name!, {
    canaryRetiresAt: null,
  });
  return null;
}

/** The canary Deployment of `mv` (deleting needs only its name; applying needs the bundle). */
function canaryDeployment(
  pipeline: InquiryPipeline,
  mv: ModelVersion,
  artifactUri = mv.status?.artifactUri ?? '',
) {
  return buildInferenceDeployment(ownerOf(pipeline), withDefaults(pipeline.spec), {
    name: mv.metadata.name!,
    artifactUri,
    subset: 'canary',
    shadow: mv.spec.rollout?.strategy === 'Shadow',
  });
}

/** All traffic back to the stable version: weight 0 for the canary, only the stable subset. */
async function routeAllToStable(
  kube: KubeClient,
  pipeline: InquiryPipeline,
  stableName: string,
): Promise<void> {
  const owner = ownerOf(pipeline);
  await kube.apply(
    buildVirtualService(owner, withDefaults(pipeline.spec), { canaryWeight: 0, canary: false }),
  );
  await kube.apply(buildDestinationRule(owner, stableName));
}

/**
 * A ModelVersion being deleted: a rollout in progress gives its traffic back to the stable
 * version, the canary Deployment goes, the MLflow aliases pointing at this version are removed,
 * then the finalizer. Without its pipeline (deleted first) there is no tracking URI: the aliases
 * are left and a Warning says so, rather than holding the deletion forever.
 */
async function finalizeModelVersion(
  deps: ModelVersionDeps,
  mv: ModelVersion,
  pipeline: InquiryPipeline | undefined,
): Promise<void> {
  const { kube } = deps;
  const finalizers = mv.metadata.finalizers ?? [];
  if (!finalizers.includes(ALIAS_FINALIZER)) return;
  const { name: model, version } = mv.spec.model;
  if (pipeline) {
    const inRollout = mv.status?.phase === 'Progressing' || mv.status?.phase === 'Paused';
    const stableName = pipeline.status?.stableModelVersion;
    if (inRollout && stableName && stableName !== mv.metadata.name)
      await routeAllToStable(kube, pipeline, stableName);
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
}
