import { revisionExceptReplicas, revisionOf } from './revision.js';

describe('revisionOf', () => {
  it('is the generation for kinds that keep one', () => {
    expect(revisionOf({ metadata: { generation: 3 }, spec: { a: 1 } })).toBe('generation 3');
  });

  it('hashes spec or data otherwise: status and key order do not count', () => {
    const hpa = { metadata: {}, spec: { minReplicas: 2, maxReplicas: 8 } };
    const withStatus = { ...hpa, status: { currentReplicas: 2 } };
    const reordered = { metadata: {}, spec: { maxReplicas: 8, minReplicas: 2 } };
    expect(revisionOf(withStatus)).toBe(revisionOf(hpa));
    expect(revisionOf(reordered)).toBe(revisionOf(hpa));
    expect(revisionOf({ metadata: {}, spec: { minReplicas: 3, maxReplicas: 8 } })).not.toBe(
      revisionOf(hpa),
    );
    expect(revisionOf({ data: { 'policy.yaml': 'a' } })).not.toBe(
      revisionOf({ data: { 'policy.yaml': 'b' } }),
    );
  });

  it("hashes a RoleBinding's binding and a ServiceAccount's token setting", () => {
    const binding = (role: string) => ({
      metadata: {},
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: 'p-workflows' }],
    });
    expect(revisionOf(binding('admin'))).not.toBe(revisionOf(binding('view')));
    expect(revisionOf({ metadata: {}, automountServiceAccountToken: false })).not.toBe(
      revisionOf({ metadata: {}, automountServiceAccountToken: true }),
    );
  });

  it("reads a trimmed copy's recorded revision", () => {
    expect(revisionOf({ metadata: {}, revision: 'content abc' })).toBe('content abc');
  });
});

describe('revisionExceptReplicas', () => {
  const deployment = (replicas: number, image = 'inference:1') => ({
    metadata: { generation: replicas },
    spec: { replicas, selector: {}, template: { spec: { containers: [{ image }] } } },
  });

  it("a workload's spec but its replica count; nothing for other objects", () => {
    expect(revisionExceptReplicas(deployment(2))).toBe(revisionExceptReplicas(deployment(1)));
    expect(revisionExceptReplicas(deployment(2))).not.toBe(
      revisionExceptReplicas(deployment(2, 'inference:2')),
    );
    expect(revisionExceptReplicas({ metadata: {}, spec: { minReplicas: 2 } })).toBeUndefined();
    expect(revisionExceptReplicas({ metadata: {}, exceptReplicas: 'content x' })).toBe('content x');
  });
});
