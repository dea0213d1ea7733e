/**
 * The InquiryPipeline's Argo Workflows: a CronWorkflow per job (ingest; classify-batch fanned out
 * over shards; should-retrain → train → evaluate → register), each carrying the small Workflow
 * spec it starts: the pipeline's identity, volumes and limits, and one step. The classify and
 * retrain steps are the shared templates of the ClusterWorkflowTemplate STEP_TEMPLATES
 * (step-templates.ts), called with the pipeline's values as parameters; the ingest step, whose
 * arguments, environment and volume depend on the source's type, is written out here. The steps
 * are `inquiry-pipeline` commands of the platform image.
 */
import type { V1EnvVar, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ArgoTemplate, CronWorkflow, Workflow } from '../types/children.js';
import type { ResolvedPipelineSpec } from './defaults.js';
import {
  childMetadata,
  containerSecurity,
  DEFAULT_IMAGE,
  podSecurity,
  policyFileOf,
  type Owner,
} from './common.js';
import { LABELS, names, STEP_TEMPLATES } from '../names.js';
import { ingestStepParts } from './ingest-source.js';
import {
  COMMON_PARAMETERS,
  JOB_PARAMETERS,
  MLFLOW_CREDENTIAL_KEYS,
  MLFLOW_CREDENTIALS_PARAMETER,
  RETRY,
  sharedTemplateName,
  STEP_RESOURCES,
  type SharedJob,
} from './step-templates.js';

export type Job = 'ingest' | 'classify' | 'retrain';

function environment(spec: ResolvedPipelineSpec) {
  const env: V1EnvVar[] = [
    {
      name: 'DATABASE_URL',
      valueFrom: {
        secretKeyRef: { name: spec.databaseSecretRef.name, key: spec.databaseSecretRef.key },
      },
    },
    { name: 'MLFLOW_TRACKING_URI', value: spec.mlflow.trackingUri },
    { name: 'LOG_LEVEL', value: 'info' },
  ];
  const credentials = spec.mlflow.credentialsSecretRef?.name;
  if (credentials) {
    for (const key of MLFLOW_CREDENTIAL_KEYS) {
      env.push({
        name: key,
        valueFrom: { secretKeyRef: { name: credentials, key, optional: true } },
      });
    }
  }
  return env;
}

/** Every Workflow pod: /work shared by a pod's steps, and a writable /tmp (read-only root). */
const SCRATCH_VOLUMES: V1Volume[] = [
  { name: 'work', emptyDir: {} },
  { name: 'tmp', emptyDir: {} },
];

/** A step container written out in full (ingest, routing previews). */
function container(spec: ResolvedPipelineSpec, args: string[], mounts: V1VolumeMount[] = []) {
  return {
    image: spec.image ?? DEFAULT_IMAGE,
    command: ['inquiry-pipeline'],
    args,
    env: environment(spec),
    resources: STEP_RESOURCES,
    securityContext: containerSecurity,
    volumeMounts: [
      { name: 'work', mountPath: '/work' },
      { name: 'tmp', mountPath: '/tmp' },
      ...mounts,
    ],
  };
}

export const modelName = (owner: Owner, spec: ResolvedPipelineSpec): string =>
  spec.mlflow.modelName ?? `${owner.metadata.name}-classifier`;

/** The values a shared job template takes from this pipeline, by parameter name. */
export function jobArguments(
  owner: Owner,
  spec: ResolvedPipelineSpec,
  job: SharedJob,
): { name: string; value: string }[] {
  const t = spec.retraining.triggers;
  const values: Record<string, string> = {
    image: spec.image ?? DEFAULT_IMAGE,
    'database-secret': spec.databaseSecretRef.name,
    'database-secret-key': spec.databaseSecretRef.key,
    'mlflow-tracking-uri': spec.mlflow.trackingUri,
    pipeline: owner.metadata.name,
    namespace: owner.metadata.namespace,
    'model-name': modelName(owner, spec),
    'policy-file': policyFileOf(spec),
    shards: String(spec.classification.shards),
    'min-new-labels': String(t.minNewLabels),
    'drift-threshold': String(t.driftThreshold),
    'min-online-accuracy': String(t.minOnlineAccuracy),
    // JSON for `register --rollout`; empty: the ModelVersion CRD's default rollout.
    rollout: spec.retraining.rollout ? JSON.stringify(spec.retraining.rollout) : '',
    'out-of-scope': spec.retraining.outOfScopeExamples,
  };
  const credentials = spec.mlflow.credentialsSecretRef?.name;
  if (credentials) values[MLFLOW_CREDENTIALS_PARAMETER] = credentials;
  return [
    ...COMMON_PARAMETERS,
    ...(credentials ? [MLFLOW_CREDENTIALS_PARAMETER] : []),
    ...JOB_PARAMETERS[job],
  ].map((name) => ({ name, value: values[name]! }));
}

/** The job's one template: the ingest container, or a call of the shared job template. */
function entryTemplate(owner: Owner, spec: ResolvedPipelineSpec, job: Job): ArgoTemplate {
  if (job === 'ingest') {
    const step = ingestStepParts(spec.ingestion.source);
    const base = container(spec, ['ingest', ...step.args], step.mounts);
    return {
      name: 'ingest',
      retryStrategy: RETRY,
      container: { ...base, env: [...base.env, ...step.env] },
    };
  }
  return {
    name: job,
    steps: [
      [
        {
          name: job,
          templateRef: {
            name: STEP_TEMPLATES,
            template: sharedTemplateName(job, spec.mlflow.credentialsSecretRef !== undefined),
            clusterScope: true,
          },
          arguments: { parameters: jobArguments(owner, spec, job) },
        },
      ],
    ],
  };
}

function volumes(spec: ResolvedPipelineSpec, job: Job): V1Volume[] {
  if (job === 'ingest')
    return [...SCRATCH_VOLUMES, ...ingestStepParts(spec.ingestion.source).volumes];
  if (job === 'retrain') return SCRATCH_VOLUMES;
  // The shared classify step always mounts `policy`: the RoutingPolicy's ConfigMap, or nothing
  // to read when the step uses the image's default policy file.
  return [
    ...SCRATCH_VOLUMES,
    spec.routingPolicyRef
      ? { name: 'policy', configMap: { name: names.policyConfigMap(spec.routingPolicyRef.name) } }
      : { name: 'policy', emptyDir: {} },
  ];
}

/** The Workflow a job's CronWorkflow starts. */
export function jobWorkflowSpec(owner: Owner, spec: ResolvedPipelineSpec, job: Job) {
  return {
    entrypoint: job,
    serviceAccountName: names.workflowServiceAccount,
    securityContext: podSecurity,
    volumes: volumes(spec, job),
    activeDeadlineSeconds: job === 'retrain' ? 6 * 3600 : 3600,
    podGC: { strategy: 'OnPodSuccess' },
    ttlStrategy: { secondsAfterSuccess: 7 * 24 * 3600, secondsAfterFailure: 14 * 24 * 3600 },
    templates: [entryTemplate(owner, spec, job)],
  };
}

export function buildCronWorkflow(
  owner: Owner,
  spec: ResolvedPipelineSpec,
  job: Job,
): CronWorkflow {
  const schedule =
    job === 'ingest'
      ? spec.ingestion.schedule
      : job === 'classify'
        ? spec.classification.schedule
        : spec.retraining.schedule;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: childMetadata(owner, names.cronWorkflow(owner.metadata.name, job), `schedule-${job}`),
    spec: {
      schedules: [schedule],
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      suspend: false,
      workflowMetadata: {
        labels: {
          [LABELS.pipeline]: owner.metadata.name,
          [LABELS.job]: job,
        },
      },
      workflowSpec: jobWorkflowSpec(owner, spec, job),
    },
  };
}

/** The job label of routing-policy previews (not one of the scheduled jobs). */
export const PREVIEW_JOB = 'preview-routing';
/** Stored inquiries a preview routes again. */
export const PREVIEW_SAMPLE = 1000;

/**
 * A one-off Workflow that routes a pipeline's latest stored inquiries again under a policy
 * generation (`inquiry-pipeline preview-routing`, against the pipeline's database) and returns
 * the report as the output parameter `preview`. Owned by the policy: deleting it removes them.
 */
export function buildPolicyPreviewWorkflow(
  policy: Owner & { generation: number; yaml: string },
  pipeline: { name: string; spec: ResolvedPipelineSpec },
): Workflow {
  const name = names.policyPreview(policy.metadata.name, policy.generation, pipeline.name);
  const metadata = childMetadata(policy, name, 'routing-preview');
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      ...metadata,
      labels: {
        ...metadata.labels,
        [LABELS.pipeline]: pipeline.name,
        [LABELS.job]: PREVIEW_JOB,
        [LABELS.routingPolicy]: policy.metadata.name,
        [LABELS.policyGeneration]: String(policy.generation),
      },
    },
    spec: {
      entrypoint: 'preview',
      serviceAccountName: names.workflowServiceAccount,
      securityContext: podSecurity,
      activeDeadlineSeconds: 900,
      podGC: { strategy: 'OnPodCompletion' },
      ttlStrategy: { secondsAfterCompletion: 7 * 24 * 3600 },
      volumes: SCRATCH_VOLUMES,
      templates: [
        {
          name: 'preview',
          retryStrategy: { ...RETRY, limit: 2 },
          inputs: {
            artifacts: [{ name: 'policy', path: '/work/policy.yaml', raw: { data: policy.yaml } }],
          },
          outputs: {
            // globalName: the report lands in the Workflow's status.outputs, where the operator reads it.
            parameters: [
              { name: 'preview', globalName: 'preview', valueFrom: { path: '/work/preview.json' } },
            ],
          },
          container: container(pipeline.spec, [
            'preview-routing',
            '--policy',
            '/work/policy.yaml',
            '--limit',
            String(PREVIEW_SAMPLE),
            '--out',
            '/work/preview.json',
          ]),
        },
      ],
    },
  };
}
