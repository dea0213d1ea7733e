/**
 * Deterministic names of everything the operator creates, within the 63-character DNS-label
 * limit: a name that would be too long keeps a readable prefix and ends with a short hash.
 */
import { createHash } from 'node:crypto';

const LIMIT = 63;

export function dnsLabel(...parts: string[]): string {
  const name = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (name.length <= LIMIT) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, LIMIT - 9).replace(/-+$/, '')}-${hash}`;
}

export const names = {
  inference: (pipeline: string) => dnsLabel(pipeline, 'inference'),
  canaryDeployment: (pipeline: string, version: string) => dnsLabel(pipeline, 'inference', version),
  cronWorkflow: (pipeline: string, job: 'ingest' | 'classify' | 'retrain') =>
    dnsLabel(pipeline, job),
  policyConfigMap: (policy: string) => dnsLabel(policy, 'routing'),
  /**
   * The inference pods' identity, one per namespace (no API permissions; its name is their mTLS
   * principal).
   */
  inferenceServiceAccount: 'inquiry-inference',
  /** The Workflow pods' identity, one per namespace, and its RoleBinding to WORKFLOW_CLUSTER_ROLE. */
  workflowServiceAccount: 'inquiry-workflows',
  policyPreview: (policy: string, generation: number, pipeline: string) =>
    dnsLabel(policy, 'preview', String(generation), pipeline),
};

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  pipeline: 'inquiries.mlops.io/pipeline',
  component: 'app.kubernetes.io/component',
  modelVersion: 'inquiries.mlops.io/model-version',
  track: 'inquiries.mlops.io/track',
  /** On the Workflows a CronWorkflow starts: the job (ingest, classify, retrain). */
  job: 'inquiries.mlops.io/job',
  /** On routing-policy preview Workflows: the policy and the generation they preview. */
  routingPolicy: 'inquiries.mlops.io/routing-policy',
  policyGeneration: 'inquiries.mlops.io/policy-generation',
} as const;

export const FIELD_MANAGER = 'inquiry-operator';
/** The field manager that holds a Deployment's replicas while they pass to its autoscaler. */
export const REPLICAS_HANDOVER_MANAGER = 'inquiry-operator-handover-to-hpa';

/**
 * The ClusterRole the chart installs for Workflow pods (Argo's executor: workflowtaskresults;
 * the register step: create ModelVersions). The operator binds it in each pipeline's namespace,
 * which its own role allows for this name only (`bind` with resourceNames).
 */
export const WORKFLOW_CLUSTER_ROLE = 'inquiry-platform-workflow';

/**
 * The ClusterWorkflowTemplate of the steps every pipeline's jobs share
 * (builders/step-templates.ts), installed by the chart; the CronWorkflows reference it by name.
 */
export const STEP_TEMPLATES = 'inquiry-platform-steps';
