/**
 * An in-memory `Kube` for the reconcilers' unit tests: objects by kind and name, applies that
 * replace, merge-patched status, finalizers, Events and a log of every write. It is no API
 * server (no schema, no defaulting, no garbage collection): the integration tests against the
 * test bed's real one keep those honest.
 */
import type { EventType, Kube, KubeObject } from './kube.js';

interface Typed {
  apiVersion?: string;
  kind?: string;
  metadata?: { namespace?: string; name?: string };
}

export interface Write {
  verb: 'apply' | 'delete' | 'status' | 'finalizers' | 'handover';
  kind: string;
  name: string;
  body?: object;
}

export interface RecordedEvent {
  object: string;
  type: EventType;
  reason: string;
  message: string;
}

const PLURAL_KINDS: Record<string, string> = {
  modelversions: 'ModelVersion',
  inquirypipelines: 'InquiryPipeline',
  routingpolicies: 'RoutingPolicy',
};

const keyOf = (kind: string | undefined, namespace: string | undefined, name: string | undefined) =>
  `${kind}/${namespace ?? ''}/${name ?? ''}`;

export class MemoryKube implements Kube {
  private readonly objects = new Map<string, KubeObject>();
  readonly writes: Write[] = [];
  readonly events: RecordedEvent[] = [];

  /** Puts an object in place as if someone else had created it (no write is logged). */
  put(object: object): void {
    const typed = object as Typed;
    this.objects.set(
      keyOf(typed.kind, typed.metadata?.namespace, typed.metadata?.name),
      structuredClone(object) as KubeObject,
    );
  }

  get<T extends object = KubeObject>(kind: string, namespace: string, name: string): T | undefined {
    const object = this.objects.get(keyOf(kind, namespace, name));
    return object ? (structuredClone(object) as T) : undefined;
  }

  list<T extends object = KubeObject>(kind: string): T[] {
    return [...this.objects.values()]
      .filter((o) => o.kind === kind)
      .map((o) => structuredClone(o) as T);
  }

  apply(object: object): Promise<void> {
    const typed = object as Typed;
    const key = keyOf(typed.kind, typed.metadata?.namespace, typed.metadata?.name);
    const status = (this.objects.get(key) as { status?: object } | undefined)?.status;
    this.objects.set(key, {
      ...structuredClone(object),
      ...(status ? { status } : {}),
    } as KubeObject);
    this.log('apply', typed, object);
    return Promise.resolve();
  }

  /** Logged, with the replicas handed over (an apply here replaces the whole object anyway). */
  handOverReplicas(namespace: string, name: string, replicas: number): Promise<void> {
    if (this.objects.has(keyOf('Deployment', namespace, name)))
      this.writes.push({ verb: 'handover', kind: 'Deployment', name, body: { replicas } });
    return Promise.resolve();
  }

  delete(object: object): Promise<void> {
    const typed = object as Typed;
    this.objects.delete(keyOf(typed.kind, typed.metadata?.namespace, typed.metadata?.name));
    this.log('delete', typed);
    return Promise.resolve();
  }

  read<T extends KubeObject>(
    _apiVersion: string,
    kind: string,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    return Promise.resolve(this.get<T>(kind, namespace, name));
  }

  setFinalizers(object: KubeObject, plural: string, finalizers: string[]): Promise<void> {
    const kind = PLURAL_KINDS[plural] ?? plural;
    const { namespace, name } = object.metadata;
    const stored = this.objects.get(keyOf(kind, namespace, name));
    if (stored) stored.metadata = { ...stored.metadata, finalizers };
    this.writes.push({ verb: 'finalizers', kind, name: name ?? '', body: finalizers });
    return Promise.resolve();
  }

  patchStatus(plural: string, namespace: string, name: string, status: object): Promise<void> {
    const kind = PLURAL_KINDS[plural] ?? plural;
    const stored: (KubeObject & { status?: Record<string, unknown> }) | undefined =
      this.objects.get(keyOf(kind, namespace, name));
    if (!stored) throw new Error(`failed to update status of ${plural} ${namespace}/${name}: 404`);
    const merged: Record<string, unknown> = { ...stored.status };
    for (const [field, value] of Object.entries(status))
      if (value === null) delete merged[field];
      else merged[field] = structuredClone(value);
    stored.status = merged;
    this.writes.push({ verb: 'status', kind, name, body: structuredClone(status) });
    return Promise.resolve();
  }

  event(object: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    this.events.push({ object: `${object.kind} ${object.metadata.name}`, type, reason, message });
    return Promise.resolve();
  }

  private log(verb: Write['verb'], typed: Typed, body?: object): void {
    this.writes.push({
      verb,
      kind: typed.kind ?? '',
      name: typed.metadata?.name ?? '',
      ...(body ? { body } : {}),
    });
  }
}
