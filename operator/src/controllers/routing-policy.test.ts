import { previewFromWorkflow } from './routing-policy.js';

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
