/**
 * The identities the pods of a namespace's InquiryPipelines run as, one set per namespace (a
 * user who applies a pipeline into a new namespace gets them with it): a ServiceAccount for the
 * inference pods, which call no API, and one for the Workflow pods, bound to the chart's
 * WORKFLOW_CLUSTER_ROLE for that namespace only.
 *
 * They belong to no pipeline (no owner reference): every pipeline of the namespace applies the
 * same three objects, which the apply memo skips once they exist, and the operator deletes them
 * when the namespace's last pipeline goes. Before, each pipeline had its own pair and binding:
 * 3 of the ~20 API calls that make a new pipeline Ready, for the same permissions.
 */
import type { V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { LABELS, names, WORKFLOW_CLUSTER_ROLE } from '../names.js';

const metadata = (namespace: string, name: string, component: string) => ({
  name,
  namespace,
  labels: { [LABELS.managedBy]: 'inquiry-operator', [LABELS.component]: component },
});

export function buildNamespaceIdentities(
  namespace: string,
): [V1ServiceAccount, V1ServiceAccount, V1RoleBinding] {
  const workflows = names.workflowServiceAccount;
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: metadata(namespace, names.inferenceServiceAccount, 'inference'),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: metadata(namespace, workflows, 'workflows'),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: metadata(namespace, workflows, 'workflows'),
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: WORKFLOW_CLUSTER_ROLE,
      },
      subjects: [{ kind: 'ServiceAccount', name: workflows, namespace }],
    },
  ];
}

interface Identified {
  kind?: string;
  metadata?: { name?: string; ownerReferences?: { kind: string; name: string }[] };
}

const isIdentityKind = (kind: string | undefined) =>
  kind === 'ServiceAccount' || kind === 'RoleBinding';

/** One of the namespace identities above (as the operator's child caches hold it). */
export function isNamespaceIdentity(object: Identified): boolean {
  const name = object.metadata?.name;
  return (
    isIdentityKind(object.kind) &&
    (name === names.workflowServiceAccount ||
      (object.kind === 'ServiceAccount' && name === names.inferenceServiceAccount)) &&
    !object.metadata?.ownerReferences?.some((owner) => owner.kind === 'InquiryPipeline')
  );
}

/**
 * A pipeline's own ServiceAccount or RoleBinding (of `pipeline`, or of any pipeline), as
 * operators before the namespace identities created them (`<pipeline>-inference`,
 * `<pipeline>-workflows`): retired, deleted by the pipeline's reconcile once none of its
 * Workflows runs under them.
 */
export function isRetiredIdentity(object: Identified, pipeline?: string): boolean {
  return (
    isIdentityKind(object.kind) &&
    (object.metadata?.ownerReferences ?? []).some(
      (owner) =>
        owner.kind === 'InquiryPipeline' && (pipeline === undefined || owner.name === pipeline),
    )
  );
}
