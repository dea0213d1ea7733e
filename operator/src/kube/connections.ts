/**
 * One HTTPS connection pool per cluster and credentials, instead of a new one per request.
 * @kubernetes/client-node 2.0.1 builds a new undici Agent for every request
 * (`KubeConfig.createDispatcher`), so every API call paid a TLS handshake: a CPU profile of a
 * fleet sync spent 47 % of the operator's time there (bench/RESULTS.md). The dispatcher is
 * memoized by what it is built from, so rotated certificates still get a new one.
 * Patches a private method of that version: `operator/src/kube/connections.test.ts` fails if a
 * new version no longer has it.
 */
import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';

type CreateDispatcher = (cluster: unknown, agentOptions: Record<string, unknown>) => unknown;

export function reuseConnections(config: k8s.KubeConfig): k8s.KubeConfig {
  const target = config as unknown as {
    createDispatcher?: CreateDispatcher;
    reusesConnections?: boolean;
  };
  if (target.reusesConnections) return config;
  const create = target.createDispatcher;
  if (typeof create !== 'function')
    throw new Error('@kubernetes/client-node no longer has KubeConfig.createDispatcher');
  const pools = new Map<string, unknown>();
  target.createDispatcher = (cluster, agentOptions) => {
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          (cluster as { server?: string } | null)?.server,
          ...['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map(
            (field) => {
              const value = agentOptions[field];
              return Buffer.isBuffer(value) ? value.toString('base64') : value;
            },
          ),
        ]),
      )
      .digest('hex');
    if (!pools.has(key)) pools.set(key, create.call(config, cluster, agentOptions));
    return pools.get(key);
  };
  target.reusesConnections = true;
  return config;
}
