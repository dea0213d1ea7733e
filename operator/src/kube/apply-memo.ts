/**
 * Skips server-side applies that would change nothing. A pipeline reconcile computes all its
 * children, but most of the time none has changed since the last apply, and applying the large
 * Argo objects again costs the API server 10–15 ms each (the fleet benchmark's bottleneck).
 *
 * A child is skipped when the operator applied exactly this object before (same content hash)
 * and the informer's copy is still the one that apply produced: same uid and same revision of
 * its desired state (`revisionOf`: status churn does not count). A child deleted, recreated or
 * edited by someone else, or not yet in the cache, is applied.
 *
 * Each applied object carries the hash of what was applied (`APPLIED_HASH`), so a restarted
 * operator, whose memo is empty, skips a child whose cluster copy carries the hash it would
 * apply and that no one else changed since (its managedFields: no other manager wrote a field
 * outside metadata after the operator's apply).
 */
import { createHash } from 'node:crypto';
import { FIELD_MANAGER } from '../names.js';
import { revisionExceptReplicas, revisionOf } from './revision.js';

/** The annotation each applied object carries: the hash of what the operator applied. */
export const APPLIED_HASH = 'inquiries.mlops.io/applied-hash';

interface Meta {
  uid?: string;
  generation?: number;
  namespace?: string;
  name?: string;
}
type Applied = {
  apiVersion?: string;
  kind?: string;
  metadata?: Meta;
  spec?: unknown;
  revision?: string;
  exceptReplicas?: string;
  /** Set on the informers' trimmed copies (see `lastApplyOf`). */
  lastApply?: string;
};

/** What the informer last saw of a child before its current copy. */
export interface Seen {
  revision: string;
  exceptReplicas?: string;
}

/** The informer's copy of a child, if the kind is watched and the object cached. */
export type ChildLookup = (
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
) => Applied | undefined;

interface Memo {
  hash: string;
  uid: string;
  revision: string;
  /** A workload applied without `spec.replicas`: its autoscaler sets them. */
  leavesReplicas: boolean;
}

const leavesReplicas = (desired: Applied) => {
  const spec = desired.spec as { template?: unknown; replicas?: unknown } | undefined;
  return spec?.template !== undefined && spec.replicas === undefined;
};

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string | Date;
  fieldsV1?: object;
}

const SCALED = ' scaled';

/**
 * What a cluster copy says of the operator's last apply: the hash it applied (`APPLIED_HASH`),
 * followed by ' scaled' when its scale subresource was written since; undefined when there is
 * none or another manager changed a field outside metadata since (the deployment controller
 * writes only an annotation there). Ties of managedFields' one-second times count as changes.
 */
export function lastApplyOf(object: {
  metadata?: { annotations?: Record<string, string>; managedFields?: ManagedFieldsEntry[] };
}): string | undefined {
  const hash = object.metadata?.annotations?.[APPLIED_HASH];
  const entries = object.metadata?.managedFields ?? [];
  const time = (entry: ManagedFieldsEntry) => new Date(entry.time ?? 0).getTime();
  const ours = entries.find(
    (e) => e.manager === FIELD_MANAGER && e.operation === 'Apply' && !e.subresource,
  );
  if (hash === undefined || ours?.time === undefined) return undefined;
  const since = entries.filter(
    (e) =>
      e !== ours &&
      e.subresource !== 'status' &&
      time(e) >= time(ours) &&
      Object.keys(e.fieldsV1 ?? {}).some((field) => field !== 'f:metadata'),
  );
  if (since.some((e) => e.subresource !== 'scale')) return undefined;
  return since.length > 0 ? hash + SCALED : hash;
}

/** `desired` as applied: with the hash of itself in `APPLIED_HASH`. */
export function stamped<T extends Applied & { metadata?: { annotations?: object } }>(
  desired: T,
): T & { metadata: { annotations: Record<string, string> } } {
  const metadata = desired.metadata ?? {};
  return {
    ...desired,
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, [APPLIED_HASH]: hashOf(desired) },
    },
  };
}

const keyOf = (object: Applied) =>
  `${object.apiVersion}/${object.kind}/${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;

const hashOf = (object: object) => createHash('sha1').update(JSON.stringify(object)).digest('hex');

export class ApplyMemo {
  private readonly applied = new Map<string, Memo>();
  /** Objects the operator deleted whose deletion no watch has delivered yet. */
  private readonly deletions = new Set<string>();

  constructor(private readonly cached: ChildLookup) {}

  /** True when applying `desired` again would change nothing. */
  unchanged(desired: Applied): boolean {
    const memo = this.applied.get(keyOf(desired));
    const current = this.cached(
      desired.apiVersion ?? '',
      desired.kind ?? '',
      desired.metadata?.namespace ?? '',
      desired.metadata?.name ?? '',
    );
    if (!memo) return this.adopt(desired, current);
    if (memo.hash !== hashOf(desired)) return false;
    return current?.metadata?.uid === memo.uid && revisionOf(current) === memo.revision;
  }

  /** A cluster copy the operator applied before it (re)started, unchanged since: remembered. */
  private adopt(desired: Applied, current: Applied | undefined): boolean {
    const hash = hashOf(desired);
    const last = current?.lastApply;
    if (!current?.metadata?.uid || !last?.startsWith(hash)) return false;
    if (last !== hash && !(last === hash + SCALED && leavesReplicas(desired))) return false;
    this.applied.set(keyOf(desired), {
      hash,
      uid: current.metadata.uid,
      revision: revisionOf(current),
      leavesReplicas: leavesReplicas(desired),
    });
    return true;
  }

  /** True when `object` (as a watch delivered it) is what the operator's last apply produced. */
  producedByLastApply(object: Applied): boolean {
    const memo = this.applied.get(keyOf(object));
    return (
      memo !== undefined &&
      object.metadata?.uid === memo.uid &&
      revisionOf(object) === memo.revision
    );
  }

  /** `desired` was applied and the API server answered with `result`. */
  remember(desired: Applied, result: Applied | undefined): void {
    if (!result?.metadata?.uid) return this.forget(desired);
    this.applied.set(keyOf(desired), {
      hash: hashOf(desired),
      uid: result.metadata.uid,
      revision: revisionOf(result),
      leavesReplicas: leavesReplicas(desired),
    });
  }

  /**
   * True when `object` differs from `before` (the informer's previous copy, the operator's last
   * apply) only in replicas the operator leaves to an autoscaler: its new revision is taken as
   * the operator's own, so neither a re-apply nor a wake-up follows an HPA's scaling.
   */
  scaledByAutoscaler(object: Applied, before: Seen | undefined): boolean {
    const memo = this.applied.get(keyOf(object));
    const exceptReplicas = revisionExceptReplicas(object);
    if (
      !memo?.leavesReplicas ||
      memo.uid !== object.metadata?.uid ||
      before?.revision !== memo.revision ||
      exceptReplicas === undefined ||
      before.exceptReplicas !== exceptReplicas
    )
      return false;
    memo.revision = revisionOf(object);
    return true;
  }

  forget(object: Applied): void {
    this.applied.delete(keyOf(object));
  }

  /**
   * The operator deletes `object`: forgotten, and its deletion (which a watch may deliver before
   * the API server answers) taken as its own, unless `notDeleted` follows.
   */
  deleting(object: Applied): void {
    this.forget(object);
    this.deletions.add(keyOf(object));
  }

  /** The deletion `deleting` announced did not happen (an error, or nothing to delete). */
  notDeleted(object: Applied): void {
    this.deletions.delete(keyOf(object));
  }

  /** True, once, when the deletion a watch delivered of `object` was the operator's. */
  deletedByOperator(object: Applied): boolean {
    return this.deletions.delete(keyOf(object));
  }

  get size(): number {
    return this.applied.size;
  }
}
