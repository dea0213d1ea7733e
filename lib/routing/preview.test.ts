import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { parsePolicyYaml } from './policy.js';
import { previewRouting, type StoredRouting } from './preview.js';

const policyText = readFileSync(
  new URL('../../config/routing_rules.yaml', import.meta.url),
  'utf8',
);
const current = parsePolicyYaml(policyText);

function stored(category: string, body: string, department: string, escalated: boolean) {
  return {
    inquiry: {
      subject: 'Question',
      body,
      sender_email: 'client@example.com',
      received_at: new Date('2026-11-20T10:00:00Z'),
    },
    classification: {
      category: { label: category, confidence: 0.95 },
      sentiment: { label: 'neutral', confidence: 0.9 },
      urgency: { label: 'low', confidence: 0.9 },
    },
    department,
    escalated,
  } satisfies StoredRouting;
}

describe('previewRouting', () => {
  const inquiries = [
    stored('billing', 'Where is my invoice?', 'finance', false),
    stored('billing', 'Refund please', 'finance', false),
    stored('sales', 'A quote for 50 seats', 'sales', false),
    stored('billing', 'Our attorney will take legal action', 'legal', true),
  ];

  it('reports nothing moving when the policy is the one that routed them', () => {
    expect(previewRouting(inquiries, current)).toMatchObject({
      sampled: 4,
      changed: 0,
      moves: [],
      escalationsGained: 0,
      escalationsLost: 0,
    });
  });

  it('counts department moves and escalations lost when a policy changes', () => {
    const changed = parse(policyText) as {
      departments: { category: string; department: string }[];
      escalationRules: { name: string }[];
    };
    changed.departments = changed.departments.map((d) =>
      d.category === 'billing' ? { ...d, department: 'accounts' } : d,
    );
    changed.escalationRules = changed.escalationRules.filter((r) => r.name !== 'legal-threat');
    const preview = previewRouting(inquiries, parsePolicyYaml(stringify(changed)));
    expect(preview).toMatchObject({
      sampled: 4,
      changed: 3,
      moves: [
        { from: 'finance', to: 'accounts', count: 2 },
        { from: 'legal', to: 'accounts', count: 1 },
      ],
      escalationsGained: 0,
      escalationsLost: 1,
    });
    expect(preview.policyVersion).not.toBe(previewRouting(inquiries, current).policyVersion);
  });

  it('counts escalations gained', () => {
    const calm = [stored('billing', 'We will sue you in court', 'finance', false)];
    expect(previewRouting(calm, current)).toMatchObject({
      changed: 1,
      moves: [{ from: 'finance', to: 'legal', count: 1 }],
      escalationsGained: 1,
    });
  });

  it('handles an empty sample', () => {
    expect(previewRouting([], current)).toEqual({
      sampled: 0,
      changed: 0,
      moves: [],
      escalationsGained: 0,
      escalationsLost: 0,
      policyVersion: '',
    });
  });
});
