/**
 * Every object the operator builds for an InquiryPipeline goes through a server-side dry run on
 * the test bed's API server, where the upstream Argo Workflows and Istio CRDs are installed: the
 * real schemas check every field.
 */
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import type { RoutingPolicySpec } from '../../crds/generated/routingpolicies.js';
import { withDefaults } from '../../operator/src/builders/defaults.js';
import { buildNamespaceIdentities } from '../../operator/src/builders/identity.js';
import {
  buildAutoscaler,
  buildInferenceDeployment,
  buildInferenceService,
  buildPolicyConfigMap,
} from '../../operator/src/builders/serving.js';
import { buildDestinationRule, buildVirtualService } from '../../operator/src/traffic/istio.js';
import {
  buildCronWorkflow,
  buildPolicyPreviewWorkflow,
} from '../../operator/src/builders/workflows.js';
import { buildStepTemplates } from '../../operator/src/builders/step-templates.js';
import { STEP_TEMPLATES } from '../../operator/src/names.js';
import { stringify } from 'yaml';
import { testbed } from './testbed.js';

const NAMESPACE = 'builders-dry-run';

describe('built children against the real schemas', () => {
  const kc = testbed.kubeConfig();
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);

  beforeAll(async () => {
    await kc
      .makeApiClient(k8s.CoreV1Api)
      .createNamespace({ body: { metadata: { name: NAMESPACE } } });
  });

  it('accepts every child of a fully specified pipeline in a server-side dry run', async () => {
    const example = parse(
      readFileSync(new URL('../../crds/examples/inquirypipeline.yaml', import.meta.url), 'utf8'),
    ) as { spec: Parameters<typeof withDefaults>[0] };
    const policyExample = parse(
      readFileSync(new URL('../../crds/examples/routingpolicy.yaml', import.meta.url), 'utf8'),
    ) as { spec: RoutingPolicySpec };
    const owner = {
      apiVersion: 'inquiries.mlops.io/v1alpha1',
      kind: 'InquiryPipeline',
      metadata: {
        name: 'support-emea',
        namespace: NAMESPACE,
        uid: '0b5e5a4e-0000-4000-8000-000000000001',
      },
    };
    const spec = withDefaults({
      ...example.spec,
      image: 'registry.example/inquiry-platform:1.0.0',
    });
    const children: object[] = [
      ...buildNamespaceIdentities(NAMESPACE),
      ...(['ingest', 'classify', 'retrain'] as const).map((job) =>
        buildCronWorkflow(owner, spec, job),
      ),
      // With MLflow credentials: the classify job calls the other variant.
      buildCronWorkflow(
        { ...owner, metadata: { ...owner.metadata, name: 'with-mlflow-keys' } },
        withDefaults({
          ...spec,
          mlflow: { ...spec.mlflow, credentialsSecretRef: { name: 'mlflow-keys' } },
        }),
        'classify',
      ),
      buildInferenceDeployment(owner, spec, {
        name: 'support-emea-v1',
        artifactUri: 'mlflow-artifacts:/1/abc/artifacts/bundle',
        subset: 'stable',
      }),
      buildInferenceDeployment(owner, spec, {
        name: 'support-emea-v2',
        artifactUri: 'mlflow-artifacts:/1/def/artifacts/bundle',
        subset: 'canary',
      }),
      buildInferenceService(owner),
      buildAutoscaler(owner, spec)!,
      buildDestinationRule(owner, {
        stable: 'support-emea-v1',
        traffic: { kind: 'canary', candidate: 'support-emea-v2', weight: 25 },
      }),
      buildVirtualService(owner, spec, {
        kind: 'canary',
        candidate: 'support-emea-v2',
        weight: 25,
      }),
      buildVirtualService(owner, spec, { kind: 'shadow', candidate: 'support-emea-v2' }),
      // An A/B canary: a match route (every kind of header comparison, a cookie) before the weights.
      buildVirtualService(owner, spec, {
        kind: 'canary',
        candidate: 'support-emea-v2',
        weight: 0,
        match: [
          {
            headers: [
              { name: 'x-canary', exact: 'insider' },
              { name: 'x-release', regex: '(?i)beta-[0-9]+' },
              { name: 'x-tenant', prefix: 'acme-' },
            ],
          },
          { cookie: { name: 'canary', value: 'always' } },
        ],
      }),
      buildPolicyConfigMap({
        apiVersion: 'inquiries.mlops.io/v1alpha1',
        kind: 'RoutingPolicy',
        metadata: {
          name: 'support-emea-routing',
          namespace: NAMESPACE,
          uid: '0b5e5a4e-0000-4000-8000-000000000002',
        },
        spec: policyExample.spec,
      }),
      buildPolicyPreviewWorkflow(
        {
          apiVersion: 'inquiries.mlops.io/v1alpha1',
          kind: 'RoutingPolicy',
          metadata: {
            name: 'support-emea-routing',
            namespace: NAMESPACE,
            uid: '0b5e5a4e-0000-4000-8000-000000000002',
          },
          generation: 3,
          yaml: stringify(policyExample.spec),
        },
        { name: 'support-emea', spec },
      ),
      // The ingest step of the other sources: S3 with credentials, files on a claim.
      buildCronWorkflow(
        { ...owner, metadata: { ...owner.metadata, name: 'from-s3' } },
        withDefaults({
          ...example.spec,
          ingestion: {
            source: {
              type: 's3',
              location: 's3://inquiries/incoming/',
              s3: { endpoint: 'http://s3.storage:7070', credentialsSecretRef: { name: 's3-keys' } },
            },
          },
        }),
        'ingest',
      ),
      buildCronWorkflow(
        { ...owner, metadata: { ...owner.metadata, name: 'from-claim' } },
        withDefaults({
          ...example.spec,
          ingestion: {
            source: {
              type: 'file',
              location: 'exports/',
              volume: { persistentVolumeClaim: { claimName: 'exports' } },
            },
          },
        }),
        'ingest',
      ),
    ];
    const refused: string[] = [];
    for (const child of children) {
      try {
        await objects.create(child, undefined, 'All', 'inquiry-operator');
      } catch (error) {
        const { kind, metadata } = child as k8s.KubernetesObject;
        refused.push(
          `${kind} ${metadata?.name}: ${String((error as k8s.ApiException<string>).body ?? error)}`,
        );
      }
    }
    expect(refused).toEqual([]);
    expect(children.map((c) => (c as k8s.KubernetesObject).kind).sort()).toEqual([
      'ConfigMap',
      'CronWorkflow',
      'CronWorkflow',
      'CronWorkflow',
      'CronWorkflow',
      'CronWorkflow',
      'CronWorkflow',
      'Deployment',
      'Deployment',
      'DestinationRule',
      'HorizontalPodAutoscaler',
      'RoleBinding',
      'Service',
      'ServiceAccount',
      'ServiceAccount',
      'VirtualService',
      'VirtualService',
      'VirtualService',
      'Workflow',
    ]);

    // Every step a CronWorkflow calls is in the test bed's ClusterWorkflowTemplate (the chart's
    // file, applied at start), which is what the builder makes.
    const served = (await kc.makeApiClient(k8s.CustomObjectsApi).getClusterCustomObject({
      group: 'argoproj.io',
      version: 'v1alpha1',
      plural: 'clusterworkflowtemplates',
      name: STEP_TEMPLATES,
    })) as ReturnType<typeof buildStepTemplates>;
    expect(served.spec).toEqual(buildStepTemplates().spec);
    const templates = new Set(served.spec.templates!.map((t) => t.name));
    const called = children
      .filter((child) => (child as k8s.KubernetesObject).kind === 'CronWorkflow')
      .flatMap(
        (cron) => (cron as ReturnType<typeof buildCronWorkflow>).spec.workflowSpec.templates!,
      )
      .flatMap((t) => (t.steps ?? []).flat())
      .map((step) => step.templateRef!);
    expect(called.map((ref) => ref.template).sort()).toEqual([
      'classify',
      'classify-mlflow-auth',
      'retrain',
    ]);
    for (const ref of called) {
      expect(ref).toMatchObject({ name: STEP_TEMPLATES, clusterScope: true });
      expect(templates).toContain(ref.template);
    }
  });

  it('is refused by the real schema when a field is wrong (the check can fail)', async () => {
    const owner = {
      apiVersion: 'inquiries.mlops.io/v1alpha1',
      kind: 'InquiryPipeline',
      metadata: { name: 'p', namespace: NAMESPACE, uid: '0b5e5a4e-0000-4000-8000-000000000003' },
    };
    const broken = buildVirtualService(
      owner,
      withDefaults({ databaseSecretRef: { name: 'db' }, mlflow: { trackingUri: 'http://m' } }),
      { kind: 'canary', candidate: 'p-v2', weight: 10 },
    );
    (broken.spec.http![0] as { timeout: unknown }).timeout = 10;
    await expect(objects.create(broken as k8s.KubernetesObject, undefined, 'All')).rejects.toThrow(
      /timeout/,
    );
  });
});
