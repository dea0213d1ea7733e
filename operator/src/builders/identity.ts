/**
 * The identities an InquiryPipeline's pods run as, created in the pipeline's own namespace (a
 * user who applies a pipeline into a new namespace gets them with it): a ServiceAccount for the
 * inference pods, which call no API, and one for the Workflow pods, bound to the chart's
 * WORKFLOW_CLUSTER_ROLE for that namespace only.
 */
import type { V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { names, WORKFLOW_CLUSTER_ROLE } from '../names.js';
import { childMetadata, type Owner } from './common.js';

export function buildServiceAccounts(owner: Owner): V1ServiceAccount[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: childMetadata(
        owner,
        names.inferenceServiceAccount(owner.metadata.name),
        'inference',
      ),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: childMetadata(
        owner,
        names.workflowServiceAccount(owner.metadata.name),
        'workflows',
      ),
    },
  ];
}

export function buildWorkflowRoleBinding(owner: Owner): V1RoleBinding {
  const account = names.workflowServiceAccount(owner.metadata.name);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: childMetadata(owner, account, 'workflows'),
    roleRef: {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: WORKFLOW_CLUSTER_ROLE,
    },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace: owner.metadata.namespace }],
  };
}
