/**
 * The cluster add-ons the node runs as pods: CoreDNS (cluster names only: no upstream, nothing
 * resolves outside the cluster) and Argo Workflows' controller with Argo's own RBAC. Applied with
 * server-side apply after the node is Ready; `up` returns once both Deployments are Available.
 */
import { readFile } from 'node:fs/promises';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ARGO_IMAGE, COREDNS_IMAGE } from './addons-build.js';
import type { NodeNetwork } from './node-config.js';

export const ARGO_NAMESPACE = 'argo';
/** Argo's recommended executor permissions (its `executor` Role) as a ClusterRole to bind per namespace. */
export const ARGO_EXECUTOR_CLUSTER_ROLE = 'argo-executor';
const COREDNS_PORT = 1053;

/** A Kubernetes object as plain data, for server-side apply. */
type Manifest = k8s.KubernetesObject & Record<string, unknown>;

const COREFILE = `.:${COREDNS_PORT} {
    errors
    ready :8181
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        pods insecure
    }
    cache 30
}
`;

export function corednsObjects(net: NodeNetwork): Manifest[] {
  const ns = 'kube-system';
  const labels = { 'k8s-app': 'kube-dns' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        {
          apiGroups: [''],
          resources: ['endpoints', 'services', 'pods', 'namespaces'],
          verbs: ['list', 'watch'],
        },
        {
          apiGroups: ['discovery.k8s.io'],
          resources: ['endpointslices'],
          verbs: ['list', 'watch'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'system:coredns',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: ns },
      data: { Corefile: COREFILE },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'coredns',
            dnsPolicy: 'Default',
            containers: [
              {
                name: 'coredns',
                image: COREDNS_IMAGE,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: COREDNS_PORT, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: COREDNS_PORT, protocol: 'TCP' },
                ],
                readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 1 },
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns' }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: ns, labels },
      spec: {
        selector: labels,
        clusterIP: net.dnsIp,
        ports: [
          { name: 'dns', port: 53, targetPort: COREDNS_PORT, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, targetPort: COREDNS_PORT, protocol: 'TCP' },
        ],
      },
    },
  ];
}

/** Argo's published RBAC documents, namespaced into `argo`; its executor Role as a ClusterRole. */
export async function argoRbacObjects(files: string[]): Promise<Manifest[]> {
  const objects: Manifest[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      const object = doc.toJS() as Manifest & { subjects?: { kind: string; namespace?: string }[] };
      if (!object) continue;
      if (object.kind === 'Role' && object.metadata?.name === 'executor') {
        object.kind = 'ClusterRole';
        object.metadata = { name: ARGO_EXECUTOR_CLUSTER_ROLE };
        objects.push(object);
        continue;
      }
      if (!object.kind?.startsWith('Cluster'))
        object.metadata = { ...object.metadata, namespace: ARGO_NAMESPACE };
      for (const subject of object.subjects ?? [])
        if (subject.kind === 'ServiceAccount') subject.namespace = ARGO_NAMESPACE;
      objects.push(object);
    }
  }
  return objects;
}

export function argoControllerObjects(): Manifest[] {
  const labels = { app: 'workflow-controller' };
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'workflow-controller-configmap', namespace: ARGO_NAMESPACE },
      // The images are imported, never pulled; nothing scrapes the controller here.
      data: {
        executor: 'imagePullPolicy: Never\n',
        metricsConfig: 'enabled: false\n',
        telemetryConfig: 'enabled: false\n',
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'workflow-controller', namespace: ARGO_NAMESPACE },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'argo',
            containers: [
              {
                name: 'workflow-controller',
                image: ARGO_IMAGE,
                imagePullPolicy: 'Never',
                command: [
                  '/bin/workflow-controller',
                  `--executor-image=${ARGO_IMAGE}`,
                  '--executor-image-pull-policy=Never',
                ],
                env: [{ name: 'LEADER_ELECTION_DISABLE', value: 'true' }],
                securityContext: {
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    },
  ];
}

/** Server-side applies `objects` in order, as the test bed's field manager. */
export async function apply(kc: k8s.KubeConfig, objects: Manifest[]): Promise<void> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const object of objects) {
    await client
      .patch(
        object,
        undefined,
        undefined,
        'inquiry-testbed',
        true,
        k8s.PatchStrategy.ServerSideApply,
      )
      .catch((cause: unknown) => {
        throw new Error(
          `apply ${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name}`,
          { cause },
        );
      });
  }
}

async function waitAvailable(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const deployment = await apps.readNamespacedDeployment({ name, namespace });
    if (deployment.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True'))
      return;
    if (Date.now() > deadline) {
      const pods = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace });
      const states = pods.items.map(
        (pod) =>
          `${pod.metadata?.name}: ${pod.status?.phase} ${JSON.stringify(pod.status?.containerStatuses?.map((c) => c.state))}`,
      );
      throw new Error(
        `Deployment ${namespace}/${name} is not Available after ${timeoutMs / 1000} s; pods: ${states.join('; ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Installs CoreDNS and Argo's controller and waits until both are Available. */
export async function installAddons(
  kubeconfig: string,
  net: NodeNetwork,
  argoRbac: string[],
): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  await apply(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGO_NAMESPACE } }]);
  await apply(kc, [
    ...corednsObjects(net),
    ...(await argoRbacObjects(argoRbac)),
    ...argoControllerObjects(),
  ]);
  await Promise.all([
    waitAvailable(kc, 'kube-system', 'coredns', 60_000),
    waitAvailable(kc, ARGO_NAMESPACE, 'workflow-controller', 60_000),
  ]);
}
