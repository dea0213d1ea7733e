import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { route, type RoutingInput } from './engine.js';
import { convertOriginalRules } from './original-rules.js';
import { parsePolicyYaml, PolicyError, policySpecOf, resolvePolicy } from './policy.js';

const originalText = readFileSync(
  new URL('../../test/fixtures/original/routing_rules.yaml', import.meta.url),
  'utf8',
);
/** As ROUTING_POLICY_FILE reads it. */
const direct = parsePolicyYaml(originalText);
/** As `inquiry-pipeline convert-policy` writes it and a RoutingPolicy carries it. */
const converted = resolvePolicy(policySpecOf(parse(originalText)));
const noConsultant = (): null => null;

function inquiry(
  category: string,
  sentiment: string,
  urgency: 'critical' | 'high' | 'medium' | 'low',
): RoutingInput {
  return {
    category: { label: category, confidence: 0.95 },
    sentiment: { label: sentiment, confidence: 0.9 },
    urgency: { label: urgency, confidence: 0.9, source: 'model', matchedTerms: [] },
    text: 'A message',
    senderEmail: 'someone@example.com',
    receivedAt: new Date('2026-01-01T10:00:00Z'),
  };
}

describe('the original routing rules file', () => {
  const cases: [string, RoutingInput, { department: string; rule: string | null }][] = [
    [
      'critical_negative',
      inquiry('billing', 'negative', 'critical'),
      { department: 'escalation', rule: 'critical_negative' },
    ],
    [
      'urgent_legal',
      inquiry('legal', 'neutral', 'high'),
      { department: 'legal', rule: 'urgent_legal' },
    ],
    [
      'unhappy_billing',
      inquiry('billing', 'negative', 'high'),
      { department: 'finance', rule: 'unhappy_billing' },
    ],
    [
      'hot_sales_lead',
      inquiry('sales', 'positive', 'high'),
      { department: 'sales', rule: 'hot_sales_lead' },
    ],
  ];

  it.each(cases)('fires %s with its department and priority boost', (_, input, expected) => {
    const decision = route(input, direct, noConsultant);
    expect(decision).toMatchObject({ ...expected, escalated: true, triaged: false });
    const boost = direct.rules.find((r) => r.name === expected.rule)!.then.priorityBoost ?? 0;
    const unboosted = route(input, resolvePolicy({ defaultDepartment: 'x' }), noConsultant);
    expect(decision.priorityScore).toBe(Math.min(100, unboosted.priorityScore + boost));
  });

  it('maps each category through category_to_department when no rule fires', () => {
    const departments = Object.fromEntries(
      ['technical_support', 'billing', 'sales', 'hr', 'legal', 'product_feedback'].map((c) => [
        c,
        route(inquiry(c, 'neutral', 'low'), direct, noConsultant).department,
      ]),
    );
    expect(departments).toEqual({
      technical_support: 'technical_support',
      billing: 'finance',
      sales: 'sales',
      hr: 'hr',
      legal: 'legal',
      product_feedback: 'product_management',
    });
    expect(route(inquiry('unheard_of', 'neutral', 'low'), direct, noConsultant)).toMatchObject({
      department: 'customer-service',
      rule: null,
    });
  });

  it('decides the same read directly as converted into a RoutingPolicy spec', () => {
    for (const category of ['technical_support', 'billing', 'sales', 'hr', 'legal'])
      for (const sentiment of ['negative', 'neutral', 'positive'])
        for (const urgency of ['critical', 'high', 'medium', 'low'] as const) {
          const input = inquiry(category, sentiment, urgency);
          expect(route(input, converted, noConsultant)).toEqual(route(input, direct, noConsultant));
        }
  });

  it('refuses unknown keys, naming the key and the closest known one', () => {
    // The case: a default department added in the RoutingPolicy spelling.
    expect(() => parsePolicyYaml(`defaultDepartment: desk\n${originalText}`)).toThrow(
      /unknown key "defaultDepartment" at routing rules \(did you mean "default_department"\?/,
    );
    const misspelt = originalText.replace('priority_boost: 20', 'priorityboost: 20');
    expect(() => parsePolicyYaml(misspelt)).toThrow(
      /unknown key "priorityboost" at routing rules\.escalation_rules\.0\.action \(did you mean "priority_boost"\?/,
    );
    expect(
      convertOriginalRules({
        escalation_rules: [{ name: 'r', conditions: { urgncy: ['high'] }, action: {} }],
      }),
    ).toEqual({
      problems: [expect.stringMatching(/unknown key "urgncy" .*did you mean "urgency"/)],
    });
    expect(() => parsePolicyYaml(originalText.replace('[critical]', '[burning]'))).toThrow(
      PolicyError,
    );
  });
});

describe('unknown keys in the RoutingPolicy shape', () => {
  it('are refused with the closest known key, at every level', () => {
    expect(() => resolvePolicy({ defaultDepartment: 'x', departmnets: [] })).toThrow(
      /unknown key "departmnets" at spec \(did you mean "departments"\?/,
    );
    expect(() =>
      resolvePolicy({
        defaultDepartment: 'x',
        escalationRules: [{ name: 'r', when: { urgency: ['high'] }, then: { priority_boost: 5 } }],
      }),
    ).toThrow(
      /unknown key "priority_boost" at spec\.escalationRules\.0\.then \(did you mean "priorityBoost"\?/,
    );
    expect(() => resolvePolicy({ defaultDepartment: 'x', triage: { threshold: 0.6 } })).toThrow(
      /unknown key "threshold" at spec\.triage/,
    );
  });
});

describe('a RoutingPolicy spec carrying the original keys', () => {
  it('is refused with the RoutingPolicy names and the way to convert', () => {
    expect(() =>
      resolvePolicy({ defaultDepartment: 'x', category_to_department: { billing: 'finance' } }),
    ).toThrow(
      /unknown key "category_to_department" \(did you mean "departments"\?\).*inquiry-pipeline convert-policy/,
    );
  });
});
