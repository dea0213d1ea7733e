/**
 * Leader election on a coordination.k8s.io Lease: one replica reconciles, the others wait and
 * take over once the leader stops renewing for `leaseDurationSeconds`. Optimistic concurrency
 * (resourceVersion) makes two candidates racing for one Lease end with one winner.
 */
import * as k8s from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { statusCode } from './client.js';

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewEveryMs?: number;
  retryEveryMs?: number;
}

export class LeaderElector {
  private readonly api: k8s.CoordinationV1Api;
  private stopped = false;
  private leading = false;

  constructor(
    config: k8s.KubeConfig,
    private readonly options: LeaderOptions,
  ) {
    this.api = config.makeApiClient(k8s.CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get duration(): number {
    return this.options.leaseDurationSeconds ?? 15;
  }

  /** One attempt to hold the Lease; true when we hold it afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = new Date();
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
      try {
        await this.api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: this.duration,
              acquireTime: new k8s.V1MicroTime(now.getTime()),
              renewTime: new k8s.V1MicroTime(now.getTime()),
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (raced) {
        if (statusCode(raced) === 409) return false;
        throw raced;
      }
    }
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
    const mine = spec.holderIdentity === identity;
    if (!mine && !expired && spec.holderIdentity) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: this.duration,
      renewTime: new k8s.V1MicroTime(now.getTime()),
      ...(mine
        ? {}
        : {
            acquireTime: new k8s.V1MicroTime(now.getTime()),
            leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
          }),
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (error) {
      if (statusCode(error) === 409) return false;
      throw error;
    }
  }

  /**
   * Campaigns until elected, calls `onElected`, then renews; resolves when leadership is lost (a
   * renewal failing for longer than the lease) or `stop` was called.
   */
  async run(onElected: () => void, onError: (error: unknown) => void = () => {}): Promise<void> {
    while (!this.stopped && !this.leading) {
      try {
        this.leading = await this.tryAcquireOrRenew();
      } catch (error) {
        onError(error);
      }
      if (!this.leading) await sleep(this.options.retryEveryMs ?? 2000);
    }
    if (this.stopped) return;
    onElected();
    let lastRenewal = Date.now();
    while (!this.stopped) {
      await sleep(this.options.renewEveryMs ?? 5000);
      if (this.stopped) break;
      try {
        if (await this.tryAcquireOrRenew()) lastRenewal = Date.now();
        else break; // someone else holds it now
      } catch (error) {
        onError(error);
        if (Date.now() - lastRenewal > this.duration * 1000) break;
      }
    }
    this.leading = false;
  }

  /** Stops campaigning or renewing; `release` also gives the Lease up at once for a successor. */
  async stop({ release }: { release: boolean }): Promise<void> {
    this.stopped = true;
    if (!release || !this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
      });
      if (lease.spec?.holderIdentity !== this.options.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, renewTime: undefined };
      await this.api.replaceNamespacedLease({
        name: this.options.name,
        namespace: this.options.namespace,
        body: lease,
      });
    } catch {
      // The lease expires by itself.
    }
  }
}
