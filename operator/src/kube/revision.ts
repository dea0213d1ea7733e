/**
 * The revision of an object's desired state: what changes when someone changes what the object
 * should be, and not when a controller writes its status. Kinds with a spec generation
 * (Deployments, custom resources) use it; the others (Services, ConfigMaps, HPAs, RoleBindings,
 * ServiceAccounts) a hash of their spec, data or bindings, since their resourceVersion also moves with status: an HPA's status is
 * rewritten every sync period, and by resourceVersion each write looked like an edit.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../controllers/status.js';

interface Revisioned {
  metadata?: { generation?: number; uid?: string };
  spec?: unknown;
  data?: unknown;
  binaryData?: unknown;
  /** A RoleBinding's desired state. */
  roleRef?: unknown;
  subjects?: unknown;
  /** A ServiceAccount's. */
  automountServiceAccountToken?: unknown;
  /** Set on the informers' trimmed copies, which keep no spec (see trim.ts). */
  revision?: string;
  exceptReplicas?: string;
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('base64url');

export function revisionOf(object: Revisioned): string {
  if (object.revision !== undefined) return object.revision;
  const generation = object.metadata?.generation;
  if (generation !== undefined) return `generation ${generation}`;
  // Canonical: an apply's answer (client-node's typed models) and a watch event (raw JSON) may
  // order keys differently.
  const content = canonicalJson([
    object.spec,
    object.data,
    object.binaryData,
    object.roleRef,
    object.subjects,
    object.automountServiceAccountToken,
  ]);
  return `content ${sha1(content)}`;
}

/**
 * A workload's desired state but its replica count (a hash of the rest of its spec), which an
 * autoscaler owns when the operator leaves it unset; undefined for an object without a pod
 * template.
 */
export function revisionExceptReplicas(object: Revisioned): string | undefined {
  if (object.exceptReplicas !== undefined) return object.exceptReplicas;
  const spec = object.spec as { template?: unknown; replicas?: unknown } | undefined;
  if (spec?.template === undefined) return undefined;
  return `content ${sha1(canonicalJson({ ...spec, replicas: undefined }))}`;
}
