/**
 * Proves the test bed's Kubernetes is the real thing: CEL validation by the API server, watches,
 * the garbage collector of kube-controller-manager, and the upstream Argo Workflows schema.
 */
import * as k8s from '@kubernetes/client-node';
import { eventually, testbed } from './testbed.js';

const NAMESPACE = 'default';
const GROUP = 'smoke.testbed.inquiries.mlops.io';

const widgetCrd: k8s.V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  minReplicas: { type: 'integer' },
                  maxReplicas: { type: 'integer' },
                },
                x_kubernetes_validations: [
                  {
                    rule: 'self.minReplicas <= self.maxReplicas',
                    message: 'minReplicas must not exceed maxReplicas',
                  },
                ],
              },
            },
          },
        },
      },
    ],
  },
};

function widget(name: string, minReplicas: number, maxReplicas: number): k8s.KubernetesObject {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'Widget',
    metadata: { name, namespace: NAMESPACE },
    spec: { minReplicas, maxReplicas },
  } as k8s.KubernetesObject;
}

function statusCode(error: unknown): number | undefined {
  return error instanceof k8s.ApiException ? error.code : undefined;
}

describe('test bed Kubernetes', () => {
  const kc = testbed.kubeConfig();
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const crds = kc.makeApiClient(k8s.ApiextensionsV1Api);

  beforeAll(async () => {
    await crds.createCustomResourceDefinition({ body: widgetCrd });
    await eventually('the Widget CRD to be Established', async () => {
      const crd = await crds.readCustomResourceDefinition({ name: widgetCrd.metadata!.name! });
      const established = crd.status?.conditions?.some(
        (condition) => condition.type === 'Established' && condition.status === 'True',
      );
      return established ? true : undefined;
    });
  });

  afterAll(async () => {
    await crds.deleteCustomResourceDefinition({ name: widgetCrd.metadata!.name! });
  });

  it('refuses a custom resource that breaks a CEL rule, with the rule message', async () => {
    const refused = await objects.create(widget('inverted', 5, 1)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(statusCode(refused)).toBe(422);
    expect(String((refused as k8s.ApiException<string>).body)).toContain(
      'minReplicas must not exceed maxReplicas',
    );
  });

  it('stores a valid custom resource and delivers it to a watch', async () => {
    let delivered: (object: k8s.KubernetesObject) => void = () => {};
    let failed: (error: Error) => void = () => {};
    const added = new Promise<k8s.KubernetesObject>((resolve, reject) => {
      delivered = resolve;
      failed = reject;
    });
    // `watch` resolves once the API server answered, so the create below cannot be missed.
    const request = await new k8s.Watch(kc).watch(
      `/apis/${GROUP}/v1/namespaces/${NAMESPACE}/widgets`,
      {},
      (phase: string, object: k8s.KubernetesObject) => {
        if (phase === 'ADDED' && object.metadata?.name === 'valid') delivered(object);
      },
      (error: unknown) => {
        if (error) failed(new Error('the watch ended with an error', { cause: error }));
      },
    );
    try {
      await objects.create(widget('valid', 1, 3));
      const seen = (await added) as k8s.KubernetesObject & { spec: { maxReplicas: number } };
      expect(seen.spec.maxReplicas).toBe(3);
    } finally {
      request.abort();
    }
  });

  it('garbage-collects a Deployment when its owner ConfigMap is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: NAMESPACE,
      body: { metadata: { name: 'gc-owner' }, data: { purpose: 'owner' } },
    });
    await apps.createNamespacedDeployment({
      namespace: NAMESPACE,
      body: {
        metadata: {
          name: 'gc-dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'gc-owner', uid: owner.metadata!.uid! },
          ],
        },
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: 'gc-dependent' } },
          template: {
            metadata: { labels: { app: 'gc-dependent' } },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] },
          },
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: 'gc-owner', namespace: NAMESPACE });
    const status = await eventually('the garbage collector to delete the Deployment', async () => {
      try {
        await apps.readNamespacedDeployment({ name: 'gc-dependent', namespace: NAMESPACE });
        return undefined;
      } catch (error) {
        return statusCode(error);
      }
    });
    expect(status).toBe(404);
  });

  describe('upstream Argo Workflows schema', () => {
    const workflow = (entrypoint: unknown): k8s.KubernetesObject =>
      ({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Workflow',
        metadata: { generateName: 'smoke-', namespace: NAMESPACE },
        spec: {
          entrypoint,
          templates: [{ name: 'main', container: { image: 'busybox:1.36', command: ['true'] } }],
        },
      }) as k8s.KubernetesObject;

    it('accepts a well-formed Workflow', async () => {
      const created = await objects.create(workflow('main'));
      expect(created.metadata?.name).toMatch(/^smoke-/);
    });

    it('refuses a Workflow with a wrong field type, naming the field', async () => {
      const refused = await objects.create(workflow(42)).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(statusCode(refused)).toBe(422);
      expect(String((refused as k8s.ApiException<string>).body)).toMatch(/spec\.entrypoint/);
    });
  });
});
