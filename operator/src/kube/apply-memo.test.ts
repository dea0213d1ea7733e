import { APPLIED_HASH, ApplyMemo, lastApplyOf, stamped } from './apply-memo.js';
import { revisionExceptReplicas, revisionOf } from './revision.js';

type Meta = { uid?: string; generation?: number; resourceVersion?: string };

describe('ApplyMemo', () => {
  const template = (schedule: string) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: { namespace: 'ns', name: 'support-ingest' },
    spec: { schedules: [schedule] },
  });
  let cached: Meta | undefined;
  const memo = () => new ApplyMemo(() => (cached ? { metadata: cached } : undefined));

  it('skips an object applied before whose cluster copy has not changed since', () => {
    const applied = memo();
    cached = { uid: 'a', generation: 1, resourceVersion: '10' };
    expect(applied.unchanged(template('0 2 * * *'))).toBe(false);
    applied.remember(template('0 2 * * *'), { metadata: { uid: 'a', generation: 1 } });
    expect(applied.unchanged(template('0 2 * * *'))).toBe(true);
    // Status churn (a new resourceVersion, same generation) is not a change.
    cached = { uid: 'a', generation: 1, resourceVersion: '11' };
    expect(applied.unchanged(template('0 2 * * *'))).toBe(true);
  });

  it('applies what the operator wants differently, or what someone else changed or deleted', () => {
    const applied = memo();
    cached = { uid: 'a', generation: 1 };
    applied.remember(template('0 2 * * *'), { metadata: { uid: 'a', generation: 1 } });
    expect(applied.unchanged(template('0 3 * * *'))).toBe(false);
    cached = { uid: 'a', generation: 2 };
    expect(applied.unchanged(template('0 2 * * *'))).toBe(false);
    cached = { uid: 'b', generation: 1 };
    expect(applied.unchanged(template('0 2 * * *'))).toBe(false);
    cached = undefined;
    expect(applied.unchanged(template('0 2 * * *'))).toBe(false);
  });

  it("tells the operator's own writes from someone else's", () => {
    const applied = memo();
    applied.remember(template('0 2 * * *'), { metadata: { uid: 'a', generation: 2 } });
    const seen = (generation: number) => ({
      ...template('x'),
      metadata: { ...template('x').metadata, uid: 'a', generation },
    });
    expect(applied.producedByLastApply(seen(2))).toBe(true);
    expect(applied.producedByLastApply(seen(3))).toBe(false);
    expect(applied.producedByLastApply({ ...seen(2), kind: 'WorkflowTemplate' })).toBe(false);
  });

  it('compares the spec for kinds without a generation, not their status writes', () => {
    const hpa = (minReplicas: number) => ({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { namespace: 'ns', name: 'h' },
      spec: { minReplicas, maxReplicas: 8 },
    });
    let live: object | undefined;
    const applied = new ApplyMemo(() => live);
    const answer = {
      ...hpa(2),
      metadata: { namespace: 'ns', name: 'h', uid: 'a' },
      status: { currentReplicas: 1 },
    };
    applied.remember(hpa(2), answer);
    // The informer keeps a trimmed copy: identity and the revision of the spec it dropped.
    live = { metadata: { uid: 'a' }, revision: revisionOf(answer) };
    expect(applied.unchanged(hpa(2))).toBe(true);
    // The HPA controller rewrote the status: same revision, nothing to apply.
    const rescaled = { ...answer, status: { currentReplicas: 2 } };
    live = { metadata: { uid: 'a' }, revision: revisionOf(rescaled) };
    expect(applied.unchanged(hpa(2))).toBe(true);
    expect(applied.producedByLastApply(rescaled)).toBe(true);
    // Someone edited the spec.
    const edited = { ...answer, spec: { minReplicas: 5, maxReplicas: 8 } };
    live = { metadata: { uid: 'a' }, revision: revisionOf(edited) };
    expect(applied.unchanged(hpa(2))).toBe(false);
    expect(applied.producedByLastApply(edited)).toBe(false);
  });

  it("takes an autoscaler's scaling for its own, only where the operator left replicas unset", () => {
    const deployment = (spec: object, generation: number) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'ns', name: 'support-inference', uid: 'd', generation },
      spec: {
        selector: {},
        template: { spec: { containers: [{ image: 'inference:1' }] } },
        ...spec,
      },
    });
    const seen = (object: ReturnType<typeof deployment>) => ({
      revision: revisionOf(object),
      exceptReplicas: revisionExceptReplicas(object)!,
    });
    // The HPA scales 1 → 2: a new generation, the rest of the spec the same.
    const scaled = deployment({ replicas: 2 }, 2);
    const live = { metadata: { uid: 'd' }, revision: revisionOf(scaled) };
    const applied = new ApplyMemo(() => live);
    const desired = deployment({}, 0);
    applied.remember(desired, deployment({ replicas: 1 }, 1));
    expect(applied.producedByLastApply(scaled)).toBe(false);
    expect(applied.scaledByAutoscaler(scaled, seen(deployment({ replicas: 1 }, 1)))).toBe(true);
    expect(applied.unchanged(desired)).toBe(true);
    // Someone changes the image: a change to restore.
    const edited = deployment({ replicas: 2, template: { spec: { containers: [] } } }, 3);
    expect(applied.scaledByAutoscaler(edited, seen(scaled))).toBe(false);

    // Replicas the operator sets are its own: someone else's scaling is restored.
    const fixed = deployment({ replicas: 3 }, 0);
    applied.remember(fixed, deployment({ replicas: 3 }, 1));
    const scaledDown = deployment({ replicas: 1 }, 2);
    expect(applied.scaledByAutoscaler(scaledDown, seen(deployment({ replicas: 3 }, 1)))).toBe(
      false,
    );
  });

  it('forgets a deleted child, and an apply without an answer', () => {
    const applied = memo();
    cached = { uid: 'a', generation: 1 };
    applied.remember(template('0 2 * * *'), { metadata: { uid: 'a', generation: 1 } });
    applied.forget(template('anything'));
    expect(applied.size).toBe(0);
    applied.remember(template('0 2 * * *'), { metadata: { uid: 'a', generation: 1 } });
    applied.remember(template('0 2 * * *'), undefined);
    expect(applied.unchanged(template('0 2 * * *'))).toBe(false);
  });

  it('tells its own deletions once, and not those that did not happen', () => {
    const deletions = memo();
    cached = { uid: 'a', generation: 1 };
    deletions.remember(template('0 2 * * *'), { metadata: { uid: 'a', generation: 1 } });
    deletions.deleting(template('0 2 * * *'));
    expect(deletions.size).toBe(0);
    expect(deletions.deletedByOperator(template('0 2 * * *'))).toBe(true);
    // The next deletion of that name is someone else's.
    expect(deletions.deletedByOperator(template('0 2 * * *'))).toBe(false);
    deletions.deleting(template('0 2 * * *'));
    deletions.notDeleted(template('0 2 * * *'));
    expect(deletions.deletedByOperator(template('0 2 * * *'))).toBe(false);
  });
});

describe('after a restart', () => {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'ns', name: 'support-inference' },
    spec: { ports: [{ port: 80 }] },
  };
  const hash = stamped(service).metadata.annotations[APPLIED_HASH]!;
  const entry = (manager: string, time: string, fields: object, extra: object = {}) => ({
    manager,
    operation: manager === 'inquiry-operator' ? 'Apply' : 'Update',
    time,
    fieldsV1: fields,
    ...extra,
  });
  const applied = entry('inquiry-operator', '2026-12-01T10:00:00Z', { 'f:spec': {} });
  const cluster = (...managedFields: ReturnType<typeof entry>[]) => ({
    metadata: { annotations: { [APPLIED_HASH]: hash }, managedFields },
  });

  it('stamps what it applies with the hash of the object as built', () => {
    expect(stamped(service)).toEqual({
      ...service,
      metadata: { ...service.metadata, annotations: { [APPLIED_HASH]: hash } },
    });
    expect(hash).toMatch(/^[0-9a-f]{40}$/);
  });

  it("reads the last apply's hash from a copy no one else changed since", () => {
    expect(lastApplyOf(cluster(applied))).toBe(hash);
    // The deployment controller's revision annotation, a status write, an earlier edit.
    const annotation = entry('kube-controller-manager', '2026-12-01T10:05:00Z', {
      'f:metadata': { 'f:annotations': {} },
    });
    const status = entry(
      'kube-controller-manager',
      '2026-12-01T10:05:00Z',
      { 'f:status': {} },
      {
        subresource: 'status',
      },
    );
    const before = entry('kubectl-edit', '2026-12-01T09:00:00Z', { 'f:spec': {} });
    expect(lastApplyOf(cluster(applied, annotation, status, before))).toBe(hash);
  });

  it('reads nothing from a copy edited since, or without a hash; a scaling is told apart', () => {
    const edit = entry('kubectl-edit', '2026-12-01T10:00:00Z', { 'f:spec': {} });
    expect(lastApplyOf(cluster(applied, edit))).toBeUndefined();
    expect(lastApplyOf({ metadata: { managedFields: [applied] } })).toBeUndefined();
    const scale = entry(
      'kube-controller-manager',
      '2026-12-01T10:01:00Z',
      { 'f:spec': {} },
      {
        subresource: 'scale',
      },
    );
    expect(lastApplyOf(cluster(applied, scale))).toBe(`${hash} scaled`);
  });

  it('skips a child whose cluster copy carries what it would apply, and remembers it', () => {
    const live = { metadata: { uid: 's' }, revision: 'content x', lastApply: hash };
    const memo = new ApplyMemo(() => live);
    expect(memo.unchanged(service)).toBe(true);
    expect(memo.size).toBe(1);
    expect(memo.unchanged({ ...service, spec: { ports: [{ port: 81 }] } })).toBe(false);
    const scaled = new ApplyMemo(() => ({ ...live, lastApply: `${hash} scaled` }));
    expect(scaled.unchanged(service)).toBe(false);
  });
});
