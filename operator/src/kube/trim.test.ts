import { revisionExceptReplicas, revisionOf } from './revision.js';
import { identityAndProgress, withoutManagedFields } from './trim.js';

const workflow = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: {
    name: 'support-ingest-1',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion: '42',
    generation: 2,
    labels: { 'inquiries.mlops.io/job': 'ingest' },
    ownerReferences: [{ apiVersion: 'v1', kind: 'CronWorkflow', name: 'c', uid: 'u0' }],
    managedFields: [{ manager: 'workflow-controller' }],
    annotations: { big: 'x'.repeat(1000) },
  },
  spec: { templates: [{ name: 'ingest' }] },
  status: {
    phase: 'Succeeded',
    startedAt: '2026-11-25T01:00:00Z',
    finishedAt: '2026-11-25T01:05:00Z',
    nodes: { n1: { id: 'n1' } },
  },
};

describe('informer trims', () => {
  it('keep a Workflow identity, labels, owners and progress only', () => {
    expect(identityAndProgress(workflow)).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      revision: 'generation 2',
      metadata: {
        name: 'support-ingest-1',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '42',
        generation: 2,
        creationTimestamp: undefined,
        labels: { 'inquiries.mlops.io/job': 'ingest' },
        ownerReferences: workflow.metadata.ownerReferences,
      },
      status: {
        phase: 'Succeeded',
        startedAt: '2026-11-25T01:00:00Z',
        finishedAt: '2026-11-25T01:05:00Z',
      },
    });
  });

  it('keep the revision of the spec they drop, for kinds without a generation', () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'shop', uid: 'u2', resourceVersion: '7' },
      spec: { minReplicas: 2, maxReplicas: 8 },
      status: { currentReplicas: 2 },
    };
    const trimmed = identityAndProgress(hpa) as { revision?: string; spec?: unknown };
    expect(trimmed.spec).toBeUndefined();
    expect(trimmed.revision).toBe(revisionOf(hpa));
    expect(trimmed.revision).toMatch(/^content /);
  });

  it("keep a Deployment's revision but its replicas, which an autoscaler may own", () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'shop', uid: 'u3', generation: 2 },
      spec: { replicas: 2, selector: {}, template: { spec: { containers: [] } } },
    };
    const trimmed = identityAndProgress(deployment);
    expect(trimmed).toMatchObject({ revision: 'generation 2' });
    expect(revisionExceptReplicas(trimmed)).toBe(revisionExceptReplicas(deployment));
    expect(identityAndProgress(workflow)).not.toHaveProperty('exceptReplicas');
  });

  it('drop only managedFields from our own resources', () => {
    const trimmed = withoutManagedFields(workflow);
    expect(trimmed.metadata).not.toHaveProperty('managedFields');
    expect(trimmed).toMatchObject({ spec: workflow.spec, status: workflow.status });
    const plain = { apiVersion: 'v1', kind: 'X', metadata: { name: 'n' } };
    expect(withoutManagedFields(plain)).toBe(plain);
  });
});
