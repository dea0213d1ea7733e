/**
 * What the reconcilers ask of the API server, as one small interface: `KubeClient` talks to a
 * real one, `MemoryKube` keeps objects in memory for the reconcilers' unit tests.
 */
import type * as k8s from '@kubernetes/client-node';

export type KubeObject = k8s.KubernetesObject & { metadata: k8s.V1ObjectMeta };

export type EventType = 'Normal' | 'Warning';

export interface Kube {
  /** Server-side apply: the object as the operator wants it. */
  apply(object: object): Promise<void>;
  /** Deletes, treating "already gone" as done. */
  delete(object: object): Promise<void>;
  /**
   * Hands a Deployment's `replicas` to the autoscaler about to own them: applied by a field
   * manager of their own (`REPLICAS_HANDOVER_MANAGER`), so that the operator's next apply, which
   * leaves them out, does not reset them to 1 (Kubernetes' hand-over of a field, "Server-Side
   * Apply: transferring ownership").
   */
  handOverReplicas(namespace: string, name: string, replicas: number): Promise<void>;
  read<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined>;
  /** Sets the finalizers of one of our custom resources (compare-and-swap on resourceVersion). */
  setFinalizers(object: KubeObject, plural: string, finalizers: string[]): Promise<void>;
  /** Merge-patches the status of one of our custom resources (a null field is removed). */
  patchStatus(plural: string, namespace: string, name: string, status: object): Promise<void>;
  /**
   * An Event on `object`, for decisions a human wants to see. Best effort, as Kubernetes' own
   * event recorders: never throws (an Event refused — a namespace being deleted, a quota — must
   * not hold the decision it reports, e.g. a finalizer).
   */
  event(object: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}
