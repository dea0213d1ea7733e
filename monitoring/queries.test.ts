import { readFileSync, readdirSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import {
  dashboardQueries,
  interpolate,
  durationSeconds,
  ruleExpressions,
  secondsToDuration,
  timeMacros,
  withAlertForAtMost,
  type DashboardJson,
} from './queries.js';

const DASHBOARDS = new URL('./dashboards/', import.meta.url);
const dashboards = readdirSync(DASHBOARDS)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(new URL(file, DASHBOARDS), 'utf8')) as DashboardJson);
const rules = parseYaml(
  readFileSync(new URL('./rules/inquiry-platform.rules.yaml', import.meta.url), 'utf8'),
) as unknown;

const TIME = { rangeSeconds: 3600, intervalSeconds: 15, scrapeIntervalSeconds: 15 };

function syntaxErrorOf(expr: string): string | undefined {
  let error: string | undefined;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError && error === undefined) error = `at ${node.from}: ${expr}`;
    },
  });
  return error;
}

describe('time macros', () => {
  it('fill $__rate_interval as Grafana does: max(interval + scrape, 4 × scrape)', () => {
    expect(timeMacros(TIME)).toMatchObject({
      __rate_interval: '1m',
      __interval: '15s',
      __range: '1h',
      __range_s: '3600',
    });
    expect(timeMacros({ ...TIME, intervalSeconds: 120 }).__rate_interval).toBe('135s');
    expect(secondsToDuration(0.5)).toBe('500ms');
  });
});

describe('interpolate', () => {
  const variables = [
    { name: 'namespace', type: 'query', multi: true, includeAll: true, allValue: '.*' },
    {
      name: 'pod',
      type: 'query',
      multi: true,
      includeAll: true,
      options: [{ value: 'a' }, { value: 'b.1' }],
    },
    { name: 'single', type: 'custom', current: { value: "it's" } },
  ];
  const at = (query: string, selections = {}) => interpolate(query, variables, selections, TIME);

  it('puts allValue for All, and the options as alternatives when there is none', () => {
    expect(at('x{namespace=~"$namespace"}', { namespace: { all: true } })).toBe(
      'x{namespace=~".*"}',
    );
    expect(at('x{pod=~"${pod}"}', { pod: { all: true } })).toBe('x{pod=~"(a|b\\\\.1)"}');
  });

  it('joins several values into an escaped alternation, one value alone', () => {
    expect(at('x{namespace=~"[[namespace]]"}', { namespace: { values: ['a', 'b'] } })).toBe(
      'x{namespace=~"(a|b)"}',
    );
    expect(at('x{namespace=~"$namespace"}', { namespace: { values: ['team-a'] } })).toBe(
      'x{namespace=~"team-a"}',
    );
  });

  it('applies the formats and escapes a single value', () => {
    const two = { namespace: { values: ['a.b', 'c'] } };
    expect(at('${namespace:regex}', two)).toBe('(a\\.b|c)');
    expect(at('${namespace:pipe}', two)).toBe('a.b|c');
    expect(at('${namespace:csv}', two)).toBe('a.b,c');
    expect(at('[[namespace:raw]]', two)).toBe('a.b,c');
    expect(at('x{s="$single"}')).toBe('x{s="it\\\\\'s"}');
    expect(() => at('${namespace:sqlstring}', two)).toThrow(/sqlstring is not supported/);
  });

  it('fills macros, leaves unknown variables, and refuses All without values', () => {
    expect(at('rate(x[$__rate_interval]) and $unknown')).toBe('rate(x[1m]) and $unknown');
    expect(() =>
      interpolate(
        '$pod',
        [{ name: 'pod', type: 'query', includeAll: true }],
        { pod: { all: true } },
        TIME,
      ),
    ).toThrow(/All without an allValue/);
  });
});

describe('dashboard queries', () => {
  const all = dashboards.flatMap((dashboard) => dashboardQueries(dashboard, TIME));

  it('lists every target of every panel, rows included, and the annotations', () => {
    const expected = dashboards.flatMap((dashboard) => {
      const panels = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
      return panels.flatMap((p) => (p.targets ?? []).filter((t) => t.expr !== undefined));
    });
    expect(all.filter((q) => q.kind === 'panel')).toHaveLength(expected.length);
    expect(all.filter((q) => q.kind === 'annotation').map((q) => q.title)).toEqual([
      'Promotions',
      'Rollbacks',
    ]);
  });

  it('leaves no variable or macro, and every query parses as PromQL', () => {
    for (const query of all) {
      expect({ query: query.expr, variable: /\$|\[\[/.test(query.expr) }).toEqual({
        query: query.expr,
        variable: false,
      });
      expect(syntaxErrorOf(query.expr)).toBeUndefined();
    }
  });

  it("takes the variables' saved selection (All) unless told otherwise", () => {
    const canary = dashboards.find((d) => d.uid === 'inquiry-canary')!;
    const weight = dashboardQueries(canary, TIME).find((q) => q.title === 'Canary weight')!;
    expect(weight.expr).toBe(
      'max by (namespace, pipeline, modelversion) (inquiry_operator_canary_weight{namespace=~".*",pipeline=~".*"})',
    );
    const scoped = dashboardQueries(canary, TIME, { namespace: { values: ['team-a'] } });
    expect(scoped.find((q) => q.title === 'Canary weight')!.expr).toContain('namespace=~"team-a"');
    const phase = dashboardQueries(canary, TIME).filter((q) => q.title === 'Current phase');
    expect(phase.map((q) => q.instant)).toEqual([true, true]);
  });
});

describe('rule expressions', () => {
  it('lists every alert and recording rule of a rule file and of a PrometheusRule', () => {
    const expressions = ruleExpressions(rules);
    expect(expressions.filter((r) => r.kind === 'alert').map((r) => r.name)).toContain(
      'InquiryInferenceServerDown',
    );
    expect(expressions.some((r) => r.kind === 'record')).toBe(true);
    for (const rule of expressions) expect(syntaxErrorOf(rule.expr)).toBeUndefined();
    expect(ruleExpressions({ kind: 'PrometheusRule', spec: rules })).toEqual(expressions);
    expect(() => ruleExpressions({ kind: 'ConfigMap' })).toThrow(/no list of groups/);
  });
});

describe('withAlertForAtMost', () => {
  it("shortens only the alerts' longer waits, and keeps their expressions", () => {
    const shortened = withAlertForAtMost(rules as Parameters<typeof withAlertForAtMost>[0], 10);
    const before = (rules as { groups: { rules: { alert?: string; for?: string }[] }[] }).groups
      .flatMap((g) => g.rules)
      .filter((r) => r.alert);
    const after = shortened.groups.flatMap((g) => g.rules ?? []).filter((r) => r.alert);
    expect(after.map((r) => r.alert)).toEqual(before.map((r) => r.alert));
    for (const [i, rule] of after.entries()) {
      const was = before[i]!.for;
      expect(rule.for).toBe(was === undefined || durationSeconds(was) <= 10 ? was : '10s');
    }
    expect(after.some((r) => r.for === '10s')).toBe(true);
    expect(after.find((r) => r.alert === 'InquiryCanaryRolledBack')!.for).toBe('0m');
    expect(ruleExpressions(shortened)).toEqual(ruleExpressions(rules));
  });

  it('reads Prometheus durations and refuses anything else', () => {
    expect(durationSeconds('5m')).toBe(300);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('500ms')).toBe(0.5);
    expect(() => durationSeconds('5 minutes')).toThrow(/not a Prometheus duration/);
    expect(() => durationSeconds('')).toThrow(/not a Prometheus duration/);
  });
});
