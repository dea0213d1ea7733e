/**
 * What the operator's informer caches keep of an object: the cache holds every object of a
 * watched kind, so a fleet's memory is mostly what is cached. `managedFields` (often half an
 * object) is never read; for children and Workflows only the identity, labels, owners and the
 * Workflow's progress are.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { revisionExceptReplicas, revisionOf } from './revision.js';

type Trim = (object: KubernetesObject) => KubernetesObject;

/** Our own resources: everything but `metadata.managedFields`. */
export const withoutManagedFields: Trim = (object) => {
  if (!object.metadata?.managedFields) return object;
  const metadata = { ...object.metadata };
  delete metadata.managedFields;
  return { ...object, metadata };
};

/**
 * Children and Workflows: identity, labels, owners, deletion, the revision of the desired state
 * (generation, or a hash of the spec it drops; for a Deployment also a hash of its spec but the
 * replicas), a Workflow's status summary and a Deployment's available replicas.
 */
export const identityAndProgress: Trim = (object) => {
  const m = object.metadata ?? {};
  const status = (object as { status?: Record<string, unknown> }).status;
  const exceptReplicas = revisionExceptReplicas(object);
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    revision: revisionOf(object),
    ...(exceptReplicas !== undefined ? { exceptReplicas } : {}),
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      creationTimestamp: m.creationTimestamp,
      ...(m.labels ? { labels: m.labels } : {}),
      ...(m.ownerReferences ? { ownerReferences: m.ownerReferences } : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    ...(status
      ? {
          status: Object.fromEntries(
            ['phase', 'startedAt', 'finishedAt', 'message', 'outputs', 'availableReplicas']
              .filter((key) => status[key] !== undefined)
              .map((key) => [key, status[key]]),
          ),
        }
      : {}),
  };
};
