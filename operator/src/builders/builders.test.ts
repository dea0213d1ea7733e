import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parsePolicyYaml } from '../../../lib/routing/policy.js';
import { dnsLabel, LABELS, names, WORKFLOW_CLUSTER_ROLE } from '../names.js';
import { DEFAULT_POLICY_FILE, POLICY_FILE } from './common.js';
import { buildNamespaceIdentities, isNamespaceIdentity, isRetiredIdentity } from './identity.js';
import { PIPELINE_DEFAULTS, withDefaults } from './defaults.js';
import {
  buildInferenceDeployment,
  canaryCapacity,
  canaryReplicas,
  inferenceNodeOptions,
} from './serving.js';
import { buildCronWorkflow } from './workflows.js';
import { OWNER } from '../../../test/fixtures.js';

const owner = OWNER;
const spec = withDefaults({
  databaseSecretRef: { name: 'db' },
  mlflow: { trackingUri: 'http://mlflow:5000' },
});

describe('withDefaults', () => {
  it('agrees with the defaults in the CRD schema', () => {
    type Node = { default?: unknown; properties?: Record<string, Node> };
    const crd = parse(
      readFileSync(new URL('../../../crds/inquirypipelines.yaml', import.meta.url), 'utf8'),
    ) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Node } } } }[] };
    };
    const root = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec;
    const at = (...path: string[]): unknown =>
      path.reduce<Node | undefined>((node, key) => node?.properties?.[key], root)?.default;
    expect(at('databaseSecretRef', 'key')).toBe(PIPELINE_DEFAULTS.databaseSecretKey);
    expect(at('ingestion', 'schedule')).toBe(PIPELINE_DEFAULTS.ingestionSchedule);
    expect(at('classification', 'schedule')).toBe(PIPELINE_DEFAULTS.classificationSchedule);
    expect(at('classification', 'shards')).toBe(PIPELINE_DEFAULTS.shards);
    expect(at('retraining', 'schedule')).toBe(PIPELINE_DEFAULTS.retrainingSchedule);
    expect(at('retraining', 'triggers', 'minNewLabels')).toBe(
      PIPELINE_DEFAULTS.triggers.minNewLabels,
    );
    expect(at('retraining', 'triggers', 'driftThreshold')).toBe(
      PIPELINE_DEFAULTS.triggers.driftThreshold,
    );
    expect(at('retraining', 'triggers', 'minOnlineAccuracy')).toBe(
      PIPELINE_DEFAULTS.triggers.minOnlineAccuracy,
    );
    expect(at('serving', 'replicas')).toBe(PIPELINE_DEFAULTS.replicas);
    expect(at('serving', 'autoscaling', 'maxReplicas')).toBe(
      PIPELINE_DEFAULTS.autoscaling.maxReplicas,
    );
    expect(at('serving', 'autoscaling', 'targetCPUUtilization')).toBe(
      PIPELINE_DEFAULTS.autoscaling.targetCPUUtilization,
    );
  });
});

describe('names', () => {
  it('are stable DNS labels of at most 63 characters, hashed when too long', () => {
    expect(names.inference('support-emea')).toBe('support-emea-inference');
    const long = names.canaryDeployment('a'.repeat(50), 'support-emea-v12345678');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toBe(names.canaryDeployment('a'.repeat(50), 'support-emea-v12345678'));
    expect(long).not.toBe(names.canaryDeployment('a'.repeat(50), 'support-emea-v12345679'));
    expect(dnsLabel('Team_A', 'Pipeline')).toBe('team-a-pipeline');
  });
});

describe('builders', () => {
  it('schedule the jobs, never suspended', () => {
    expect(buildCronWorkflow(owner, spec, 'retrain').spec.schedules).toEqual(['0 3 * * 0']);
    expect(buildCronWorkflow(owner, spec, 'retrain').spec.suspend).toBe(false);
  });

  it('run the inference server non-root on a read-only root filesystem, owned by the pipeline', () => {
    const deployment = buildInferenceDeployment(owner, spec, {
      name: 'support-emea-v1',
      artifactUri: 'mlflow-artifacts:/1/r/artifacts/bundle',
      subset: 'stable',
    });
    const pod = deployment.spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.containers[0]!.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(deployment.metadata!.ownerReferences![0]).toMatchObject({
      kind: 'InquiryPipeline',
      controller: true,
    });
    expect(deployment.spec!.replicas).toBe(2);
    expect(pod.containers[0]!.env).toContainEqual({
      name: 'NODE_OPTIONS',
      value: '--max-old-space-size=128 --max-semi-space-size=8',
    });
  });

  it('sizes the inference server heap from its memory limit', () => {
    expect(inferenceNodeOptions('512Mi')).toBe('--max-old-space-size=128 --max-semi-space-size=8');
    expect(inferenceNodeOptions('1Gi')).toBe('--max-old-space-size=256 --max-semi-space-size=8');
    expect(inferenceNodeOptions('1G')).toBe('--max-old-space-size=238 --max-semi-space-size=8');
    expect(inferenceNodeOptions('128Mi')).toBe('--max-old-space-size=64 --max-semi-space-size=8');
    expect(inferenceNodeOptions(undefined)).toBeUndefined();
    expect(inferenceNodeOptions('lots')).toBeUndefined();
  });
});

describe("a candidate's replicas", () => {
  const replicasOf = (s: typeof spec, weight: number, shadow = false) =>
    buildInferenceDeployment(owner, s, {
      name: 'support-emea-v2',
      artifactUri: 'mlflow-artifacts:/1/r/artifacts/bundle',
      subset: 'canary',
      shadow,
      weight,
    }).spec!.replicas;
  const four = withDefaults({ ...spec, serving: { replicas: 4 } });

  it('follow its share of the requests: at least one, at most as many as stable', () => {
    expect([0, 10, 25, 26, 50, 75, 100].map((weight) => replicasOf(four, weight))).toEqual([
      1, 1, 1, 2, 2, 3, 4,
    ]);
    expect(replicasOf(four, 10, true)).toBe(4);
    const autoscaled = withDefaults({
      ...spec,
      serving: { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 9 } },
    });
    expect(replicasOf(autoscaled, 50)).toBe(2);
  });

  it('carry the weight they were sized for once available, so a step goes live with its pods', () => {
    for (const s of [spec, four, withDefaults({ ...spec, serving: { replicas: 3 } })])
      for (let weight = 0; weight <= 100; weight++)
        expect(canaryCapacity(s, canaryReplicas(s, { weight }))).toBeGreaterThanOrEqual(
          Math.max(1, weight),
        );
    expect([0, 1, 2, 3, 4, 5].map((available) => canaryCapacity(four, available))).toEqual([
      0, 25, 50, 75, 100, 100,
    ]);
  });
});

describe('the ingest step', () => {
  const ingest = (source: NonNullable<Parameters<typeof withDefaults>[0]['ingestion']>['source']) =>
    buildCronWorkflow(owner, withDefaults({ ...spec, ingestion: { source } }), 'ingest').spec
      .workflowSpec;

  it('reads an S3 prefix with credentials from the named Secret', () => {
    const template = ingest({
      type: 's3',
      location: 's3://inquiries/incoming/',
      s3: {
        region: 'eu-west-1',
        endpoint: 'http://s3:7070',
        credentialsSecretRef: { name: 'keys' },
      },
      labels: ['category'],
    });
    const container = template.templates![0]!.container!;
    expect(container.args).toEqual([
      'ingest',
      '--s3',
      's3://inquiries/incoming/',
      '--s3-endpoint',
      'http://s3:7070',
      '--s3-region',
      'eu-west-1',
      '--labels',
      'category',
    ]);
    expect(container.env).toEqual(
      expect.arrayContaining([
        {
          name: 'AWS_ACCESS_KEY_ID',
          valueFrom: { secretKeyRef: { name: 'keys', key: 'AWS_ACCESS_KEY_ID' } },
        },
        {
          name: 'AWS_SECRET_ACCESS_KEY',
          valueFrom: { secretKeyRef: { name: 'keys', key: 'AWS_SECRET_ACCESS_KEY' } },
        },
      ]),
    );
  });

  it('mounts a file source’s volume read-only and reads the path inside it', () => {
    const fromClaim = ingest({
      type: 'file',
      location: '/exports/',
      volume: { persistentVolumeClaim: { claimName: 'exports' } },
    });
    expect(fromClaim.volumes).toContainEqual({
      name: 'source',
      persistentVolumeClaim: { claimName: 'exports', readOnly: true },
    });
    const container = fromClaim.templates![0]!.container!;
    expect(container.args).toEqual(['ingest', '--file', '/ingest/source/exports/']);
    expect(container.volumeMounts).toContainEqual({
      name: 'source',
      mountPath: '/ingest/source',
      readOnly: true,
    });
    const fromConfigMap = ingest({
      type: 'file',
      location: 'inquiries.csv',
      volume: { configMap: { name: 'seed-inquiries' } },
    });
    expect(fromConfigMap.volumes).toContainEqual({
      name: 'source',
      configMap: { name: 'seed-inquiries' },
    });
    expect(ingest({ type: 'file', location: '/data/x.csv' }).volumes).toEqual([
      { name: 'work', emptyDir: {} },
      { name: 'tmp', emptyDir: {} },
    ]);
  });

  const inference = (s: typeof spec, shadow?: boolean) =>
    buildInferenceDeployment(owner, s, {
      name: 'support-emea-v2',
      artifactUri: 'mlflow-artifacts:/1/r/artifacts/bundle',
      subset: 'canary',
      ...(shadow === undefined ? {} : { shadow }),
    }).spec!.template.spec!;
  const envOf = (pod: ReturnType<typeof inference>) =>
    Object.fromEntries(pod.containers[0]!.env!.map((v) => [v.name, v.value]));

  it("serve a RoutingPolicy's ConfigMap, or the image's default policy without one", () => {
    const withRef = inference({ ...spec, routingPolicyRef: { name: 'desk' } });
    expect(withRef.volumes!.find((v) => v.name === 'policy')?.configMap?.name).toBe('desk-routing');
    expect(envOf(withRef).ROUTING_POLICY_FILE).toBe(POLICY_FILE);
    const without = inference(spec);
    expect(without.volumes!.map((v) => v.name)).not.toContain('policy');
    expect(without.containers[0]!.volumeMounts!.map((m) => m.name)).not.toContain('policy');
    expect(envOf(without).ROUTING_POLICY_FILE).toBe(DEFAULT_POLICY_FILE);
  });

  it('point the default policy at the repository default the platform image copies', () => {
    const dockerfile = readFileSync(
      new URL('../../../docker/inference-server.Dockerfile', import.meta.url),
      'utf8',
    );
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const workdir = /^WORKDIR (\S+)$/m.exec(runtime)?.[1];
    expect(runtime).toMatch(/^COPY config \.\/config$/m);
    expect(DEFAULT_POLICY_FILE).toBe(`${workdir}/config/routing_rules.yaml`);
    const policy = parsePolicyYaml(
      readFileSync(new URL('../../../config/routing_rules.yaml', import.meta.url), 'utf8'),
    );
    expect(policy.spec.defaultDepartment).toBeTruthy();
  });

  it('mark a Shadow candidate so that its server stores nothing', () => {
    expect(envOf(inference(spec, true)).SERVING_ROLE).toBe('shadow');
    expect(envOf(inference(spec, false)).SERVING_ROLE).toBeUndefined();
    expect(envOf(inference(spec)).SERVING_ROLE).toBeUndefined();
  });

  it("run pods as the namespace's ServiceAccounts, the Workflow one bound to the chart's role", () => {
    const [inferenceAccount, workflowAccount, binding] = buildNamespaceIdentities('inquiries');
    expect(inference(spec).serviceAccountName).toBe(inferenceAccount.metadata!.name);
    expect(inferenceAccount.automountServiceAccountToken).toBe(false);
    expect(inference(spec).automountServiceAccountToken).toBe(false);
    expect(buildCronWorkflow(owner, spec, 'retrain').spec.workflowSpec.serviceAccountName).toBe(
      workflowAccount.metadata!.name,
    );
    // Shared by the namespace's pipelines: no pipeline owns them (or names them).
    for (const identity of [inferenceAccount, workflowAccount, binding]) {
      expect(identity.metadata!.namespace).toBe('inquiries');
      expect(identity.metadata!.ownerReferences).toBeUndefined();
      expect(Object.keys(identity.metadata!.labels!)).not.toContain(LABELS.pipeline);
      expect(isNamespaceIdentity(identity)).toBe(true);
      expect(isRetiredIdentity(identity, owner.metadata.name)).toBe(false);
    }
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: WORKFLOW_CLUSTER_ROLE,
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: workflowAccount.metadata!.name, namespace: 'inquiries' },
    ]);
    // What an earlier operator gave each pipeline is retired; other objects are neither.
    const owned = { ownerReferences: [{ kind: 'InquiryPipeline', name: owner.metadata.name }] };
    const legacy = { kind: 'ServiceAccount', metadata: { name: 'support-workflows', ...owned } };
    expect(isRetiredIdentity(legacy, owner.metadata.name)).toBe(true);
    expect(isRetiredIdentity(legacy, 'other')).toBe(false);
    expect(isRetiredIdentity(legacy)).toBe(true);
    expect(isNamespaceIdentity(legacy)).toBe(false);
    const service = { kind: 'Service', metadata: { name: 'inquiry-workflows', ...owned } };
    expect(isRetiredIdentity(service, owner.metadata.name)).toBe(false);
    expect(isNamespaceIdentity({ ...service, metadata: { name: 'inquiry-workflows' } })).toBe(
      false,
    );
    expect(
      isNamespaceIdentity({ kind: 'RoleBinding', metadata: { name: 'inquiry-inference' } }),
    ).toBe(false);
    const chartRole = parse(
      readFileSync(
        new URL('../../../charts/inquiry-platform/templates/workflow-rbac.yaml', import.meta.url),
        'utf8',
      ).replace(/\{\{[^}]*\}\}/g, ''),
    ) as { metadata: { name: string } };
    expect(chartRole.metadata.name).toBe(WORKFLOW_CLUSTER_ROLE);
  });
});
