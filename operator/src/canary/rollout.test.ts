import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ModelVersionSpec } from '../../../crds/generated/modelversions.js';
import { describeMatch, planRollout, ROLLOUT_DEFAULTS, type RolloutPlan } from './rollout.js';

const base: ModelVersionSpec = { pipeline: 'support-emea', model: { name: 'clf', version: '7' } };

function planOf(rollout: ModelVersionSpec['rollout']): RolloutPlan {
  const outcome = planRollout({ ...base, rollout });
  if (!outcome.ok) throw new Error(outcome.problem);
  return outcome.plan;
}

function problemOf(rollout: unknown): string {
  const outcome = planRollout({ ...base, rollout: rollout as ModelVersionSpec['rollout'] });
  if (outcome.ok) throw new Error('expected the rollout to be refused');
  return outcome.problem;
}

describe('ROLLOUT_DEFAULTS', () => {
  it('agrees with the defaults in the CRD schema', () => {
    type Node = { default?: unknown; properties?: Record<string, Node>; items?: Node };
    const crd = parse(
      readFileSync(new URL('../../../crds/modelversions.yaml', import.meta.url), 'utf8'),
    ) as {
      spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Node } } } }[] };
    };
    const rollout =
      crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties!.rollout!;
    const props = rollout.properties!;
    const analysis = props.analysis!.properties!;
    expect(rollout.default).toEqual(ROLLOUT_DEFAULTS.rollout);
    expect(props.strategy!.default).toBe(ROLLOUT_DEFAULTS.strategy);
    expect(props.steps!.items!.properties!.pause!.default).toBe(ROLLOUT_DEFAULTS.stepPause);
    expect(analysis.interval!.default).toBe(ROLLOUT_DEFAULTS.interval);
    expect(analysis.failureLimit!.default).toBe(ROLLOUT_DEFAULTS.failureLimit);
    expect(analysis.metrics!.items!.properties!.minSamples!.default).toBe(
      ROLLOUT_DEFAULTS.minSamples,
    );
  });
});

describe('planRollout', () => {
  it('uses the default Canary when spec.rollout is absent', () => {
    expect(planOf(undefined)).toEqual({
      strategy: 'Canary',
      steps: [
        { weight: 10, pause: '5m', pauseMs: 300_000 },
        { weight: 50, pause: '5m', pauseMs: 300_000 },
      ],
      match: [],
      interval: '1m',
      intervalMs: 60_000,
      failureLimit: 2,
      metrics: ROLLOUT_DEFAULTS.rollout.analysis?.metrics,
      scaleDownDelayMs: 120_000,
      progressDeadlineMs: 1_800_000,
    });
  });

  it('fills in each missing field of a given rollout', () => {
    const plan = planOf({ steps: [{ weight: 20 }, { weight: 60, pause: '1h30m' }] });
    expect(plan.strategy).toBe('Canary');
    expect(plan.steps.map((s) => s.pauseMs)).toEqual([300_000, 5_400_000]);
    expect(plan.intervalMs).toBe(60_000);
    expect(plan.failureLimit).toBe(2);
    expect(plan.metrics).toEqual([]);
  });

  it('gives a Shadow without steps one step of 5m, and a Shadow no live traffic', () => {
    expect(planOf({ strategy: 'Shadow' }).steps).toEqual([
      { weight: 0, pause: '5m', pauseMs: 300_000 },
    ]);
    expect(
      planOf({ strategy: 'Shadow', steps: [{ weight: 10, pause: '30s' }, { weight: 50 }] }).steps,
    ).toEqual([
      { weight: 0, pause: '30s', pauseMs: 30_000 },
      { weight: 0, pause: '5m', pauseMs: 300_000 },
    ]);
  });

  it('gives Immediate no steps', () => {
    expect(planOf({ strategy: 'Immediate', steps: [{ weight: 10 }] }).steps).toEqual([]);
  });

  it('refuses what the API server would refuse, saying what is wrong', () => {
    expect(problemOf({ strategy: 'Canary' })).toBe('a Canary rollout needs at least one step');
    expect(problemOf({ steps: [{ weight: 50 }, { weight: 50 }] })).toBe(
      'canary step weights must be strictly increasing',
    );
    expect(problemOf({ steps: [{ weight: 0 }] })).toBe(
      'canary step 1 has weight 0, which sends the candidate nothing without rollout.match: add a match (A/B routing) or use a weight of 1 to 100',
    );
    expect(problemOf({ steps: [{ weight: 101 }] })).toBe(
      'canary step 1 has weight 101; use 0 to 100',
    );
    expect(problemOf({ steps: [{ weight: 10, pause: '5 minutes' }] })).toMatch(
      /^invalid duration "5 minutes"/,
    );
    expect(problemOf({ steps: [{ weight: 10 }], analysis: { interval: '1d' } })).toMatch(
      /^invalid duration "1d"/,
    );
    expect(problemOf({ strategy: 'BlueGreen' })).toBe(
      'unknown rollout strategy "BlueGreen"; use Canary, Immediate or Shadow',
    );
  });
});

describe('planRollout: A/B match', () => {
  const steps = [{ weight: 0, pause: '10m' }, { weight: 20 }];
  const header = { name: 'x-canary', exact: 'insider' };

  it('normalizes the match: headers sorted by name, only the comparison given, empty lists dropped', () => {
    const plan = planOf({
      steps,
      match: [
        { headers: [{ name: 'x-tenant', prefix: 'acme-' }, header] },
        { headers: [], cookie: { name: 'canary', value: 'always' } },
      ],
    });
    expect(plan.match).toEqual([
      { headers: [header, { name: 'x-tenant', prefix: 'acme-' }] },
      { cookie: { name: 'canary', value: 'always' } },
    ]);
    expect(plan.steps.map((s) => s.weight)).toEqual([0, 20]);
  });

  it('allows a step of weight 0 only with a match, and keeps weights strictly increasing', () => {
    expect(planOf({ steps: [{ weight: 0 }], match: [{ headers: [header] }] }).steps).toEqual([
      { weight: 0, pause: '5m', pauseMs: 300_000 },
    ]);
    expect(
      problemOf({ steps: [{ weight: 0 }, { weight: 0 }], match: [{ headers: [header] }] }),
    ).toBe('canary step weights must be strictly increasing');
  });

  it('refuses a match that would catch every request, or that Istio would read otherwise', () => {
    const refused = (match: unknown) => problemOf({ steps, match });
    expect(refused([{}])).toBe(
      'rollout.match entry 1 has no header and no cookie: it would match every request',
    );
    expect(refused([{ headers: [header] }, { headers: [] }])).toBe(
      'rollout.match entry 2 has no header and no cookie: it would match every request',
    );
    expect(refused([{ headers: [{ name: 'X-Canary', exact: 'a' }] }])).toBe(
      'rollout.match entry 1: header name "X-Canary" is not lowercase letters, digits and inner hyphens (e.g. x-canary)',
    );
    expect(refused([{ headers: [{ name: 'method', exact: 'GET' }] }])).toBe(
      'rollout.match entry 1: Istio ignores the header key method; use another header',
    );
    expect(refused([{ headers: [{ name: 'cookie', regex: '.*' }] }])).toBe(
      'rollout.match entry 1: match a cookie with cookie (name and value)',
    );
    expect(refused([{ headers: [{ name: 'x-a' }] }])).toBe(
      'rollout.match entry 1: header x-a needs exactly one of exact, prefix or regex',
    );
    expect(refused([{ headers: [{ name: 'x-a', exact: 'a', prefix: 'b' }] }])).toBe(
      'rollout.match entry 1: header x-a needs exactly one of exact, prefix or regex',
    );
    expect(refused([{ headers: [{ name: 'x-a', exact: '' }] }])).toBe(
      'rollout.match entry 1: header x-a needs exactly one of exact, prefix or regex',
    );
    expect(refused([{ headers: [header, { ...header, exact: 'other' }] }])).toBe(
      'rollout.match entry 1 names the header x-canary twice',
    );
    expect(refused([{ cookie: { name: 'can ary', value: 'x' } }])).toBe(
      'rollout.match entry 1: cookie name "can ary" is not letters, digits, _, . and -',
    );
    expect(refused([{ cookie: { name: 'canary', value: 'a;b' } }])).toBe(
      'rollout.match entry 1: cookie value "a;b" has a character outside letters, digits and _ . ~ + / = : @ -',
    );
  });

  it('checks a regex as RE2 would take it', () => {
    const withRegex = (regex: string) =>
      planRollout({ ...base, rollout: { steps, match: [{ headers: [{ name: 'x-a', regex }] }] } });
    expect(withRegex('(?i)^insider-[0-9]+$').ok).toBe(true);
    expect(withRegex('(?P<team>[a-z]+)-beta').ok).toBe(true);
    expect(withRegex('(unclosed')).toMatchObject({
      ok: false,
      problem: expect.stringMatching(
        /^rollout\.match entry 1: header x-a: regex "\(unclosed" does not compile \(.+\)$/,
      ) as unknown,
    });
    expect(withRegex('a(?!b)')).toEqual({
      ok: false,
      problem:
        'rollout.match entry 1: header x-a: regex "a(?!b)" uses a lookaround or a backreference, which RE2 (Istio\'s regex engine) does not have',
    });
    expect(withRegex('(a)\\1')).toMatchObject({ ok: false });
  });

  it('refuses a match on a Shadow or an Immediate rollout', () => {
    expect(problemOf({ strategy: 'Shadow', match: [{ headers: [header] }] })).toBe(
      "rollout.match routes requests to a Canary's candidate, not a Shadow's; remove match or use strategy Canary",
    );
    expect(problemOf({ strategy: 'Immediate', match: [{ headers: [header] }] })).toMatch(
      /not an Immediate's/,
    );
  });

  it('describes the match in words for events and conditions', () => {
    const plan = planOf({
      steps,
      match: [
        { headers: [header, { name: 'x-tenant', regex: 'acme|globex' }] },
        { headers: [{ name: 'x-beta', prefix: 'on' }] },
        { cookie: { name: 'canary', value: 'always' } },
      ],
    });
    expect(describeMatch(plan.match)).toBe(
      'header x-canary = "insider" and header x-tenant matching /acme|globex/ or header x-beta starting with "on" or cookie canary=always',
    );
  });
});
