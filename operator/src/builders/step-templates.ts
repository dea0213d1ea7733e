/**
 * The Argo step templates every InquiryPipeline's jobs share: one ClusterWorkflowTemplate, installed
 * once by the chart (its file is generated from `buildStepTemplates()`), referenced by each
 * pipeline's CronWorkflows with `templateRef` and `clusterScope: true`. Everything that differs
 * between pipelines (image, Secret names, MLflow, model, policy file, shards, thresholds, names)
 * arrives as an input parameter, so the per-pipeline objects stay small.
 *
 * Parameters reach containers only as single arguments or environment values (never spliced
 * into a shell script's text). A pipeline with MLflow credentials calls the `-mlflow-auth`
 * variant of a template, whose steps also read the credentials Secret named by a parameter.
 */
import { stringify } from 'yaml';
import type { ArgoTemplate, ClusterWorkflowTemplate } from '../types/children.js';
import { STEP_TEMPLATES } from '../names.js';
import { containerSecurity, POLICY_DIR } from './common.js';

export const RETRY = {
  limit: 3,
  retryPolicy: 'Always',
  backoff: { duration: '30s', factor: 2, maxDuration: '15m' },
};

export const STEP_RESOURCES = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '2', memory: '2Gi' },
};

/** `should-retrain` and `evaluate --require-better`: exit 3 means "no" (pipelines/src/cli.ts). */
const NO_RETRAIN_EXIT = 3;
const NOT_BETTER_EXIT = 3;
export const RETRAIN = 'retrain';
export const DECISION_FILE = '/work/decision';

/** The Secret keys a pipeline's `mlflow.credentialsSecretRef` may hold, read when present. */
export const MLFLOW_CREDENTIAL_KEYS = [
  'MLFLOW_TRACKING_TOKEN',
  'MLFLOW_TRACKING_USERNAME',
  'MLFLOW_TRACKING_PASSWORD',
];

/** The shared templates a job's CronWorkflow calls, by job. */
export type SharedJob = 'classify' | 'retrain';

/** The parameters of each shared job template, in the order the pipeline passes them. */
export const JOB_PARAMETERS = {
  classify: ['pipeline', 'model-name', 'policy-file', 'shards'],
  retrain: [
    'pipeline',
    'namespace',
    'model-name',
    'min-new-labels',
    'drift-threshold',
    'min-online-accuracy',
    'rollout',
    'out-of-scope',
  ],
} as const satisfies Record<SharedJob, readonly string[]>;

/** The retrain job's steps' own parameters: the decision, then train → evaluate → register. */
const DECIDE_PARAMETERS = [
  'model-name',
  'min-new-labels',
  'drift-threshold',
  'min-online-accuracy',
] as const;
const TRAIN_PARAMETERS = [
  'pipeline',
  'namespace',
  'model-name',
  'rollout',
  'out-of-scope',
] as const;

/** Parameters every step takes: where it runs and what it talks to. */
export const COMMON_PARAMETERS = [
  'image',
  'database-secret',
  'database-secret-key',
  'mlflow-tracking-uri',
] as const;
export const MLFLOW_CREDENTIALS_PARAMETER = 'mlflow-credentials-secret';

/** The name of a shared template, in its plain or MLflow-credentials variant. */
export const sharedTemplateName = (base: string, mlflowAuth: boolean): string =>
  mlflowAuth ? `${base}-mlflow-auth` : base;

const input = (name: string) => `{{inputs.parameters.${name}}}`;
const parameters = (names: readonly string[]) => names.map((name) => ({ name }));
/** Passes the caller's inputs of these names on to a step of the same names. */
const passOn = (names: readonly string[]) => names.map((name) => ({ name, value: input(name) }));

function commonInputs(mlflowAuth: boolean): string[] {
  return [...COMMON_PARAMETERS, ...(mlflowAuth ? [MLFLOW_CREDENTIALS_PARAMETER] : [])];
}

function environment(mlflowAuth: boolean, extra: { name: string; value: string }[] = []) {
  return [
    {
      name: 'DATABASE_URL',
      valueFrom: {
        secretKeyRef: { name: input('database-secret'), key: input('database-secret-key') },
      },
    },
    { name: 'MLFLOW_TRACKING_URI', value: input('mlflow-tracking-uri') },
    { name: 'LOG_LEVEL', value: 'info' },
    ...(mlflowAuth
      ? MLFLOW_CREDENTIAL_KEYS.map((key) => ({
          name: key,
          valueFrom: {
            secretKeyRef: { name: input(MLFLOW_CREDENTIALS_PARAMETER), key, optional: true },
          },
        }))
      : []),
    ...extra,
  ];
}

const SCRATCH_MOUNTS = [
  { name: 'work', mountPath: '/work' },
  { name: 'tmp', mountPath: '/tmp' },
];

/**
 * The calling Workflow declares the volumes: `work` and `tmp` (emptyDir) and, for classify,
 * `policy` (its RoutingPolicy's ConfigMap, or an emptyDir when it reads the image's default).
 */
function container(
  mlflowAuth: boolean,
  args: string[],
  extra: { env?: { name: string; value: string }[]; policy?: boolean } = {},
) {
  return {
    image: input('image'),
    command: ['inquiry-pipeline'],
    args,
    env: environment(mlflowAuth, extra.env),
    resources: STEP_RESOURCES,
    securityContext: containerSecurity,
    volumeMounts: [
      ...SCRATCH_MOUNTS,
      ...(extra.policy ? [{ name: 'policy', mountPath: POLICY_DIR, readOnly: true }] : []),
    ],
  };
}

/** A `sh` script step: the values it needs come in as environment variables, quoted in use. */
function script(mlflowAuth: boolean, env: { name: string; value: string }[], lines: string[]) {
  const withoutArgs = (({ args: _args, ...rest }) => rest)(container(mlflowAuth, [], { env }));
  return { ...withoutArgs, command: ['sh'], source: lines.join('\n') };
}

/** Runs should-retrain and writes `retrain` or `skip` to DECISION_FILE; other exits fail. */
export const SHOULD_RETRAIN_SCRIPT = [
  'set -u',
  'status=0',
  'inquiry-pipeline should-retrain --model-name "$MODEL_NAME" --min-new-labels "$MIN_NEW_LABELS" --drift-threshold "$DRIFT_THRESHOLD" --min-online-accuracy "$MIN_ONLINE_ACCURACY" || status=$?',
  'case "$status" in',
  `  0) echo ${RETRAIN} > ${DECISION_FILE} ;;`,
  `  ${NO_RETRAIN_EXIT}) echo skip > ${DECISION_FILE} ;;`,
  '  *) echo "should-retrain failed with exit status $status" >&2; exit "$status" ;;',
  'esac',
];

/**
 * The retrain template's `out-of-scope` when a caller passes none (a CronWorkflow written before
 * the parameter existed): the InquiryPipeline CRD's default for `retraining.outOfScopeExamples`.
 */
export const DEFAULT_OUT_OF_SCOPE = 'builtin';

/** One pod: the bundle and the report stay on its /work volume between the three steps. */
export const TRAIN_EVALUATE_REGISTER_SCRIPT = [
  'set -eu',
  // The pipeline's retraining.outOfScopeExamples: `builtin` adds the image's off-topic text as
  // outliers of the category head (train --out-of-scope), `none` trains on the database alone.
  'if [ "$OUT_OF_SCOPE" = none ]; then set --; else set -- --out-of-scope "$OUT_OF_SCOPE"; fi',
  // Evaluated on the examples held out of its own training (never trained on); the out-of-scope
  // ones among them count in no metric and are reported apart.
  'inquiry-pipeline train --from-db "$@" --out /work/bundle --write-test /work/test.jsonl',
  // Against the champion: exit 3 when the candidate is not better, and then nothing is
  // registered (a first model, without a champion, always is).
  'status=0',
  'inquiry-pipeline evaluate --bundle /work/bundle --data /work/test.jsonl --outlier-column outOfScope --out /work/report --champion-model "$MODEL_NAME" --require-better || status=$?',
  `if [ "$status" -eq ${NOT_BETTER_EXIT} ]; then echo 'the candidate does not beat the champion: not registered'; exit 0; fi`,
  'if [ "$status" -ne 0 ]; then exit "$status"; fi',
  // The pipeline's retraining.rollout (empty: the ModelVersion CRD's default).
  'inquiry-pipeline register --bundle /work/bundle --evaluation /work/report --pipeline "$PIPELINE" --model-name "$MODEL_NAME" --namespace "$NAMESPACE" --rollout "$ROLLOUT"',
];

/** The templates of one variant (plain, or with MLflow credentials). */
function variant(mlflowAuth: boolean): ArgoTemplate[] {
  const name = (base: string) => sharedTemplateName(base, mlflowAuth);
  const common = commonInputs(mlflowAuth);
  const asEnv = (pairs: [string, string][]) =>
    pairs.map(([env, parameter]) => ({ name: env, value: input(parameter) }));
  return [
    {
      // The shards, then the online accuracy of every serving version against the feedback
      // received: the sample the canary analysis (online.accuracy) reads.
      name: name('classify'),
      inputs: { parameters: parameters([...common, ...JOB_PARAMETERS.classify]) },
      steps: [
        [
          {
            name: 'shard',
            template: name('classify-shard'),
            arguments: {
              parameters: [
                ...passOn([...common, 'model-name', 'policy-file', 'shards']),
                { name: 'shard', value: '{{item}}' },
              ],
            },
            withSequence: { count: input('shards') },
          },
        ],
        [
          {
            name: 'evaluate-online',
            template: name('evaluate-online'),
            arguments: { parameters: passOn([...common, 'pipeline']) },
          },
        ],
      ],
    },
    {
      name: name('classify-shard'),
      inputs: {
        parameters: parameters([...common, 'model-name', 'policy-file', 'shards', 'shard']),
      },
      retryStrategy: RETRY,
      container: container(
        mlflowAuth,
        [
          'classify-batch',
          '--model-name',
          input('model-name'),
          '--alias',
          'champion',
          '--policy',
          input('policy-file'),
          '--shard',
          `${input('shard')}/${input('shards')}`,
        ],
        { policy: true },
      ),
    },
    {
      name: name('evaluate-online'),
      inputs: { parameters: parameters([...common, 'pipeline']) },
      retryStrategy: RETRY,
      container: container(mlflowAuth, ['evaluate-online', '--pipeline', input('pipeline')]),
    },
    {
      name: name('retrain'),
      inputs: {
        parameters: parameters([...common, ...JOB_PARAMETERS.retrain]).map((parameter) =>
          parameter.name === 'out-of-scope'
            ? { ...parameter, default: DEFAULT_OUT_OF_SCOPE }
            : parameter,
        ),
      },
      steps: [
        [
          {
            name: 'should-retrain',
            template: name('should-retrain'),
            arguments: { parameters: passOn([...common, ...DECIDE_PARAMETERS]) },
          },
        ],
        [
          {
            name: 'train-evaluate-register',
            template: name('train-evaluate-register'),
            arguments: { parameters: passOn([...common, ...TRAIN_PARAMETERS]) },
            when: `{{steps.should-retrain.outputs.parameters.decision}} == ${RETRAIN}`,
          },
        ],
      ],
    },
    {
      // Exit 3 of should-retrain means "not needed"; any other failure fails the step (and is
      // retried), never passes for a skip.
      name: name('should-retrain'),
      inputs: { parameters: parameters([...common, ...DECIDE_PARAMETERS]) },
      retryStrategy: RETRY,
      outputs: { parameters: [{ name: 'decision', valueFrom: { path: DECISION_FILE } }] },
      script: script(
        mlflowAuth,
        asEnv([
          ['MODEL_NAME', 'model-name'],
          ['MIN_NEW_LABELS', 'min-new-labels'],
          ['DRIFT_THRESHOLD', 'drift-threshold'],
          ['MIN_ONLINE_ACCURACY', 'min-online-accuracy'],
        ]),
        SHOULD_RETRAIN_SCRIPT,
      ),
    },
    {
      name: name('train-evaluate-register'),
      inputs: { parameters: parameters([...common, ...TRAIN_PARAMETERS]) },
      retryStrategy: RETRY,
      script: script(
        mlflowAuth,
        asEnv([
          ['MODEL_NAME', 'model-name'],
          ['PIPELINE', 'pipeline'],
          ['NAMESPACE', 'namespace'],
          ['ROLLOUT', 'rollout'],
          ['OUT_OF_SCOPE', 'out-of-scope'],
        ]),
        TRAIN_EVALUATE_REGISTER_SCRIPT,
      ),
    },
  ];
}

/** The ClusterWorkflowTemplate with every shared template, in both variants. */
export function buildStepTemplates(): ClusterWorkflowTemplate {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ClusterWorkflowTemplate',
    metadata: {
      name: STEP_TEMPLATES,
      labels: { 'app.kubernetes.io/component': 'workflows' },
    },
    spec: { templates: [...variant(false), ...variant(true)] },
  };
}

/** Where the chart keeps the generated file, relative to the repository's root. */
export const STEP_TEMPLATES_FILE = 'charts/inquiry-platform/files/generated/workflow-steps.yaml';

/** The chart's file: `buildStepTemplates()` as YAML under a header naming its generator. */
export function renderStepTemplates(): string {
  return [
    '# Generated from operator/src/builders/step-templates.ts by `npm run generate:steps`. Do not edit.',
    '# The chart installs it (templates/workflow-steps.yaml); the test bed applies the same file.',
    stringify(buildStepTemplates(), { lineWidth: 0, singleQuote: true }),
  ].join('\n');
}
