import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { dnsLabel, names } from '../names.js';
import { PIPELINE_DEFAULTS, withDefaults } from './defaults.js';
import { buildInferenceDeployment } from './serving.js';
import { buildCronWorkflow, buildWorkflowTemplate } from './workflows.js';
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
  it('fan classify-batch out over the shards and branch retraining on should-retrain', () => {
    const classify = buildWorkflowTemplate(
      owner,
      { ...spec, classification: { ...spec.classification, shards: 4 } },
      'classify',
    );
    expect(JSON.stringify(classify.spec.templates)).toContain('"withSequence":{"count":"4"}');
    expect(JSON.stringify(classify.spec.templates)).toContain('{{inputs.parameters.shard}}/4');
    const retrain = JSON.stringify(buildWorkflowTemplate(owner, spec, 'retrain').spec.templates);
    expect(retrain).toContain('{{steps.should-retrain.exitCode}} == 0');
    expect(buildCronWorkflow(owner, spec, 'ingest').spec.suspend).toBe(true);
    expect(buildCronWorkflow(owner, spec, 'retrain').spec.schedules).toEqual(['0 3 * * 0']);
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
  });
});
