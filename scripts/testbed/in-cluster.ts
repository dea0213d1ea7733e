/**
 * The test bed's PostgreSQL, MLflow and S3 server as pods see them. They listen on loopback;
 * for each, a forwarder on the node's bridge (where pods reach the host) and, in namespace
 * `testbed`, a Service without selector whose EndpointSlice points at that forwarder — the way a
 * cluster reaches a database outside it. Pods use `postgres.testbed.svc.cluster.local:5432`,
 * `mlflow.testbed.svc.cluster.local:5000`, `s3.testbed.svc.cluster.local:9000`.
 */
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { apply } from './addons.js';
import { freePorts, startDaemon } from './processes.js';
import type { Run } from './runs.js';

export const SERVICES_NAMESPACE = 'testbed';

/** The servers' URLs from inside the cluster. */
export interface InClusterEnv {
  databaseUrl: string;
  mlflowUrl: string;
  s3Url: string;
}

/** The Host names a pod may send MLflow (its server refuses other Host headers). */
export const MLFLOW_IN_CLUSTER_HOSTS = [
  `mlflow.${SERVICES_NAMESPACE}`,
  `mlflow.${SERVICES_NAMESPACE}.svc`,
  `mlflow.${SERVICES_NAMESPACE}.svc.cluster.local`,
].flatMap((host) => [host, `${host}:5000`]);

interface Exposed {
  name: string;
  port: number;
  /** The server's URL on the host (loopback). */
  hostUrl: string;
}

function serviceHost(name: string): string {
  return `${name}.${SERVICES_NAMESPACE}.svc.cluster.local`;
}

/** Starts the forwarders and applies the Services; the servers' in-cluster URLs. */
export async function exposeToPods(
  run: Run,
  kubeconfig: string,
  gateway: string,
  servers: { databaseUrl: string; mlflowUrl: string; s3Url: string },
): Promise<InClusterEnv> {
  const exposed: Exposed[] = [
    { name: 'postgres', port: 5432, hostUrl: servers.databaseUrl },
    { name: 'mlflow', port: 5000, hostUrl: servers.mlflowUrl },
    { name: 's3', port: 9000, hostUrl: servers.s3Url },
  ];
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  await apply(kc, [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: SERVICES_NAMESPACE } },
  ]);
  const listen = await freePorts(exposed.length);
  for (const [index, { name, port, hostUrl }] of exposed.entries()) {
    const target = new URL(hostUrl);
    const forwarder = startDaemon({
      name: `${name}-forwarder`,
      // Through sh, whose arguments carry the run directory: that is how teardown knows it is ours.
      command: 'sh',
      args: [
        '-c',
        'socat "$1" "$2"; exit $?',
        run.dir,
        `TCP-LISTEN:${listen[index]},bind=${gateway},fork,reuseaddr`,
        `TCP:${target.hostname}:${target.port}`,
      ],
      log: path.join(run.dir, 'node', `${name}-forwarder.log`),
    });
    await run.record(forwarder);
    await apply(kc, [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: SERVICES_NAMESPACE },
        spec: { ports: [{ name: 'tcp', port, targetPort: listen[index], protocol: 'TCP' }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name,
          namespace: SERVICES_NAMESPACE,
          labels: { 'kubernetes.io/service-name': name },
        },
        addressType: 'IPv4',
        ports: [{ name: 'tcp', port: listen[index], protocol: 'TCP' }],
        endpoints: [{ addresses: [gateway], conditions: { ready: true } }],
      },
    ]);
  }
  const database = new URL(servers.databaseUrl);
  database.hostname = serviceHost('postgres');
  database.port = '5432';
  return {
    databaseUrl: database.toString(),
    mlflowUrl: `http://${serviceHost('mlflow')}:5000`,
    s3Url: `http://${serviceHost('s3')}:9000`,
  };
}
