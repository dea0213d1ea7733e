import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ConsultantAssigner, route, type RoutingInput } from './engine.js';
import {
  parsePolicyYaml,
  PolicyError,
  policyLabels,
  policyOptionsFromEnv,
  resolvePolicy,
} from './policy.js';
import { combineUrgency, detectUrgency, URGENCY_LEVELS } from './urgency.js';

const policy = parsePolicyYaml(
  readFileSync(new URL('../../config/routing_rules.yaml', import.meta.url), 'utf8'),
);
const noConsultant = (): null => null;

function input(overrides: Partial<RoutingInput> = {}): RoutingInput {
  return {
    category: { label: 'billing', confidence: 0.9 },
    sentiment: { label: 'neutral', confidence: 0.9 },
    urgency: { label: 'medium', confidence: 0.8, source: 'model', matchedTerms: [] },
    text: 'Invoice question',
    senderEmail: 'ann@example.com',
    receivedAt: new Date('2026-01-01T10:00:00Z'),
    ...overrides,
  };
}

describe('detectUrgency and combineUrgency', () => {
  it('finds explicit cues, reports the matched terms, and takes the most urgent', () => {
    expect(detectUrgency('Production is down, we need help ASAP')).toEqual({
      level: 'critical',
      matchedTerms: ['production is down', 'asap'],
    });
    expect(detectUrgency('No rush, just FYI')).toEqual({
      level: 'low',
      matchedTerms: ['no rush', 'fyi'],
    });
    expect(detectUrgency('Question about our plan')).toEqual({ level: null, matchedTerms: [] });
  });

  it('lets explicit words raise the model, never lower it', () => {
    const model = { label: 'medium', confidence: 0.6 };
    expect(combineUrgency(model, detectUrgency('our site is down'))).toMatchObject({
      label: 'critical',
      source: 'model+rules',
    });
    expect(
      combineUrgency({ label: 'critical', confidence: 0.9 }, detectUrgency('no rush')),
    ).toMatchObject({ label: 'critical', source: 'model' });
    expect(combineUrgency(undefined, detectUrgency('please answer asap'))).toMatchObject({
      label: 'high',
      source: 'rules',
    });
    expect(combineUrgency(undefined, detectUrgency('hello'))).toMatchObject({
      label: 'medium',
      source: 'rules',
    });
  });
});

describe('route', () => {
  it('maps the category to its department, scores priority and sets the SLA due time', () => {
    const decision = route(input(), policy, new ConsultantAssigner().assign);
    expect(decision).toMatchObject({
      department: 'finance',
      queue: 'finance',
      priorityScore: 46, // medium 45 + neutral 0 + 10 × (1 − 0.9)
      priorityBand: 'medium',
      escalated: false,
      rule: null,
      consultantPool: 'billing-team',
      triaged: false,
    });
    expect(decision.slaDueAt.toISOString()).toBe('2026-01-02T10:00:00.000Z');
    expect(['bt-01', 'bt-02']).toContain(decision.consultant);
  });

  it('fires the first matching escalation rule and names it', () => {
    const legal = route(
      input({ text: 'We will take legal action against you' }),
      policy,
      noConsultant,
    );
    expect(legal).toMatchObject({
      department: 'legal',
      escalated: true,
      rule: 'legal-threat',
      consultantPool: 'senior-counsel',
    });
    const outage = route(
      input({
        category: { label: 'technical_support', confidence: 0.95 },
        sentiment: { label: 'negative', confidence: 0.9 },
        urgency: { label: 'critical', confidence: 0.9, source: 'model', matchedTerms: [] },
      }),
      policy,
      noConsultant,
    );
    expect(outage).toMatchObject({
      department: 'technical_support',
      rule: 'critical-outage',
      priorityScore: 100,
      priorityBand: 'critical',
    });
    // A subdomain counts, and case does not (senders are stored as written).
    for (const senderEmail of ['cfo@eu.bigcorp-enterprise.com', 'CFO@BigCorp-Enterprise.COM']) {
      const sentiment = { label: 'negative', confidence: 0.8 };
      const vip = route(input({ sentiment, senderEmail }), policy, noConsultant);
      expect([senderEmail, vip.rule]).toEqual([senderEmail, 'angry-enterprise-customer']);
    }
    expect(route(input({ text: 'we pursue a refund' }), policy, noConsultant).rule).toBeNull();
  });

  it('sends doubtful inquiries to human triage unless a rule decides', () => {
    const doubtful = route(
      input({ category: { label: 'sales', confidence: 0.3 } }),
      policy,
      noConsultant,
    );
    expect(doubtful).toMatchObject({
      triaged: true,
      queue: 'human-triage',
      department: 'sales',
      consultant: null,
    });
    const escalated = route(
      input({ category: { label: 'sales', confidence: 0.3 }, text: 'my attorney will call' }),
      policy,
      noConsultant,
    );
    expect(escalated).toMatchObject({ triaged: false, rule: 'legal-threat' });
    expect(
      route(input({ category: { label: 'unknown_topic', confidence: 0.99 } }), policy, noConsultant)
        .department,
    ).toBe('customer-service');
  });

  it('keeps the decision within bounds whatever the classification', () => {
    const label = fc.constantFrom(
      'billing',
      'sales',
      'legal',
      'hr',
      'technical_support',
      'product_feedback',
      'other',
    );
    fc.assert(
      fc.property(
        fc.record({
          category: fc.option(
            fc.record({ label, confidence: fc.double({ min: 0, max: 1, noNaN: true }) }),
            { nil: undefined },
          ),
          sentiment: fc.option(
            fc.record({
              label: fc.constantFrom('negative', 'neutral', 'positive', 'weird'),
              confidence: fc.double({ min: 0, max: 1, noNaN: true }),
            }),
            { nil: undefined },
          ),
          urgency: fc.record({
            label: fc.constantFrom(...URGENCY_LEVELS),
            confidence: fc.double({ min: 0, max: 1, noNaN: true }),
            source: fc.constant('model' as const),
            matchedTerms: fc.constant<string[]>([]),
          }),
          text: fc.string(),
          senderEmail: fc.emailAddress(),
          receivedAt: fc.date({
            min: new Date('2020-01-01'),
            max: new Date('2030-01-01'),
            noInvalidDate: true,
          }),
        }),
        (generated) => {
          const decision = route(generated, policy, new ConsultantAssigner().assign);
          expect(decision.priorityScore).toBeGreaterThanOrEqual(0);
          expect(decision.priorityScore).toBeLessThanOrEqual(100);
          expect(Number.isInteger(decision.priorityScore)).toBe(true);
          expect(decision.department).not.toBe('');
          expect(decision.slaDueAt.getTime()).toBeGreaterThan(generated.receivedAt.getTime());
          const band = policy.sla.find((b) => b.band === decision.priorityBand)!;
          expect(decision.priorityScore).toBeGreaterThanOrEqual(band.minScore);
          if (decision.consultant)
            expect(policy.pools.get(decision.consultantPool!)).toContain(decision.consultant);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('ConsultantAssigner', () => {
  it('gives work to the least loaded consultant, round robin among equals', () => {
    const assigner = new ConsultantAssigner(
      new Map([
        ['a', 2],
        ['b', 0],
        ['c', 0],
      ]),
    );
    const picks = Array.from({ length: 6 }, () => assigner.assign('pool', ['a', 'b', 'c']));
    expect(picks).toEqual(['b', 'c', 'b', 'c', 'a', 'b']);
    expect(assigner.assign('empty', [])).toBeNull();
  });
});

describe('the default policy (config/routing_rules.yaml)', () => {
  it('routes to the original system’s departments, and critical negative inquiries to escalation', () => {
    const departments = [
      'technical_support',
      'billing',
      'sales',
      'hr',
      'legal',
      'product_feedback',
    ].map(
      (label) =>
        route(input({ category: { label, confidence: 0.9 } }), policy, noConsultant).department,
    );
    expect(departments).toEqual([
      'technical_support',
      'finance',
      'sales',
      'hr',
      'legal',
      'product_management',
    ]);
    const critical = route(
      input({
        category: { label: 'sales', confidence: 0.9 },
        sentiment: { label: 'negative', confidence: 0.9 },
        urgency: { label: 'critical', confidence: 0.9, source: 'model', matchedTerms: [] },
      }),
      policy,
      noConsultant,
    );
    expect(critical).toMatchObject({
      department: 'escalation',
      rule: 'critical-negative',
      escalated: true,
    });
  });

  it('leaves the triage threshold to CONFIDENCE_THRESHOLD', () => {
    expect(policy.spec.triage?.confidenceBelow).toBeUndefined();
    expect(policy.triage.confidenceBelow).toBe(0.7);
  });
});

describe('sender domains', () => {
  const bookshop = resolvePolicy({
    defaultDepartment: 'desk',
    escalationRules: [
      { name: 'bookshop', when: { senderDomains: ['bücher.de'] }, then: { escalate: true } },
      { name: 'shop', when: { senderDomains: ['xn--4rr70v'] }, then: { priorityBoost: 5 } },
    ],
  });

  it.each([
    ['jörg@bücher.de', 'bookshop'],
    ['jörg@BÜCHER.DE', 'bookshop'],
    ['jorg@xn--bcher-kva.de', 'bookshop'],
    ['jörg@lager.bücher.de', 'bookshop'],
    ['用户@例子.广告', 'shop'],
    ['jörg@bucher.de', null],
    ['jörg@xbücher.de', null],
  ])('matches %j written in Unicode or punycode: rule %s', (senderEmail, rule) => {
    expect(route(input({ senderEmail }), bookshop, noConsultant).rule).toBe(rule);
  });
});

describe('policyLabels', () => {
  it('names the categories a policy routes and the urgencies and sentiments it scores', () => {
    const withWarranty = resolvePolicy({
      defaultDepartment: 'customer-service',
      departments: [
        { category: 'billing', department: 'finance' },
        { category: 'warranty', department: 'aftersales' },
      ],
    });
    expect(policyLabels(withWarranty, 'category')).toEqual(['billing', 'warranty']);
    expect(policyLabels(withWarranty, 'urgency').sort()).toEqual([
      'critical',
      'high',
      'low',
      'medium',
    ]);
    expect(policyLabels(withWarranty, 'sentiment')).toContain('negative');
    expect(policyLabels(withWarranty, 'department')).toEqual([]);
  });
});

describe('resolvePolicy', () => {
  it('applies the defaults', () => {
    const minimal = resolvePolicy({ defaultDepartment: 'desk' });
    expect(minimal.sla.map((b) => b.band)).toEqual(['critical', 'high', 'medium', 'low']);
    expect(minimal.triage).toEqual({ confidenceBelow: 0.7, queue: 'human-triage' });
    expect(minimal.version).toMatch(/^[0-9a-f]{8}$/);
  });

  it('takes the triage threshold from the policy, else CONFIDENCE_THRESHOLD, else 0.7', () => {
    const fromEnv = policyOptionsFromEnv({ CONFIDENCE_THRESHOLD: '0.85' });
    expect(fromEnv).toEqual({ triageConfidenceBelow: 0.85 });
    const unset = resolvePolicy({ defaultDepartment: 'desk' }, fromEnv);
    expect(unset.triage.confidenceBelow).toBe(0.85);
    expect(unset.version).not.toBe(resolvePolicy({ defaultDepartment: 'desk' }).version);
    const set = resolvePolicy(
      { defaultDepartment: 'desk', triage: { confidenceBelow: 0.4 } },
      fromEnv,
    );
    expect(set.triage.confidenceBelow).toBe(0.4);
    expect(policyOptionsFromEnv({})).toEqual({});
    expect(() => policyOptionsFromEnv({ CONFIDENCE_THRESHOLD: '70%' })).toThrow(
      /CONFIDENCE_THRESHOLD must be a number from 0 to 1, not "70%"/,
    );
    const doubtful = input({ category: { label: 'billing', confidence: 0.8 } });
    expect(route(doubtful, unset, noConsultant).triaged).toBe(true);
    expect(route(doubtful, set, noConsultant).triaged).toBe(false);
  });

  it('refuses what the CRD schema refuses, and references that do not resolve', () => {
    expect(() => resolvePolicy({})).toThrow(PolicyError);
    expect(() =>
      resolvePolicy({ defaultDepartment: 'x', priority: { urgency: { critical: 400 } } }),
    ).toThrow(/priority\.urgency\.critical must be <= 100/);
    expect(() =>
      resolvePolicy({
        defaultDepartment: 'x',
        departments: [{ category: 'a', department: 'b', consultantPool: 'ghost' }],
      }),
    ).toThrow(/consultant pool "ghost", which is not defined/);
    expect(() =>
      resolvePolicy({
        defaultDepartment: 'x',
        escalationRules: [{ name: 'r', when: {}, then: {} }],
      }),
    ).toThrow(/has no condition/);
    expect(() =>
      resolvePolicy({
        defaultDepartment: 'x',
        sla: [{ band: 'only', minScore: 10, responseMinutes: 5 }],
      }),
    ).toThrow(/minScore 0/);
    expect(() => parsePolicyYaml('defaultDepartment: [unclosed')).toThrow(/not valid YAML/);
  });

  it('reads a whole RoutingPolicy resource as well as a bare spec', () => {
    const resource = parsePolicyYaml(
      'apiVersion: inquiries.mlops.io/v1alpha1\nkind: RoutingPolicy\nmetadata: {name: p}\nspec: {defaultDepartment: desk}\n',
    );
    expect(resource.spec.defaultDepartment).toBe('desk');
  });
});
