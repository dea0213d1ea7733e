/** Leader election on a real Lease: two candidates, one leader; the leader dies, the other takes over. */
import * as k8s from '@kubernetes/client-node';
import { LeaderElector } from '../../operator/src/kube/leader.js';
import { testbed } from './testbed.js';

describe('leader election', () => {
  const kc = testbed.kubeConfig();

  it('elects one of two candidates, and the other takes over within the lease duration when it dies', async () => {
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'leader-test' } } });
    const options = {
      namespace: 'leader-test',
      name: 'inquiry-operator',
      leaseDurationSeconds: 3,
      renewEveryMs: 500,
      retryEveryMs: 300,
    };
    const a = new LeaderElector(kc, { ...options, identity: 'a' });
    const b = new LeaderElector(kc, { ...options, identity: 'b' });
    const elected: string[] = [];
    const runA = a.run(() => elected.push('a'));
    const runB = b.run(() => elected.push('b'));
    for (let i = 0; i < 50 && elected.length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    expect(elected).toHaveLength(1);
    const [first] = elected as ['a' | 'b'];
    const [leader, follower, followerRun] = first === 'a' ? [a, b, runB] : [b, a, runA];
    expect(leader.isLeader).toBe(true);
    expect(follower.isLeader).toBe(false);

    // The leader dies without releasing: the follower waits out the lease, then leads.
    await leader.stop({ release: false });
    for (let i = 0; i < 100 && elected.length === 1; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(elected).toEqual([first, first === 'a' ? 'b' : 'a']);
    const lease = await kc
      .makeApiClient(k8s.CoordinationV1Api)
      .readNamespacedLease({ name: 'inquiry-operator', namespace: 'leader-test' });
    expect(lease.spec?.holderIdentity).toBe(first === 'a' ? 'b' : 'a');
    expect(lease.spec?.leaseTransitions).toBe(1);
    await follower.stop({ release: true });
    await Promise.all([runA, runB, followerRun]);
    const released = await kc
      .makeApiClient(k8s.CoordinationV1Api)
      .readNamespacedLease({ name: 'inquiry-operator', namespace: 'leader-test' });
    expect(released.spec?.holderIdentity).toBeUndefined();
  });
});
