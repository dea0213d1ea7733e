/**
 * What the operator's informer caches keep of an object: the cache holds every object of a
 * watched kind, so a fleet's memory is mostly what is cached. `managedFields` (often half an
 * object) and kubectl's last-applied copy are never read; of children only the identity, the
 * owners and the revision of their desired state are, of Workflows also labels and progress.
 * The strings a fleet repeats (namespaces, kinds, owners, label values, condition messages) are
 * kept once: a parsed watch event brings its own copy of each.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { lastApplyOf } from './apply-memo.js';
import { revisionExceptReplicas, revisionOf } from './revision.js';

type Trim = (object: KubernetesObject) => KubernetesObject;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * One copy of each string it is handed. Cleared when full, so strings of objects long gone do
 * not stay: what was shared stays shared, later strings start a new table.
 */
export class StringPool {
  private table = new Map<string, string>();

  constructor(private readonly limit = 100_000) {}

  intern<T>(value: T): T {
    if (typeof value !== 'string') return value;
    const known = this.table.get(value);
    if (known !== undefined) return known as T;
    if (this.table.size >= this.limit) this.table.clear();
    this.table.set(value, value);
    return value;
  }

  /**
   * Interns every string value in `value` in place, but those of keys unique to one object
   * (uids, resource versions, timestamps), which would only fill the table.
   */
  internAll(value: unknown): void {
    if (Array.isArray(value)) {
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (typeof item === 'string') items[i] = this.intern(item);
        else this.internAll(item);
      }
      return;
    }
    if (!value || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const field = record[key];
      if (typeof field === 'string') {
        if (!UNIQUE.test(key)) record[key] = this.intern(field);
      } else this.internAll(field);
    }
  }

  get size(): number {
    return this.table.size;
  }
}

const UNIQUE = /^(uid|resourceVersion)$|(At|Time|Timestamp)$/;

const shared = new StringPool();

/** Our own resources: everything but `metadata.managedFields` and kubectl's last-applied copy. */
export const withoutBookkeeping: Trim = (object) => {
  const annotations = object.metadata?.annotations;
  if (object.metadata?.managedFields || annotations?.[LAST_APPLIED] !== undefined) {
    const metadata = { ...object.metadata };
    delete metadata.managedFields;
    if (annotations?.[LAST_APPLIED] !== undefined) {
      const rest = { ...annotations };
      delete rest[LAST_APPLIED];
      if (Object.keys(rest).length > 0) metadata.annotations = rest;
      else delete metadata.annotations;
    }
    object = { ...object, metadata };
  }
  shared.internAll(object);
  return object;
};

/**
 * Children: identity, owners (kind and name), deletion, the revision of the desired state
 * (generation, or a hash of the spec it drops; for a Deployment also a hash of its spec but the
 * replicas), what it says of the operator's last apply (`lastApplyOf`) and a Deployment's
 * available replicas.
 */
export const childIdentity: Trim = (object) => {
  const m = object.metadata ?? {};
  const exceptReplicas = revisionExceptReplicas(object);
  const lastApply = lastApplyOf(object);
  const available = (object as { status?: { availableReplicas?: number } }).status
    ?.availableReplicas;
  // A Deployment's replicas: handed over as they are when an autoscaler takes them.
  const replicas =
    object.kind === 'Deployment'
      ? (object as { spec?: { replicas?: number } }).spec?.replicas
      : undefined;
  return {
    apiVersion: shared.intern(object.apiVersion),
    kind: shared.intern(object.kind),
    revision: shared.intern(revisionOf(object)),
    ...(exceptReplicas !== undefined ? { exceptReplicas } : {}),
    ...(lastApply !== undefined ? { lastApply } : {}),
    metadata: {
      name: m.name,
      namespace: shared.intern(m.namespace),
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      ...(m.ownerReferences
        ? {
            ownerReferences: m.ownerReferences.map((o) => ({
              kind: shared.intern(o.kind),
              name: shared.intern(o.name),
            })),
          }
        : {}),
      ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
    },
    ...(replicas !== undefined ? { spec: { replicas } } : {}),
    ...(available !== undefined ? { status: { availableReplicas: available } } : {}),
  } as KubernetesObject;
};

/** Workflows: identity, labels, owners, deletion and their progress (phase, times, outputs). */
export const identityAndProgress: Trim = (object) => {
  const m = object.metadata ?? {};
  const status = (object as { status?: Record<string, unknown> }).status;
  const trimmed = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    revision: revisionOf(object),
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
            ['phase', 'startedAt', 'finishedAt', 'message', 'outputs']
              .filter((key) => status[key] !== undefined)
              .map((key) => [key, status[key]]),
          ),
        }
      : {}),
  };
  shared.internAll(trimmed);
  return trimmed;
};
