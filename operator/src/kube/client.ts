/**
 * The operator's thin adapter to the API server: server-side apply under one field manager,
 * status patches through the status subresource, deletes, and Events. Reconcilers use this and
 * never build HTTP requests; every error carries the object it was about.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../../../lib/logger.js';
import { FIELD_MANAGER, REPLICAS_HANDOVER_MANAGER } from '../names.js';
import { stamped, type ApplyMemo } from './apply-memo.js';
import type { EventType, Kube, KubeObject } from './kube.js';

export type { Kube, KubeObject } from './kube.js';

function identity(object: {
  kind?: string;
  metadata?: { namespace?: string; name?: string };
}): string {
  return `${object.kind ?? 'object'} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

export function statusCode(error: unknown): number | undefined {
  return error instanceof k8s.ApiException ? error.code : undefined;
}

/**
 * An error and its causes in one line; an API server refusal contributes its Status message
 * (e.g. `exceeded quota: …`), not the whole HTTP exchange.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    if (current instanceof k8s.ApiException) {
      const body: unknown = current.body;
      let message = `HTTP ${current.code}`;
      try {
        const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string };
        if (status?.message) message = status.message;
      } catch {
        // Not a Status object: the code says enough.
      }
      parts.push(message);
      break;
    }
    parts.push(current instanceof Error ? current.message : JSON.stringify(current));
    if (!(current instanceof Error)) break;
  }
  return parts.join(': ');
}

export class KubeClient implements Kube {
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;

  private readonly applyMemo: ApplyMemo | undefined;
  private readonly logger: Logger | undefined;

  /**
   * `applyMemo` records every apply, so an unchanged child is not applied again; `logger` hears
   * of Events the API server refused.
   */
  constructor(
    readonly config: k8s.KubeConfig,
    options: { applyMemo?: ApplyMemo; logger?: Logger } = {},
  ) {
    this.applyMemo = options.applyMemo;
    this.logger = options.logger;
    this.objects = k8s.KubernetesObjectApi.makeApiClient(config);
    this.custom = config.makeApiClient(k8s.CustomObjectsApi);
    this.core = config.makeApiClient(k8s.CoreV1Api);
  }

  /** Server-side apply: the object as the operator wants it; fields it does not set stay others'. */
  async apply(object: object): Promise<void> {
    if (this.applyMemo?.unchanged(object)) return;
    try {
      const body: object = stamped(object);
      const applied = await this.objects.patch(
        body,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        k8s.PatchStrategy.ServerSideApply,
      );
      this.applyMemo?.remember(object, applied);
    } catch (cause) {
      this.applyMemo?.forget(object);
      throw new Error(`failed to apply ${identity(object)}`, { cause });
    }
  }

  async handOverReplicas(namespace: string, name: string, replicas: number): Promise<void> {
    const handover = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace } };
    try {
      await this.objects.patch(
        { ...handover, spec: { replicas } },
        undefined,
        undefined,
        REPLICAS_HANDOVER_MANAGER,
        true,
        k8s.PatchStrategy.ServerSideApply,
      );
    } catch (cause) {
      throw new Error(`failed to hand the replicas of ${identity(handover)} over`, { cause });
    }
  }

  /** Deletes, treating "already gone" as done. */
  async delete(object: object): Promise<void> {
    this.applyMemo?.deleting(object);
    try {
      await this.objects.delete(object);
    } catch (cause) {
      this.applyMemo?.notDeleted(object);
      if (statusCode(cause) === 404) return;
      throw new Error(`failed to delete ${identity(object)}`, { cause });
    }
  }

  async read<T extends KubeObject>(
    apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      return await this.objects.read<T>({ apiVersion, kind, metadata: { namespace, name } });
    } catch (cause) {
      if (statusCode(cause) === 404) return undefined;
      throw new Error(`failed to read ${kind} ${namespace}/${name}`, { cause });
    }
  }

  /**
   * Sets the finalizers of one of our custom resources. The resourceVersion makes it a
   * compare-and-swap: a concurrent change fails with 409 and the reconcile is retried.
   */
  async setFinalizers(object: KubeObject, plural: string, finalizers: string[]): Promise<void> {
    const { namespace, name, resourceVersion } = object.metadata as {
      namespace: string;
      name: string;
      resourceVersion?: string;
    };
    try {
      await this.custom.patchNamespacedCustomObject(
        {
          group: 'inquiries.mlops.io',
          version: 'v1alpha1',
          namespace,
          plural,
          name,
          body: { metadata: { finalizers, ...(resourceVersion ? { resourceVersion } : {}) } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    } catch (cause) {
      if (statusCode(cause) === 404) return;
      throw new Error(`failed to set finalizers of ${plural} ${namespace}/${name}`, { cause });
    }
  }

  /** Merge-patches the status subresource of one of our custom resources. */
  async patchStatus(
    plural: string,
    namespace: string,
    name: string,
    status: object,
  ): Promise<void> {
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        {
          group: 'inquiries.mlops.io',
          version: 'v1alpha1',
          namespace,
          plural,
          name,
          body: { status },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    } catch (cause) {
      throw new Error(`failed to update status of ${plural} ${namespace}/${name}`, { cause });
    }
  }

  /** An Event on `object`, for decisions a human wants to see. */
  async event(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = new Date();
    await this.core
      .createNamespacedEvent({
        namespace: object.metadata.namespace!,
        body: {
          metadata: {
            generateName: `${object.metadata.name}.`,
            namespace: object.metadata.namespace,
          },
          involvedObject: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            name: object.metadata.name,
            namespace: object.metadata.namespace,
            uid: object.metadata.uid,
          },
          type,
          reason,
          message,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: FIELD_MANAGER },
          reportingComponent: FIELD_MANAGER,
        },
      })
      .catch((error: unknown) => {
        this.logger?.warn(
          {
            kind: object.kind,
            namespace: object.metadata.namespace,
            name: object.metadata.name,
            reason,
            error: describeError(error),
          },
          'event not recorded',
        );
      });
  }
}
