/**
 * The test bed's node runs real pods: a Deployment behind a readiness probe becomes Available, its
 * Service answers from another pod and from the host, pods reach the API server through the
 * `kubernetes` Service. Runs when the test bed has a node (root; see docs/testbed.md).
 */
import * as k8s from '@kubernetes/client-node';
import { BASE_IMAGE, NODE_IMAGE } from '../../scripts/testbed/node-images.js';
import { eventually, runPodToEnd, testbed } from './testbed.js';

const NAMESPACE = 'node-check';
const withNode = process.env.TESTBED_WITH_NODE === '1' ? describe : describe.skip;

withNode('the test bed node', () => {
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;

  beforeAll(async () => {
    const kc = testbed.kubeConfig();
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  });

  afterAll(async () => {
    await core.deleteNamespace({ name: NAMESPACE }).catch(() => {});
  });

  /** Runs a pod to its end; its phase and log. */
  const runPod = (name: string, image: string, command: string[]) =>
    runPodToEnd(core, NAMESPACE, name, {
      containers: [{ name: 'main', image, imagePullPolicy: 'Never', command }],
    });

  it('registers a Ready node', async () => {
    const nodes = await core.listNode();
    expect(nodes.items).toHaveLength(1);
    const ready = nodes.items[0]!.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
  });

  it('runs a pod to Succeeded, which reaches the API server through the kubernetes Service', async () => {
    const { phase, log } = await runPod('api-client', BASE_IMAGE, [
      'bash',
      '-c',
      'exec 3<>/dev/tcp/$KUBERNETES_SERVICE_HOST/$KUBERNETES_SERVICE_PORT && echo connected',
    ]);
    expect({ phase, log }).toEqual({ phase: 'Succeeded', log: 'connected\n' });
  });

  it('makes a Deployment Available behind its readiness probe; its Service answers a pod and the host', async () => {
    const labels = { app: 'web' };
    const server =
      "require('http').createServer((q, s) => s.end('hello from ' + require('os').hostname())).listen(8080)";
    await apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                {
                  name: 'web',
                  image: NODE_IMAGE,
                  imagePullPolicy: 'Never',
                  command: ['node', '-e', server],
                  ports: [{ containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
                  securityContext: { runAsUser: 10001, runAsNonRoot: true },
                },
              ],
            },
          },
        },
      },
    });
    await eventually('Deployment web to be Available', async () => {
      const deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: NAMESPACE });
      const available = deployment.status?.conditions?.find((c) => c.type === 'Available');
      return available?.status === 'True' ? true : undefined;
    });
    const service = await core.createNamespacedService({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'web' },
        spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
      },
    });
    const clusterIp = service.spec!.clusterIP!;

    const fromHost = await eventually('the Service to answer the host', async () => {
      const response = await fetch(`http://${clusterIp}/`, { signal: AbortSignal.timeout(2000) });
      return response.ok ? response.text() : undefined;
    });
    expect(fromHost).toMatch(/^hello from web-/);

    const { phase, log } = await runPod('web-client', BASE_IMAGE, [
      'bash',
      '-c',
      'exec 3<>/dev/tcp/$WEB_SERVICE_HOST/80 && printf "GET / HTTP/1.0\\r\\n\\r\\n" >&3 && cat <&3',
    ]);
    expect(phase).toBe('Succeeded');
    expect(log).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(log).toMatch(/hello from web-/);
  });

  it('resolves a Service name through CoreDNS', async () => {
    const { phase, log } = await runPod('dns-client', BASE_IMAGE, [
      'getent',
      'hosts',
      `kubernetes.default.svc.cluster.local`,
    ]);
    expect(phase).toBe('Succeeded');
    expect(log).toMatch(/^10\.0\.0\.1\s+kubernetes\.default\.svc\.cluster\.local/);
  });

  describe("under Argo's controller", () => {
    const custom = () => testbed.kubeConfig().makeApiClient(k8s.CustomObjectsApi);
    const workflow = {
      group: 'argoproj.io',
      version: 'v1alpha1',
      namespace: NAMESPACE,
      plural: 'workflows',
    };

    beforeAll(async () => {
      // The steps' service account gets Argo's executor permissions, nothing more.
      await testbed
        .kubeConfig()
        .makeApiClient(k8s.RbacAuthorizationV1Api)
        .createNamespacedRoleBinding({
          namespace: NAMESPACE,
          body: {
            metadata: { name: 'argo-executor' },
            roleRef: {
              apiGroup: 'rbac.authorization.k8s.io',
              kind: 'ClusterRole',
              name: 'argo-executor',
            },
            subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: NAMESPACE }],
          },
        });
    });

    async function runWorkflow(name: string, spec: object) {
      await custom().createNamespacedCustomObject({
        ...workflow,
        body: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name }, spec },
      });
      return eventually(
        `Workflow ${name} to finish`,
        async () => {
          const found = (await custom().getNamespacedCustomObject({ ...workflow, name })) as {
            status?: {
              phase?: string;
              nodes?: Record<string, { outputs?: { parameters?: { value?: string }[] } }>;
            };
          };
          return ['Succeeded', 'Failed', 'Error'].includes(found.status?.phase ?? '')
            ? found.status
            : undefined;
        },
        120_000,
      );
    }

    const step = (command: string[], extra: object = {}) => ({
      image: BASE_IMAGE,
      imagePullPolicy: 'Never',
      command,
      ...extra,
    });

    it('runs a one-step Workflow to Succeeded', async () => {
      const status = await runWorkflow('one-step', {
        entrypoint: 'hello',
        templates: [{ name: 'hello', container: step(['echo', 'hello from argo']) }],
      });
      expect(status.phase).toBe('Succeeded');
    }, 180_000);

    it('passes an output parameter from one step to the next', async () => {
      const status = await runWorkflow('two-steps', {
        entrypoint: 'main',
        templates: [
          {
            name: 'main',
            steps: [
              [{ name: 'produce', template: 'produce' }],
              [
                {
                  name: 'consume',
                  template: 'consume',
                  arguments: {
                    parameters: [
                      { name: 'msg', value: '{{steps.produce.outputs.parameters.msg}}' },
                    ],
                  },
                },
              ],
            ],
          },
          {
            name: 'produce',
            container: step(['bash', '-c', 'echo -n from-step-one > /tmp/msg.txt']),
            outputs: { parameters: [{ name: 'msg', valueFrom: { path: '/tmp/msg.txt' } }] },
          },
          {
            name: 'consume',
            inputs: { parameters: [{ name: 'msg' }] },
            container: step(['test', '{{inputs.parameters.msg}}', '=', 'from-step-one']),
          },
        ],
      });
      expect(status.phase).toBe('Succeeded');
      const outputs = Object.values(status.nodes ?? {}).flatMap(
        (node) => node.outputs?.parameters ?? [],
      );
      expect(outputs.map((parameter) => parameter.value)).toContain('from-step-one');
    }, 180_000);
  });
});
