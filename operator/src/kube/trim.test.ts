import { identityAndProgress, withoutManagedFields } from './trim.js';

const workflow = {
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Workflow',
  metadata: {
    name: 'support-ingest-1',
    namespace: 'shop',
    uid: 'u1',
    resourceVersion: '42',
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
      metadata: {
        name: 'support-ingest-1',
        namespace: 'shop',
        uid: 'u1',
        resourceVersion: '42',
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

  it('drop only managedFields from our own resources', () => {
    const trimmed = withoutManagedFields(workflow);
    expect(trimmed.metadata).not.toHaveProperty('managedFields');
    expect(trimmed).toMatchObject({ spec: workflow.spec, status: workflow.status });
    const plain = { apiVersion: 'v1', kind: 'X', metadata: { name: 'n' } };
    expect(withoutManagedFields(plain)).toBe(plain);
  });
});
