import { pipelineObject } from '../../../test/fixtures.js';
import { MemoryKube } from '../kube/memory.js';
import type { RoutingPolicy } from '../resources.js';
import {
  PREVIEWS_AT_ONCE,
  planPreviews,
  previewFromWorkflow,
  reconcileRoutingPolicy,
  type PreviewWorkflow,
} from './routing-policy.js';

describe('previewFromWorkflow', () => {
  it('is Pending until Argo has started the Workflow, then follows its phase', () => {
    expect(previewFromWorkflow('sales', 'desk-preview-2-sales', undefined)).toEqual({
      pipeline: 'sales',
      workflow: 'desk-preview-2-sales',
      phase: 'Pending',
    });
    expect(previewFromWorkflow('sales', 'w', { status: { phase: 'Running' } }).phase).toBe(
      'Running',
    );
  });

  it('copies the report of a Succeeded Workflow', () => {
    const report = {
      sampled: 40,
      changed: 2,
      moves: [{ from: 'finance', to: 'legal', count: 2 }],
      escalationsGained: 2,
      escalationsLost: 0,
      policyVersion: 'x',
    };
    expect(
      previewFromWorkflow('sales', 'w', {
        status: {
          phase: 'Succeeded',
          outputs: { parameters: [{ name: 'preview', value: JSON.stringify(report) }] },
        },
      }),
    ).toEqual({
      pipeline: 'sales',
      workflow: 'w',
      phase: 'Succeeded',
      sampled: 40,
      changed: 2,
      moves: [{ from: 'finance', to: 'legal', count: 2 }],
      escalationsGained: 2,
      escalationsLost: 0,
    });
  });

  it('reports a failed Workflow, or one without a readable report, as Failed with a reason', () => {
    expect(
      previewFromWorkflow('sales', 'w', {
        status: { phase: 'Failed', message: 'database unreachable' },
      }),
    ).toMatchObject({ phase: 'Failed', message: 'database unreachable' });
    expect(
      previewFromWorkflow('sales', 'w', {
        status: { phase: 'Succeeded', outputs: { parameters: [{ name: 'preview', value: '{' }] } },
      }),
    ).toMatchObject({ phase: 'Failed', message: 'the preview Workflow returned no report' });
  });
});

describe('planPreviews', () => {
  const users = ['c', 'a', 'd', 'b', 'e'];
  const workflow = (phase?: string) => ({ status: phase ? { phase } : {} });

  it('starts the first users in name order, at most so many at once', () => {
    const plan = planPreviews('desk', 3, users, new Map(), 2);
    expect(plan.start).toEqual(['a', 'b']);
    expect(plan.pipelines.map((p) => [p.pipeline, p.workflow, p.phase])).toEqual([
      ['a', 'desk-preview-3-a', 'Pending'],
      ['b', 'desk-preview-3-b', 'Pending'],
      ['c', 'desk-preview-3-c', 'Pending'],
      ['d', 'desk-preview-3-d', 'Pending'],
      ['e', 'desk-preview-3-e', 'Pending'],
    ]);
  });

  it('starts the next ones as earlier previews finish, whatever their outcome', () => {
    const running = new Map([
      ['desk-preview-3-a', workflow('Succeeded')],
      ['desk-preview-3-b', workflow('Running')],
      ['desk-preview-3-c', workflow('Error')],
    ]);
    expect(planPreviews('desk', 3, users, running, 2).start).toEqual(['d']);
    // A Workflow Argo has not picked up yet is unfinished too.
    running.set('desk-preview-3-d', workflow());
    expect(planPreviews('desk', 3, users, running, 2).start).toEqual([]);
  });

  it("counts only this generation's Workflows", () => {
    const older = new Map([
      ['desk-preview-2-a', workflow('Running')],
      ['desk-preview-2-b', workflow('Running')],
    ]);
    expect(planPreviews('desk', 3, users, older, 2).start).toEqual(['a', 'b']);
  });
});

describe('reconcileRoutingPolicy', () => {
  const policy = {
    apiVersion: 'inquiries.mlops.io/v1alpha1',
    kind: 'RoutingPolicy',
    metadata: { name: 'desk', namespace: 'inquiries', uid: 'uid-desk', generation: 1 },
    spec: { defaultDepartment: 'front-desk' },
  } as RoutingPolicy;
  const users = Array.from({ length: PREVIEWS_AT_ONCE + 4 }, (_, i) => {
    const name = `p${String(i).padStart(2, '0')}`;
    return {
      ...pipelineObject(name, { routingPolicyRef: { name: 'desk' } }),
      metadata: { name, namespace: 'inquiries', uid: `uid-${name}`, generation: 1 },
    };
  });
  const now = new Date('2025-03-01T10:00:00.000Z');

  it("a fleet's previews: a few Workflows at a time, every user in status", async () => {
    const kube = new MemoryKube();
    kube.put(policy);
    await reconcileRoutingPolicy(kube, policy, users, now);
    const started = kube.list<{ metadata: { name: string } }>('Workflow');
    expect(started).toHaveLength(PREVIEWS_AT_ONCE);
    const status = kube.get<RoutingPolicy>('RoutingPolicy', 'inquiries', 'desk')!.status!;
    expect(status.preview?.pipelines).toHaveLength(users.length);
    expect(status.preview?.pipelines?.every((p) => p.phase === 'Pending')).toBe(true);

    // Two finish: the next two start.
    const previews = new Map<string, PreviewWorkflow>(
      started.map((w, i) => [w.metadata.name, { status: { phase: i < 2 ? 'Failed' : 'Running' } }]),
    );
    await reconcileRoutingPolicy(kube, { ...policy, status }, users, now, previews);
    expect(kube.list('Workflow')).toHaveLength(PREVIEWS_AT_ONCE + 2);
  });
});
