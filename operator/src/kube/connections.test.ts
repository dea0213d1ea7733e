import * as k8s from '@kubernetes/client-node';
import { reuseConnections } from './connections.js';

function config(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('reuseConnections', () => {
  const dispatcherOf = async (kc: k8s.KubeConfig): Promise<unknown> => {
    const context = new k8s.RequestContext('https://127.0.0.1:6443/api', k8s.HttpMethod.GET);
    await kc.applySecurityAuthentication(context);
    return context.getDispatcher();
  };

  it('hands every request of a config the same connection pool', async () => {
    const kc = reuseConnections(config());
    const first = await dispatcherOf(kc);
    expect(first).toBeDefined();
    expect(await dispatcherOf(kc)).toBe(first);
  });

  it('is needed: the library alone builds a new pool per request', async () => {
    const kc = config();
    expect(await dispatcherOf(kc)).not.toBe(await dispatcherOf(kc));
  });
});
