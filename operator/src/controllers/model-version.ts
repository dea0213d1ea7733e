/**
 * Reconciles a ModelVersion: resolves its bundle and run from the MLflow registry, asks the
 * canary state machine what to do, runs the analysis when it asks, carries out the actions
 * (canary Deployment and Istio weights, promotion with the MLflow `champion` alias, roll back),
 * and writes status. A pipeline without a stable model takes its first model at once.
 */
import type { ModelVersionSpec, ModelVersionStatus } from '../../../crds/types/modelversions.js';
import { MlflowClient } from '../../../lib/mlflow/client.js';
import type { AnalysisProvider } from '../analysis/provider.js';
import { MlflowProvider } from '../analysis/mlflow.js';
import { PrometheusProvider } from '../analysis/prometheus.js';
import { withDefaults } from '../builders/defaults.js';
import {
  buildDestinationRule,
  buildInferenceDeployment,
  buildVirtualService,
} from '../builders/serving.js';
import {
  judgeMetric,
  nextStep,
  planRollout,
  type Action,
  type AnalysisResult,
} from '../canary/index.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import type { InquiryPipeline } from './pipeline.js';

export type ModelVersion = KubeObject & { spec: ModelVersionSpec; status?: ModelVersionStatus };

const API_VERSION = 'inquiries.mlops.io/v1alpha1';
/** Annotation a human sets to promote or abort a rollout now. */
export const CONTROL_ANNOTATION = 'inquiries.mlops.io/control';

export interface ModelVersionDeps {
  kube: KubeClient;
  /** An MLflow client for a tracking URI (one per pipeline). */
  mlflow: (trackingUri: string) => MlflowClient;
  prometheusUrl?: string;
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
  const pipeline = await kube.read<InquiryPipeline>(
    API_VERSION,
    'InquiryPipeline',
    namespace,
    mv.spec.pipeline,
  );
  if (!pipeline) {
    await kube.patchStatus('modelversions', namespace, mv.metadata.name!, {
      phase: mv.status?.phase ?? 'Pending',
    });
    return 10_000;
  }
  const client = deps.mlflow(pipeline.spec.mlflow.trackingUri);
  const resolved = await resolveModel(client, mv);
  const stableName = pipeline.status?.stableModelVersion;
  const stable =
    stableName && stableName !== mv.metadata.name
      ? await kube.read<ModelVersion>(API_VERSION, 'ModelVersion', namespace, stableName)
      : undefined;
  const owner = {
    apiVersion: pipeline.apiVersion!,
    kind: pipeline.kind!,
    metadata: { name: pipeline.metadata.name!, namespace, uid: pipeline.metadata.uid! },
  };
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
  }

  for (const action of decision.actions) await carryOut(action);

  await kube.patchStatus('modelversions', namespace, mv.metadata.name!, {
    ...decision.status,
    artifactUri: resolved.artifactUri,
    runId: resolved.runId,
    ...(mv.metadata.generation === undefined ? {} : { observedGeneration: mv.metadata.generation }),
  });
  return decision.requeueAfterMs;

  async function carryOut(action: Action): Promise<void> {
    const canary = {
      name: mv.metadata.name!,
      artifactUri: resolved.artifactUri,
      subset: 'canary' as const,
    };
    switch (action.type) {
      case 'setCanaryWeight':
      case 'startShadow':
        await kube.apply(buildInferenceDeployment(owner, spec, canary));
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
        await kube.patchStatus('inquirypipelines', namespace, pipeline!.metadata.name!, {
          stableModelVersion: mv.metadata.name,
        });
        if (stable)
          await kube.patchStatus('modelversions', namespace, stable.metadata.name!, {
            phase: 'Superseded',
          });
        if (mv.spec.model.version)
          await client.setAlias(mv.spec.model.name, 'champion', mv.spec.model.version);
        await kube.delete(buildInferenceDeployment(owner, spec, canary));
        return;
      case 'rollback':
        if (stableName) {
          await kube.apply(buildVirtualService(owner, spec, { canaryWeight: 0, canary: false }));
          await kube.apply(buildDestinationRule(owner, stableName));
        }
        await kube.delete(buildInferenceDeployment(owner, spec, canary));
        return;
      case 'event':
        await kube.event(mv, action.severity, action.reason, action.message);
        return;
    }
  }
}
