/**
 * The InquiryPipeline's Argo Workflows: a WorkflowTemplate per job (ingest; classify-batch fanned
 * out over shards; should-retrain → train → evaluate → register) and a CronWorkflow per
 * schedule. The steps are `inquiry-pipeline` commands of the platform image.
 */
import type { V1EnvVar, V1VolumeMount } from '@kubernetes/client-node';
import type { ArgoTemplate, CronWorkflow, Workflow, WorkflowTemplate } from '../types/children.js';
import type { ResolvedPipelineSpec } from './defaults.js';
import {
  childMetadata,
  containerSecurity,
  DEFAULT_IMAGE,
  POLICY_DIR,
  podSecurity,
  policyFileOf,
  type Owner,
} from './common.js';
import { LABELS, names } from '../names.js';
import { ingestStepParts } from './ingest-source.js';

type Job = 'ingest' | 'classify' | 'retrain';

const RETRY = {
  limit: 3,
  retryPolicy: 'Always',
  backoff: { duration: '30s', factor: 2, maxDuration: '15m' },
};

const RESOURCES = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '2', memory: '2Gi' },
};

function environment(owner: Owner, spec: ResolvedPipelineSpec) {
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
    for (const key of [
      'MLFLOW_TRACKING_TOKEN',
      'MLFLOW_TRACKING_USERNAME',
      'MLFLOW_TRACKING_PASSWORD',
    ]) {
      env.push({
        name: key,
        valueFrom: { secretKeyRef: { name: credentials, key, optional: true } },
      });
    }
  }
  return env;
}

const POLICY_MOUNT = { name: 'policy', mountPath: POLICY_DIR, readOnly: true };

/** Every Workflow pod: /work shared by a pod's steps, and a writable /tmp (read-only root). */
const SCRATCH_VOLUMES = [
  { name: 'work', emptyDir: {} },
  { name: 'tmp', emptyDir: {} },
];

function container(
  owner: Owner,
  spec: ResolvedPipelineSpec,
  args: string[],
  mounts: V1VolumeMount[] = [],
) {
  return {
    image: spec.image ?? DEFAULT_IMAGE,
    command: ['inquiry-pipeline'],
    args,
    env: environment(owner, spec),
    resources: RESOURCES,
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

function templates(
  owner: Owner,
  spec: ResolvedPipelineSpec,
  job: Job,
): { entrypoint: string; templates: ArgoTemplate[] } {
  switch (job) {
    case 'ingest': {
      const step = ingestStepParts(spec.ingestion.source);
      const base = container(owner, spec, ['ingest', ...step.args], step.mounts);
      return {
        entrypoint: 'ingest',
        templates: [
          {
            name: 'ingest',
            retryStrategy: RETRY,
            container: { ...base, env: [...base.env, ...step.env] },
          },
        ],
      };
    }
    case 'classify':
      return {
        entrypoint: 'classify',
        templates: [
          {
            // The shards, then the online accuracy of every serving version against the
            // feedback received: the sample the canary analysis (online.accuracy) reads.
            name: 'classify',
            steps: [
              [
                {
                  name: 'shard',
                  template: 'classify-shard',
                  arguments: { parameters: [{ name: 'shard', value: '{{item}}' }] },
                  withSequence: { count: String(spec.classification.shards) },
                },
              ],
              [{ name: 'evaluate-online', template: 'evaluate-online' }],
            ],
          },
          {
            name: 'evaluate-online',
            retryStrategy: RETRY,
            container: container(owner, spec, [
              'evaluate-online',
              '--pipeline',
              owner.metadata.name,
            ]),
          },
          {
            name: 'classify-shard',
            inputs: { parameters: [{ name: 'shard' }] },
            retryStrategy: RETRY,
            container: container(
              owner,
              spec,
              [
                'classify-batch',
                '--model-name',
                modelName(owner, spec),
                '--alias',
                'champion',
                '--policy',
                policyFileOf(spec),
                '--shard',
                `{{inputs.parameters.shard}}/${spec.classification.shards}`,
              ],
              spec.routingPolicyRef ? [POLICY_MOUNT] : [],
            ),
          },
        ],
      };
    case 'retrain': {
      const t = spec.retraining.triggers;
      return {
        entrypoint: 'retrain',
        templates: [
          {
            name: 'retrain',
            steps: [
              [{ name: 'should-retrain', template: 'should-retrain' }],
              [
                {
                  name: 'train-evaluate-register',
                  template: 'train-evaluate-register',
                  when: `{{steps.should-retrain.outputs.parameters.decision}} == ${RETRAIN}`,
                },
              ],
            ],
          },
          {
            // Exit 3 of should-retrain means "not needed"; any other failure fails the step (and
            // is retried), never passes for a skip.
            name: 'should-retrain',
            retryStrategy: RETRY,
            outputs: {
              parameters: [{ name: 'decision', valueFrom: { path: DECISION_FILE } }],
            },
            script: {
              ...(({ args: _args, ...rest }) => rest)(container(owner, spec, [])),
              command: ['sh'],
              source: shouldRetrainScript([
                'inquiry-pipeline',
                'should-retrain',
                '--model-name',
                modelName(owner, spec),
                '--min-new-labels',
                String(t.minNewLabels),
                '--drift-threshold',
                String(t.driftThreshold),
                '--min-online-accuracy',
                String(t.minOnlineAccuracy),
              ]),
            },
          },
          {
            // One pod: the bundle and the report stay on its /work volume between the three steps.
            name: 'train-evaluate-register',
            retryStrategy: RETRY,
            script: {
              ...(({ args: _args, ...rest }) => rest)(container(owner, spec, [])),
              command: ['sh'],
              source: [
                'set -eu',
                // Evaluated on the examples held out of its own training (never trained on).
                'inquiry-pipeline train --from-db --out /work/bundle --write-test /work/test.jsonl',
                // Against the champion: exit 3 when the candidate is not better, and then
                // nothing is registered (a first model, without a champion, always is).
                'status=0',
                `inquiry-pipeline evaluate --bundle /work/bundle --data /work/test.jsonl --out /work/report --champion-model ${modelName(owner, spec)} --require-better || status=$?`,
                `if [ "$status" -eq ${NOT_BETTER_EXIT} ]; then echo 'the candidate does not beat the champion: not registered'; exit 0; fi`,
                'if [ "$status" -ne 0 ]; then exit "$status"; fi',
                `inquiry-pipeline register --bundle /work/bundle --evaluation /work/report --pipeline ${owner.metadata.name} --model-name ${modelName(owner, spec)} --namespace ${owner.metadata.namespace}`,
              ].join('\n'),
            },
          },
        ],
      };
    }
  }
}

/** `should-retrain` and `evaluate --require-better`: exit 3 means "no" (pipelines/src/cli.ts). */
const NO_RETRAIN_EXIT = 3;
const NOT_BETTER_EXIT = 3;
const RETRAIN = 'retrain';
const DECISION_FILE = '/work/decision';

/** Runs should-retrain and writes `retrain` or `skip` to DECISION_FILE; other exits fail. */
export function shouldRetrainScript(command: string[]): string {
  return [
    'set -u',
    'status=0',
    `${command.join(' ')} || status=$?`,
    'case "$status" in',
    `  0) echo ${RETRAIN} > ${DECISION_FILE} ;;`,
    `  ${NO_RETRAIN_EXIT}) echo skip > ${DECISION_FILE} ;;`,
    '  *) echo "should-retrain failed with exit status $status" >&2; exit "$status" ;;',
    'esac',
  ].join('\n');
}

export function buildWorkflowTemplate(
  owner: Owner,
  spec: ResolvedPipelineSpec,
  job: Job,
): WorkflowTemplate {
  const { entrypoint, templates: list } = templates(owner, spec, job);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'WorkflowTemplate',
    metadata: childMetadata(owner, names.workflowTemplate(owner.metadata.name, job), `job-${job}`),
    spec: {
      entrypoint,
      serviceAccountName: names.workflowServiceAccount(owner.metadata.name),
      securityContext: podSecurity,
      volumes: [
        ...SCRATCH_VOLUMES,
        ...(job === 'ingest' ? ingestStepParts(spec.ingestion.source).volumes : []),
        ...(job === 'classify' && spec.routingPolicyRef
          ? [
              {
                name: 'policy',
                configMap: { name: names.policyConfigMap(spec.routingPolicyRef.name) },
              },
            ]
          : []),
      ],
      activeDeadlineSeconds: job === 'retrain' ? 6 * 3600 : 3600,
      podGC: { strategy: 'OnPodSuccess' },
      ttlStrategy: { secondsAfterSuccess: 7 * 24 * 3600, secondsAfterFailure: 14 * 24 * 3600 },
      templates: list,
    },
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
      suspend: job === 'ingest' && !spec.ingestion.source,
      workflowMetadata: {
        labels: {
          [LABELS.pipeline]: owner.metadata.name,
          [LABELS.job]: job,
        },
      },
      workflowSpec: {
        workflowTemplateRef: { name: names.workflowTemplate(owner.metadata.name, job) },
      },
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
      serviceAccountName: names.workflowServiceAccount(pipeline.name),
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
          container: container(policy, pipeline.spec, [
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
