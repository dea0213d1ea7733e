import { revisionExceptReplicas, revisionOf } from './revision.js';
import { childIdentity, identityAndProgress, StringPool, withoutBookkeeping } from './trim.js';

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
    expect(identityAndProgress(structuredClone(workflow))).toEqual({
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

  it("keep a child's identity, owners and the revision of the spec they drop", () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {
        name: 'h',
        namespace: 'shop',
        uid: 'u2',
        resourceVersion: '7',
        labels: { 'app.kubernetes.io/managed-by': 'inquiry-operator' },
        ownerReferences: [
          { apiVersion: 'x/v1', kind: 'InquiryPipeline', name: 'p', uid: 'u0', controller: true },
        ],
      },
      spec: { minReplicas: 2, maxReplicas: 8 },
      status: { currentReplicas: 2 },
    };
    expect(childIdentity(hpa)).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      revision: revisionOf(hpa),
      metadata: {
        name: 'h',
        namespace: 'shop',
        uid: 'u2',
        resourceVersion: '7',
        ownerReferences: [{ kind: 'InquiryPipeline', name: 'p' }],
      },
    });
    expect(revisionOf(hpa)).toMatch(/^content /);
  });

  it("keep a Deployment's available replicas and its revision but its replicas", () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'shop', uid: 'u3', generation: 2 },
      spec: { replicas: 2, selector: {}, template: { spec: { containers: [] } } },
      status: { availableReplicas: 1, replicas: 2 },
    };
    const trimmed = childIdentity(deployment);
    expect(trimmed).toMatchObject({
      revision: 'generation 2',
      status: { availableReplicas: 1 },
    });
    expect(revisionExceptReplicas(trimmed)).toBe(revisionExceptReplicas(deployment));
    expect(identityAndProgress(structuredClone(workflow))).not.toHaveProperty('exceptReplicas');
  });

  it("drop managedFields and kubectl's last-applied copy from our own resources", () => {
    const pipeline = {
      ...structuredClone(workflow),
      metadata: {
        ...structuredClone(workflow.metadata),
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{}}',
          'inquiries.mlops.io/control': 'promote',
        },
      },
    };
    const trimmed = withoutBookkeeping(pipeline);
    expect(trimmed.metadata).not.toHaveProperty('managedFields');
    expect(trimmed.metadata?.annotations).toEqual({ 'inquiries.mlops.io/control': 'promote' });
    expect(trimmed).toMatchObject({ spec: workflow.spec, status: workflow.status });
    const plain = { apiVersion: 'v1', kind: 'X', metadata: { name: 'n' } };
    expect(withoutBookkeeping(plain)).toBe(plain);
  });
});

describe('StringPool', () => {
  it('keeps every value as it was, in place, and stays within its size', () => {
    const pool = new StringPool(3);
    const object = {
      metadata: { namespace: 'shop', uid: 'u1', resourceVersion: '9', creationTimestamp: 't' },
      list: ['a', 'b', { deep: 'c', n: 1, none: null }],
    };
    const copy = structuredClone(object);
    pool.internAll(object);
    expect(object).toEqual(copy);
    expect(pool.size).toBeLessThanOrEqual(3);
    // uids, resource versions and timestamps are unique to their object: never pooled.
    const fresh = new StringPool();
    fresh.internAll(copy.metadata);
    expect(fresh.size).toBe(1);
    expect(fresh.intern(7)).toBe(7);
  });
});
