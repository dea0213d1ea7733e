import { pipelineObject } from '../../../test/fixtures.js';
import { MemoryKube } from '../kube/memory.js';
import type { RoutingPolicy } from '../resources.js';
import {
  boundPreview,
  MOVES_SHOWN,
  PREVIEWS_AT_ONCE,
  planPreviews,
  REPORTS_SHOWN,
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

describe('boundPreview', () => {
  const report = (
    pipeline: string,
    phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed',
    changed?: number,
  ) => ({
    pipeline,
    workflow: `desk-preview-1-${pipeline}`,
    phase,
    ...(changed === undefined ? {} : { sampled: 100, changed }),
  });

  it('shows every report in name order when they fit, with counts and sums', () => {
    const reports = [
      report('b', 'Succeeded', 3),
      report('a', 'Pending'),
      report('c', 'Succeeded', 5),
    ];
    expect(boundPreview(1, reports)).toEqual({
      generation: 1,
      counts: {
        pipelines: 3,
        pending: 1,
        running: 0,
        succeeded: 2,
        failed: 0,
        sampled: 200,
        changed: 8,
      },
      pipelines: [reports[1], reports[0], reports[2]],
    });
  });

  it('past the bound shows failures first, then the largest changes, then running, then pending', () => {
    const reports = [
      report('a', 'Pending'),
      report('b', 'Running'),
      report('c', 'Succeeded', 1),
      report('d', 'Failed'),
      report('e', 'Succeeded', 9),
      report('f', 'Failed'),
    ];
    const shown = (limit: number) =>
      boundPreview(1, reports, limit).pipelines!.map((p) => p.pipeline);
    expect(shown(2)).toEqual(['d', 'f']);
    expect(shown(3)).toEqual(['d', 'e', 'f']);
    expect(shown(5)).toEqual(['b', 'c', 'd', 'e', 'f']);
    expect(boundPreview(1, reports, 2).counts).toMatchObject({
      pipelines: 6,
      failed: 2,
      pending: 1,
    });
  });

  it('keeps the largest department moves of a report', () => {
    const moves = Array.from({ length: MOVES_SHOWN + 5 }, (_, i) => ({
      from: `d${i}`,
      to: 'legal',
      count: 100 - i,
    }));
    const value = JSON.stringify({
      sampled: 500,
      changed: 400,
      moves,
      escalationsGained: 0,
      escalationsLost: 0,
    });
    const preview = previewFromWorkflow('sales', 'w', {
      status: { phase: 'Succeeded', outputs: { parameters: [{ name: 'preview', value }] } },
    });
    expect(preview.moves).toEqual(moves.slice(0, MOVES_SHOWN));
  });
});

describe('reconcileRoutingPolicy', () => {
  const policy = {
    apiVersion: 'inquiries.mlops.io/v1alpha1',
    kind: 'RoutingPolicy',
    metadata: { name: 'desk', namespace: 'inquiries', uid: 'uid-desk', generation: 1 },
    spec: { defaultDepartment: 'front-desk' },
  } as RoutingPolicy;
  const users = Array.from({ length: REPORTS_SHOWN + 6 }, (_, i) => {
    const name = `p${String(i).padStart(2, '0')}`;
    return {
      ...pipelineObject(name, { routingPolicyRef: { name: 'desk' } }),
      metadata: { name, namespace: 'inquiries', uid: `uid-${name}`, generation: 1 },
    };
  });
  const now = new Date('2025-03-01T10:00:00.000Z');

  it("a fleet's previews: a few Workflows at a time, every user counted in status, a bounded few shown", async () => {
    const kube = new MemoryKube();
    kube.put(policy);
    await reconcileRoutingPolicy(kube, policy, users, now);
    const started = kube.list<{ metadata: { name: string } }>('Workflow');
    expect(started).toHaveLength(PREVIEWS_AT_ONCE);
    const status = kube.get<RoutingPolicy>('RoutingPolicy', 'inquiries', 'desk')!.status!;
    expect(status.preview?.pipelines).toHaveLength(REPORTS_SHOWN);
    expect(status.preview?.pipelines?.every((p) => p.phase === 'Pending')).toBe(true);
    expect(status.preview?.counts).toMatchObject({
      pipelines: users.length,
      pending: users.length,
    });

    // Two finish: the next two start.
    const previews = new Map<string, PreviewWorkflow>(
      started.map((w, i) => [w.metadata.name, { status: { phase: i < 2 ? 'Failed' : 'Running' } }]),
    );
    await reconcileRoutingPolicy(kube, { ...policy, status }, users, now, previews);
    expect(kube.list('Workflow')).toHaveLength(PREVIEWS_AT_ONCE + 2);
    const after = kube.get<RoutingPolicy>('RoutingPolicy', 'inquiries', 'desk')!.status!.preview!;
    expect(after.counts).toMatchObject({ failed: 2, running: PREVIEWS_AT_ONCE - 2 });
    expect(after.pipelines?.filter((p) => p.phase === 'Failed')).toHaveLength(2);
  });
});
