/**
 * The controller: informers (list + watch, re-listing when a watch ends) on InquiryPipelines and
 * on the children the operator owns; a change to either queues the pipeline, and the queue runs
 * the reconciler with backoff on errors. Errors are logged and retried, never swallowed.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../../lib/logger.js';
import { reconcilePipeline, type InquiryPipeline } from './controllers/pipeline.js';
import { KubeClient } from './kube/client.js';
import { LABELS } from './names.js';
import { WorkQueue } from './queue.js';

const GROUP = 'inquiries.mlops.io';
const VERSION = 'v1alpha1';

interface Watched {
  group: string;
  version: string;
  plural: string;
}

const CHILDREN: Watched[] = [
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'cronworkflows' },
  { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflowtemplates' },
];

const key = (object: k8s.KubernetesObject): string =>
  `${object.metadata?.namespace}/${object.metadata?.name}`;

export class Controller {
  private readonly kube: KubeClient;
  private readonly queue = new WorkQueue();
  private readonly informers: k8s.Informer<k8s.KubernetesObject>[] = [];
  private pipelines:
    (k8s.Informer<k8s.KubernetesObject> & k8s.ObjectCache<k8s.KubernetesObject>) | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly config: k8s.KubeConfig,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.kube = new KubeClient(config);
  }

  private informer(watched: Watched, labelSelector?: string) {
    const custom = this.config.makeApiClient(k8s.CustomObjectsApi);
    const path = `/apis/${watched.group}/${watched.version}/${watched.plural}`;
    const list = async () =>
      (await custom.listClusterCustomObject({
        ...watched,
        ...(labelSelector ? { labelSelector } : {}),
      })) as k8s.KubernetesListObject<k8s.KubernetesObject>;
    const informer = k8s.makeInformer(this.config, path, list, labelSelector);
    informer.on('error', (error) => {
      this.logger.warn(
        { resource: watched.plural, error: String(error) },
        'watch ended; re-listing',
      );
      setTimeout(() => void informer.start().catch(() => {}), 1000);
    });
    this.informers.push(informer);
    return informer;
  }

  async start(): Promise<void> {
    this.pipelines = this.informer({ group: GROUP, version: VERSION, plural: 'inquirypipelines' });
    for (const verb of ['add', 'update'] as const)
      this.pipelines.on(verb, (object) => this.queue.add(key(object)));
    for (const child of CHILDREN) {
      const informer = this.informer(child, `${LABELS.managedBy}=inquiry-operator`);
      // A child changed or deleted by someone else: its owner reconciles it back.
      for (const verb of ['update', 'delete'] as const) {
        informer.on(verb, (object) => {
          const owner = object.metadata?.ownerReferences?.find(
            (ref) => ref.kind === 'InquiryPipeline',
          );
          if (owner) this.queue.add(`${object.metadata?.namespace}/${owner.name}`);
        });
      }
    }
    await Promise.all(this.informers.map((informer) => informer.start()));
    this.running = this.queue.run(
      (k) => this.reconcile(k),
      (k, error, retryInMs) =>
        this.logger.warn(
          { key: k, retryInMs, error: describe(error) },
          'reconcile failed; retrying',
        ),
    );
  }

  private async reconcile(pipelineKey: string): Promise<void> {
    const [namespace, name] = pipelineKey.split('/') as [string, string];
    const pipeline = this.pipelines?.get(name, namespace) as InquiryPipeline | undefined;
    if (!pipeline || pipeline.metadata.deletionTimestamp) return;
    await reconcilePipeline(this.kube, pipeline, this.clock());
  }

  async stop(): Promise<void> {
    this.queue.stop();
    await Promise.all(this.informers.map((informer) => informer.stop()));
    await this.running;
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    parts.push(current instanceof Error ? current.message : JSON.stringify(current));
    if (!(current instanceof Error)) break;
  }
  return parts.join(': ');
}
