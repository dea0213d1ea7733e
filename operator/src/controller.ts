/**
 * The controller: informers (list + watch, re-listing when a watch ends) on InquiryPipelines,
 * RoutingPolicies, ModelVersions, the children the operator owns and the jobs' Workflows; an
 * event queues the object it concerns, and the queue runs the reconcilers (several workers,
 * backoff on errors). Errors are logged and retried, never swallowed.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../../lib/logger.js';
import {
  forgetPipelineGauges,
  reconcilePipeline,
  type PipelineDeps,
} from './controllers/pipeline.js';
import { reconcileRoutingPolicy, type PreviewWorkflow } from './controllers/routing-policy.js';
import { isFinished, jobOf, type WorkflowLike } from './controllers/job-runs.js';
import {
  forgetRolloutGauges,
  reconcileModelVersion,
  type ModelVersionDeps,
} from './controllers/model-version.js';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { analysisProviders } from './analysis/index.js';
import { isTerminal } from './canary/index.js';
import { describeError, KubeClient } from './kube/client.js';
import { reuseConnections } from './kube/connections.js';
import { ApplyMemo, type Seen } from './kube/apply-memo.js';
import { revisionExceptReplicas, revisionOf } from './kube/revision.js';
import type { InquiryPipeline, ModelVersion, RoutingPolicy } from './resources.js';
import { IstioRouter } from './traffic/istio.js';
import { servingState } from './traffic/routes.js';
import { childIdentity, identityAndProgress, withoutBookkeeping } from './kube/trim.js';
import { LABELS } from './names.js';
import {
  buildNamespaceIdentities,
  isNamespaceIdentity,
  isRetiredIdentity,
} from './builders/identity.js';
import type { OperatorMetrics } from './metrics.js';
import { WorkQueue } from './queue.js';

const GROUP = 'inquiries.mlops.io';
const VERSION = 'v1alpha1';

interface Watched {
  /** '' for the core group (`/api/v1`). */
  group: string;
  version: string;
  plural: string;
  kind?: string;
}

/**
 * A watch that hands on trimmed objects (the informer caches what it is handed), and that ends
 * at once when it connects after the controller stopped: client-node's ListWatch reconnects
 * (every 30 s of quiet) without looking again at its stop flag, so a stop during a reconnect
 * would otherwise leave a watch open.
 */
class TrimmingWatch extends k8s.Watch {
  constructor(
    config: k8s.KubeConfig,
    private readonly trim: (object: k8s.KubernetesObject) => k8s.KubernetesObject,
    private readonly stopped: () => boolean,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const request = await super.watch(
      path,
      queryParams,
      (phase, object: k8s.KubernetesObject, watchObj) =>
        // BOOKMARK and ERROR events carry no object to trim.
        callback(
          phase,
          object?.metadata && phase !== 'ERROR' ? this.trim(object) : object,
          watchObj,
        ),
      done,
    );
    if (this.stopped()) request.abort();
    return request;
  }
}

const WORKFLOWS: Watched = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' };

/** Everything the operator creates: a change by someone else wakes the owner, which restores it. */
const CHILDREN: Watched[] = [
  { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount' },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    plural: 'rolebindings',
    kind: 'RoleBinding',
  },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'cronworkflows', kind: 'CronWorkflow' },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  { group: '', version: 'v1', plural: 'services', kind: 'Service' },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
  },
  {
    group: 'networking.istio.io',
    version: 'v1',
    plural: 'virtualservices',
    kind: 'VirtualService',
  },
  {
    group: 'networking.istio.io',
    version: 'v1',
    plural: 'destinationrules',
    kind: 'DestinationRule',
  },
];

/** The kinds of the namespace identities (builders/identity.ts). */
const IDENTITY_KINDS = CHILDREN.filter(
  (child) => child.kind === 'ServiceAccount' || child.kind === 'RoleBinding',
);

const apiVersionOf = (watched: Watched) =>
  watched.group ? `${watched.group}/${watched.version}` : watched.version;

/**
 * Queue keys name the kind: `pipeline:ns/name`, `policy:ns/name`, `mv:ns/name`, and
 * `identities:ns/` for a namespace's identities (deleted once it has no pipeline).
 */
const key = (kind: 'pipeline' | 'policy' | 'mv', object: k8s.KubernetesObject): string =>
  `${kind}:${object.metadata?.namespace}/${object.metadata?.name}`;
const identitiesKey = (namespace: string | undefined) => `identities:${namespace}/`;

export interface ControllerOptions {
  clock?: () => Date;
  metrics?: OperatorMetrics;
  /** Reconciles run at once (never two of one key). */
  workers?: number;
  /** Prometheus for the `prometheus` analysis provider; without it such metrics fail. */
  prometheusUrl?: string;
  /** Watch one namespace only (WATCH_NAMESPACE); default: every namespace. */
  namespace?: string;
  /**
   * A candidate gets traffic only once its Deployment has an available replica (default true);
   * false only where no pod can run (a test bed without a node).
   */
  requireAvailableCandidate?: boolean;
}

export class Controller {
  private readonly kube: KubeClient;
  private readonly queue: WorkQueue;
  private readonly informers: k8s.Informer<k8s.KubernetesObject>[] = [];
  private pipelines:
    (k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>) | undefined;
  private modelVersions:
    (k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>) | undefined;
  private workflows:
    (k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>) | undefined;
  /** Workflows already counted as finished (by uid), so a re-list does not count them again. */
  private readonly countedRuns = new Set<string>();
  private readonly startedAt = Date.now();
  /** Per pipeline, what was last seen of what wakes it and its policy (see start()). */
  private readonly pipelinesSeen = new Map<
    string,
    { generation?: number; deleting: boolean; policy?: string }
  >();
  /** When each pipeline (queue key) was first seen, in the queue's clock (see firstSeen). */
  private readonly pipelinesFirstSeen = new Map<string, number>();
  /** Per Deployment (uid), its available replicas: a change wakes its pipeline. */
  private readonly deploymentsAvailable = new Map<string, number>();
  /**
   * Per child (uid), the last revision of its desired state seen (`revisionOf`): status churn
   * (replica counts, an HPA's metrics, a CronWorkflow's last schedule) wakes no owner.
   */
  private readonly childrenSeen = new Map<string, Seen>();
  /** Per ModelVersion, what its pipeline last saw of it (what its stable version and routes read). */
  private readonly versionsSeen = new Map<string, string>();
  private policies:
    (k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>) | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Informers waiting to re-list after an error. */
  private readonly restarts = new Set<NodeJS.Timeout>();

  private readonly clock: () => Date;
  private readonly metrics: OperatorMetrics | undefined;
  private readonly workers: number;
  private readonly modelVersionDeps: ModelVersionDeps;
  private readonly pipelineDeps: PipelineDeps;
  private readonly namespace: string | undefined;

  /** Child informers by `apiVersion/kind`. */
  private readonly childCaches = new Map<string, k8s.ObjectCache<k8s.KubernetesObject>>();
  /** What was last applied of each child: an unchanged child is not applied again. */
  private readonly applyMemo = new ApplyMemo((apiVersion, kind, namespace, name) =>
    this.cachedChild(apiVersion, kind, namespace, name),
  );

  constructor(
    private readonly config: k8s.KubeConfig,
    private readonly logger: Logger,
    options: ControllerOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.metrics = options.metrics;
    this.queue = new WorkQueue({
      onTake: (queued, waitedMs) =>
        this.metrics?.queueWait.observe({ kind: queued.split(':')[0]! }, waitedMs / 1000),
    });
    this.workers = options.workers ?? 8;
    this.namespace = options.namespace;
    reuseConnections(config);
    this.kube = new KubeClient(config, { applyMemo: this.applyMemo, logger });
    const router = new IstioRouter(this.kube);
    const mlflowClients = new Map<string, MlflowClient>();
    const mlflow = (trackingUri: string) => {
      let client = mlflowClients.get(trackingUri);
      if (!client) mlflowClients.set(trackingUri, (client = new MlflowClient({ trackingUri })));
      return client;
    };
    const metrics = options.metrics ? { metrics: options.metrics } : {};
    this.modelVersionDeps = {
      kube: this.kube,
      router,
      mlflow,
      providers: analysisProviders({ mlflow, prometheusUrl: options.prometheusUrl }),
      ...metrics,
    };
    this.pipelineDeps = {
      kube: this.kube,
      router,
      requireAvailableCandidate: options.requireAvailableCandidate ?? true,
      ...metrics,
    };
  }

  /** An informer whose cache keeps `trim(object)`, from the list and from every watch event. */
  private informer(
    watched: Watched,
    labelSelector?: string,
    trim: (object: k8s.KubernetesObject) => k8s.KubernetesObject = withoutBookkeeping,
  ) {
    const custom = this.config.makeApiClient(k8s.CustomObjectsApi);
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.config);
    const scope = this.namespace ? `/namespaces/${this.namespace}` : '';
    const group = watched.group ? `/apis/${watched.group}` : '/api';
    const path = `${group}/${watched.version}${scope}/${watched.plural}`;
    const list = async () => {
      const { group, version, plural, kind } = watched;
      const request = { group, version, plural, ...(labelSelector ? { labelSelector } : {}) };
      const listed = (await (group === ''
        ? objects.list(
            version,
            kind!,
            this.namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            labelSelector,
          )
        : this.namespace
          ? custom.listNamespacedCustomObject({ ...request, namespace: this.namespace })
          : custom.listClusterCustomObject(
              request,
            ))) as k8s.KubernetesListObject<k8s.KubernetesObject>;
      return { ...listed, items: listed.items.map(trim) };
    };
    const informer = new k8s.ListWatch(
      path,
      new TrimmingWatch(this.config, trim, () => this.stopped),
      list,
      false,
      labelSelector,
    );
    let retryMs = 1000;
    informer.on('connect', () => {
      retryMs = 1000;
    });
    informer.on('error', (error) => {
      // Stopping aborts the watches, which can end in an error: that one is not retried.
      if (this.stopped) return;
      this.logger.warn(
        { resource: watched.plural, retryInMs: retryMs, error: String(error) },
        'watch ended; re-listing',
      );
      const timer = setTimeout(() => {
        this.restarts.delete(timer);
        if (!this.stopped) void informer.start().catch(() => {});
      }, retryMs);
      this.restarts.add(timer);
      retryMs = Math.min(60_000, retryMs * 2);
    });
    this.informers.push(informer);
    return informer;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.pipelines = this.informer({ group: GROUP, version: VERSION, plural: 'inquirypipelines' });
    this.policies = this.informer({ group: GROUP, version: VERSION, plural: 'routingpolicies' });
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.pipelines.on(verb, (object) => {
        // Its own status writes do not wake it: only a new generation or a deletion does.
        const pipeline = object as InquiryPipeline;
        const pipelineKey = key('pipeline', object);
        const before = this.pipelinesSeen.get(pipelineKey);
        const now = {
          generation: pipeline.metadata.generation,
          deleting: pipeline.metadata.deletionTimestamp !== undefined,
          policy: pipeline.spec?.routingPolicyRef?.name,
        };
        if (verb === 'delete') {
          this.pipelinesSeen.delete(pipelineKey);
          // The namespace's last pipeline takes the namespace's identities with it.
          this.queue.add(identitiesKey(object.metadata?.namespace));
          forgetPipelineGauges(
            this.metrics,
            object.metadata?.namespace ?? '',
            object.metadata?.name ?? '',
          );
        } else this.pipelinesSeen.set(pipelineKey, now);
        const wakes =
          verb === 'add' ||
          before === undefined ||
          before.generation !== now.generation ||
          before.deleting !== now.deleting;
        if (verb === 'delete') this.pipelinesFirstSeen.delete(pipelineKey);
        else if (!this.pipelinesFirstSeen.has(pipelineKey))
          this.pipelinesFirstSeen.set(pipelineKey, performance.now());
        if (verb !== 'delete' && wakes)
          this.wakePipeline(object.metadata?.namespace, object.metadata?.name);
        // The policies it references, before and now, list their users in status: they run
        // when a pipeline comes, goes or changes its spec, not for a new stable version.
        if (verb === 'update' && before?.generation === now.generation) return;
        for (const policy of new Set([before?.policy, now.policy]))
          if (policy) this.queue.add(`policy:${object.metadata?.namespace}/${policy}`);
      });
    }
    for (const verb of ['add', 'update'] as const) {
      this.policies.on(verb, (object) => this.queue.add(key('policy', object)));
    }
    this.modelVersions = this.informer({ group: GROUP, version: VERSION, plural: 'modelversions' });
    for (const verb of ['add', 'update'] as const) {
      this.modelVersions.on(verb, (object) => {
        this.wakeVersion(object as ModelVersion);
        // Its pipeline derives its stable version, its Deployment and its routes from its
        // versions' status: it runs again when a version arrives and when what it reads of
        // one changed (not for a pending version, a finalizer or an analysis). So do the
        // pipeline's promoted versions, which a newer promotion supersedes.
        const mv = object as ModelVersion;
        const seen = servingState(mv);
        if (this.versionsSeen.get(key('mv', object)) === seen) return;
        this.versionsSeen.set(key('mv', object), seen);
        if (!mv.spec?.pipeline) return;
        this.wakePipeline(object.metadata?.namespace, mv.spec.pipeline);
        if (mv.status?.phase !== 'Promoted') return;
        for (const other of this.versionsOf(object.metadata?.namespace, mv.spec.pipeline))
          if (other.status?.phase === 'Promoted') this.wakeVersion(other);
      });
    }
    this.modelVersions.on('delete', (object) => {
      this.versionsSeen.delete(key('mv', object));
      forgetRolloutGauges(this.metrics, object as ModelVersion);
      const pipeline = (object as ModelVersion).spec?.pipeline;
      if (pipeline) this.wakePipeline(object.metadata?.namespace, pipeline);
    });
    for (const child of CHILDREN) {
      const informer = this.informer(child, `${LABELS.managedBy}=inquiry-operator`, childIdentity);
      this.childCaches.set(`${apiVersionOf(child)}/${child.kind}`, informer);
      // A child changed or deleted by someone else: its owner reconciles it back.
      const seenOf = (object: k8s.KubernetesObject): Seen => {
        const exceptReplicas = revisionExceptReplicas(object);
        return { revision: revisionOf(object), ...(exceptReplicas ? { exceptReplicas } : {}) };
      };
      // A listed object may lack its kind (list items do): the informer's own is used.
      const typedOf = (object: k8s.KubernetesObject) => ({
        ...object,
        apiVersion: apiVersionOf(child),
        kind: child.kind,
      });
      const identityKind = IDENTITY_KINDS.includes(child);
      informer.on('add', (object) => {
        this.childrenSeen.set(object.metadata?.uid ?? '', seenOf(object));
        this.observeRoutesAndAvailability(child, object);
        // Identities left in a namespace whose pipelines went while no operator ran.
        if (identityKind && isNamespaceIdentity(typedOf(object)))
          this.queue.add(identitiesKey(object.metadata?.namespace));
      });
      for (const verb of ['update', 'delete'] as const) {
        informer.on(verb, (object) => {
          this.observeRoutesAndAvailability(child, object, verb === 'delete');
          const uid = object.metadata?.uid ?? '';
          const before = this.childrenSeen.get(uid);
          const seen = seenOf(object);
          // The operator's own apply changed it, or an HPA scaled it: nothing to restore.
          const typed = typedOf(object);
          const changed =
            verb === 'delete' ||
            (before?.revision !== seen.revision &&
              !this.applyMemo.producedByLastApply(typed) &&
              !this.applyMemo.scaledByAutoscaler(typed, before));
          // A deletion the operator made (a retired identity, a child the spec no longer asks
          // for, a retired canary) is its own doing: nothing to restore.
          const ownDeletion = verb === 'delete' && this.applyMemo.deletedByOperator(typed);
          if (verb === 'delete') {
            this.childrenSeen.delete(uid);
            this.applyMemo.forget(typed);
          } else this.childrenSeen.set(uid, seen);
          if (!changed || ownDeletion) return;
          this.metrics?.childChanges.inc({
            namespace: object.metadata?.namespace ?? '',
            kind: child.kind!,
            verb,
          });
          this.logger.debug(
            { child: `${child.kind} ${object.metadata?.namespace}/${object.metadata?.name}`, verb },
            'child changed by someone else; waking its owner',
          );
          if (isNamespaceIdentity(typed)) this.restoreIdentities(object.metadata?.namespace);
          else this.wakeOwner(object, child.group === 'argoproj.io');
        });
      }
    }
    // The jobs' Workflows (started by our CronWorkflows, labelled with the pipeline): their
    // progress is the pipeline's status.lastRuns and the job metrics.
    this.workflows = this.informer(WORKFLOWS, LABELS.pipeline, identityAndProgress);
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.workflows.on(verb, (object) => {
        // A routing-policy preview: its report goes to the policy's status; a job run goes to
        // its pipeline's.
        const policy = object.metadata?.labels?.[LABELS.routingPolicy];
        const pipeline = object.metadata?.labels?.[LABELS.pipeline];
        if (policy) this.queue.add(`policy:${object.metadata?.namespace}/${policy}`);
        else if (pipeline) this.wakePipeline(object.metadata?.namespace, pipeline);
        if (verb === 'delete') this.countedRuns.delete(object.metadata?.uid ?? '');
        else this.countRun(object);
      });
    }
    await Promise.all(this.informers.map((informer) => informer.start()));
    this.running = this.queue.run(
      (k) => this.reconcile(k),
      (k, error, retryInMs) =>
        this.logger.warn(
          { key: k, retryInMs, error: describeError(error) },
          'reconcile failed; retrying',
        ),
      this.workers,
    );
  }

  /**
   * The owner of a changed child. A pipeline's serving children are also a rollout's: its
   * unfinished ModelVersions run too, and put back the canary's Deployment and weights.
   */
  private wakeOwner(child: k8s.KubernetesObject, isJob: boolean): void {
    const namespace = child.metadata?.namespace;
    for (const owner of child.metadata?.ownerReferences ?? []) {
      if (owner.kind === 'RoutingPolicy') this.queue.add(`policy:${namespace}/${owner.name}`);
      if (owner.kind !== 'InquiryPipeline') continue;
      this.wakePipeline(namespace, owner.name);
      if (isJob) continue;
      this.wakeRollouts(namespace, owner.name);
    }
  }

  /**
   * A namespace identity changed or deleted by someone else: one of the namespace's pipelines
   * applies it again (all of them would apply the same objects), or, with none left, it goes.
   */
  private restoreIdentities(namespace: string | undefined): void {
    const [pipeline] = this.pipelines?.list(namespace) ?? [];
    if (pipeline) this.wakePipeline(namespace, pipeline.metadata?.name);
    else this.queue.add(identitiesKey(namespace));
  }

  /** The informer's copy of a child, if its kind is watched and the object cached. */
  private cachedChild(apiVersion: string, kind: string, namespace: string, name: string) {
    return this.childCaches.get(`${apiVersion}/${kind}`)?.get(name, namespace);
  }

  /** A pipeline's retired identities in the child caches (see `isRetiredIdentity`). */
  private retiredIdentities(namespace: string, pipeline: string): object[] {
    return IDENTITY_KINDS.flatMap(({ kind, ...watched }) => {
      const apiVersion = apiVersionOf(watched);
      return (this.childCaches.get(`${apiVersion}/${kind}`)?.list(namespace) ?? [])
        .filter(({ metadata }) => isRetiredIdentity({ kind, metadata }, pipeline))
        .map(({ metadata }) => ({
          apiVersion,
          kind,
          metadata: { name: metadata?.name, namespace },
        }));
    });
  }

  /**
   * When the operator first saw the pipeline: the work of its keys (its own, its ModelVersions')
   * began then, and the queue takes the oldest work first.
   */
  private firstSeen(namespace: string | undefined, pipeline: string | ModelVersion) {
    const name = typeof pipeline === 'string' ? pipeline : pipeline.spec?.pipeline;
    return this.pipelinesFirstSeen.get(`pipeline:${namespace}/${name}`);
  }

  private wakePipeline(namespace: string | undefined, name: string | undefined): void {
    if (name === undefined) return;
    this.queue.add(`pipeline:${namespace}/${name}`, { since: this.firstSeen(namespace, name) });
  }

  private wakeVersion(mv: ModelVersion): void {
    this.queue.add(key('mv', mv), { since: this.firstSeen(mv.metadata?.namespace, mv) });
  }

  /** The ModelVersions of `pipeline` in the informer's cache. */
  private versionsOf(namespace: string | undefined, pipeline: string): ModelVersion[] {
    return ((this.modelVersions?.list(namespace) ?? []) as ModelVersion[]).filter(
      (mv) => mv.spec?.pipeline === pipeline,
    );
  }

  /**
   * The versions of a pipeline that watch its routes or its Deployments: a rollout under way,
   * a canary Deployment waiting to retire, a version being deleted.
   */
  private wakeRollouts(namespace: string | undefined, pipeline: string): void {
    for (const mv of this.versionsOf(namespace, pipeline))
      if (
        !isTerminal(mv.status?.phase) ||
        mv.status?.canaryRetiresAt ||
        mv.metadata.deletionTimestamp
      )
        this.wakeVersion(mv);
  }

  /**
   * Every change of a VirtualService (the operator's own apply included) wakes the rollouts of
   * its pipeline, which start a step's pause when they see its weight live; a Deployment whose
   * available replicas change wakes its pipeline (Ready; a candidate's traffic follows what its
   * available pods carry, so each pod that comes up can let a step's weight go live).
   */
  private observeRoutesAndAvailability(
    child: Watched,
    object: k8s.KubernetesObject,
    deleted = false,
  ): void {
    const namespace = object.metadata?.namespace;
    const pipeline = object.metadata?.ownerReferences?.find(
      (o) => o.kind === 'InquiryPipeline',
    )?.name;
    if (!pipeline) return;
    if (child.kind === 'VirtualService') this.wakeRollouts(namespace, pipeline);
    if (child.kind !== 'Deployment') return;
    const uid = object.metadata?.uid ?? '';
    const available = deleted
      ? 0
      : ((object as { status?: { availableReplicas?: number } }).status?.availableReplicas ?? 0);
    // A new Deployment without available pods changes nothing its pipeline has not counted.
    const before = this.deploymentsAvailable.get(uid) ?? 0;
    if (deleted) this.deploymentsAvailable.delete(uid);
    else this.deploymentsAvailable.set(uid, available);
    if (!deleted && before === available) return;
    this.wakePipeline(namespace, pipeline);
  }

  /** Counts a job Workflow once when it finishes (not those that finished before we started). */
  private countRun(workflow: WorkflowLike & k8s.KubernetesObject): void {
    const uid = workflow.metadata?.uid;
    const job = jobOf(workflow);
    if (!uid || !job || !isFinished(workflow) || this.countedRuns.has(uid)) return;
    this.countedRuns.add(uid);
    const finishedAt = workflow.status?.finishedAt;
    if (finishedAt !== undefined && new Date(finishedAt).getTime() < this.startedAt) return;
    this.metrics?.jobRuns.inc({
      namespace: workflow.metadata?.namespace ?? '',
      pipeline: workflow.metadata?.labels?.[LABELS.pipeline] ?? '',
      pipeline_job: job,
      phase: workflow.status!.phase!,
    });
  }

  private async reconcile(queueKey: string): Promise<void> {
    const kind = queueKey.split(':')[0]!;
    this.logger.debug({ key: queueKey }, 'reconcile');
    const timer = this.metrics?.reconcileDuration.startTimer({ kind });
    try {
      await this.reconcileKey(queueKey);
      this.metrics?.reconciles.inc({ kind, result: 'success' });
    } catch (error) {
      this.metrics?.reconciles.inc({ kind, result: 'error' });
      throw error;
    } finally {
      timer?.();
      this.metrics?.queueDepth.set(this.queue.depth);
    }
  }

  private async reconcileKey(queueKey: string): Promise<void> {
    const [kind, rest] = queueKey.split(':') as [string, string];
    const [namespace, name] = rest.split('/') as [string, string];
    if (kind === 'pipeline') {
      const pipeline = this.pipelines?.get(name, namespace) as InquiryPipeline | undefined;
      if (!pipeline || pipeline.metadata.deletionTimestamp) return;
      const workflows = (this.workflows?.list(namespace) ?? []).filter(
        (w) => w.metadata?.labels?.[LABELS.pipeline] === name,
      ) as WorkflowLike[];
      const deployments = this.childCaches.get('apps/v1/Deployment');
      await reconcilePipeline(this.pipelineDeps, pipeline, this.clock(), {
        workflows,
        versions: (this.modelVersions?.list(namespace) ?? []) as ModelVersion[],
        availableReplicas: (deployment) =>
          (deployments?.get(deployment, namespace) as { status?: { availableReplicas?: number } })
            ?.status?.availableReplicas ?? 0,
        retiredIdentities: this.retiredIdentities(namespace, name),
        owns: (child) =>
          (
            this.cachedChild(child.apiVersion, child.kind, namespace, child.metadata.name)?.metadata
              ?.ownerReferences ?? []
          ).some((owner) => owner.kind === 'InquiryPipeline' && owner.name === name),
        replicasOf: (deployment) =>
          (deployments?.get(deployment, namespace) as { spec?: { replicas?: number } } | undefined)
            ?.spec?.replicas,
      });
      return;
    }
    if (kind === 'identities') {
      if ((this.pipelines?.list(namespace) ?? []).length > 0) return;
      // Those still cached: their deletion events queue this key again, which then finds none.
      const present = buildNamespaceIdentities(namespace).filter((identity) =>
        this.cachedChild(identity.apiVersion!, identity.kind!, namespace, identity.metadata!.name!),
      );
      await Promise.all(present.map((identity) => this.kube.delete(identity)));
      return;
    }
    if (kind === 'mv') {
      const mv = this.modelVersions?.get(name, namespace) as ModelVersion | undefined;
      // A deletion is reconciled too: the finalizer's clean-up runs here.
      if (!mv) return;
      const requeueAfterMs = await reconcileModelVersion(this.modelVersionDeps, mv, this.clock(), {
        pipeline: this.pipelines?.get(mv.spec.pipeline, namespace) as InquiryPipeline | undefined,
        versions: (this.modelVersions?.list(namespace) ?? []) as ModelVersion[],
      });
      if (requeueAfterMs !== null)
        this.queue.addAfter(queueKey, requeueAfterMs, { since: this.firstSeen(namespace, mv) });
      return;
    }
    const policy = this.policies?.get(name, namespace) as RoutingPolicy | undefined;
    if (!policy || policy.metadata.deletionTimestamp) return;
    const users = (this.pipelines?.list(namespace) ?? []).filter(
      (p) => (p as InquiryPipeline).spec?.routingPolicyRef?.name === name,
    ) as InquiryPipeline[];
    const previews = new Map(
      (this.workflows?.list(namespace) ?? [])
        .filter((w) => w.metadata?.labels?.[LABELS.routingPolicy] === name)
        .map((w) => [w.metadata!.name!, w as PreviewWorkflow]),
    );
    await reconcileRoutingPolicy(this.kube, policy, users, this.clock(), previews);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.restarts) clearTimeout(timer);
    this.restarts.clear();
    this.queue.stop();
    await Promise.all(this.informers.map((informer) => informer.stop()));
    await this.running;
  }
}
