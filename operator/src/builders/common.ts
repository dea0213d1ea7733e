/** What every child object shares: labels, the owner reference, the pod security context. */
import type {
  V1OwnerReference,
  V1PodSecurityContext,
  V1SecurityContext,
} from '@kubernetes/client-node';
import { LABELS } from '../names.js';

export interface Owner {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; uid: string };
}

/** The owner fields of a stored object (the API server has filled name, namespace and uid). */
export function ownerOf(object: {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string };
}): Owner {
  return {
    apiVersion: object.apiVersion!,
    kind: object.kind!,
    metadata: {
      name: object.metadata.name!,
      namespace: object.metadata.namespace!,
      uid: object.metadata.uid!,
    },
  };
}

export function ownerReference(owner: Owner): V1OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    // No blockOwnerDeletion: it would need `update` on the owner's finalizers wherever the
    // OwnerReferencesPermissionEnforcement admission plugin runs, for foreground deletion only.
    controller: true,
  };
}

export function childMetadata(owner: Owner, name: string, component: string) {
  return {
    name,
    namespace: owner.metadata.namespace,
    labels: {
      [LABELS.managedBy]: 'inquiry-operator',
      [LABELS.pipeline]: owner.metadata.name,
      [LABELS.component]: component,
    },
    ownerReferences: [ownerReference(owner)],
  };
}

// `satisfies`, not a type annotation: the literal types also fit the Argo models' pod specs.
export const podSecurity = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
  seccompProfile: { type: 'RuntimeDefault' },
} satisfies V1PodSecurityContext;

export const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
} satisfies V1SecurityContext;

export const DEFAULT_IMAGE = 'ghcr.io/inquiry-platform/platform:0.1.0';

/**
 * The routing policy of a pipeline without `routingPolicyRef`: config/routing_rules.yaml, which
 * the platform image carries (docker/inference-server.Dockerfile: WORKDIR /app, COPY config).
 */
export const DEFAULT_POLICY_FILE = '/app/config/routing_rules.yaml';

/** Where a RoutingPolicy's ConfigMap is mounted, and its file there. */
export const POLICY_DIR = '/etc/inquiry/policy';
export const POLICY_FILE = `${POLICY_DIR}/routing_rules.yaml`;

/** The policy file a pipeline's pods read: its RoutingPolicy's, or the image's default. */
export const policyFileOf = (spec: { routingPolicyRef?: { name: string } }): string =>
  spec.routingPolicyRef ? POLICY_FILE : DEFAULT_POLICY_FILE;
