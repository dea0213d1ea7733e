/**
 * The dashboards and alert rules against the code that feeds them: every dashboard is a valid
 * Grafana dashboard bound to a Prometheus datasource variable, every alert carries what on-call
 * needs, and every metric a query reads is one the inference server or the operator exports
 * (PromQL parsed with the Prometheus project's own grammar, names read from the live registries).
 * `promtool check rules` / `test rules` run in test/integration/monitoring.test.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import type { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../inference-server/src/metrics.js';
import { createOperatorMetrics } from '../operator/src/metrics.js';

const DASHBOARDS = new URL('./dashboards/', import.meta.url);
const RULES = new URL('./rules/inquiry-platform.rules.yaml', import.meta.url);
const RULE_TESTS = new URL('./rules/inquiry-platform.rules.test.yaml', import.meta.url);
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** Series Prometheus writes itself, not the code. */
const PROMETHEUS_SERIES = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE']);
const isPrometheusSeries = (name: string) => PROMETHEUS_SERIES.has(name) || /^scrape_/.test(name);
/**
 * Labels Prometheus adds to scraped series: the Prometheus Operator's target labels, and those the
 * chart's inference PodMonitor adds (pipeline, subset, model_version).
 */
const TARGET_LABELS = [
  ...['namespace', 'job', 'instance', 'pod', 'service', 'container', 'endpoint'],
  ...['pipeline', 'subset', 'model_version'],
];

interface Selector {
  name: string;
  labels: string[];
}

/** The series selectors of a PromQL expression; throws on anything the grammar refuses. */
function selectorsOf(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const selectors: Selector[] = [];
  const text = (node: { from: number; to: number }) => expr.slice(node.from, node.to);
  const unquote = (literal: string): string => {
    if (literal.startsWith('"')) return JSON.parse(literal) as string;
    const body = literal.slice(1, -1);
    return literal.startsWith('`') ? body : body.replace(/\\'/g, "'");
  };
  tree.iterate({
    enter: (ref) => {
      if (ref.type.isError) {
        throw new Error(`PromQL syntax error at ${ref.from} in: ${expr}`);
      }
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const identifier = node.getChild('Identifier');
      let name = identifier ? text(identifier) : undefined;
      const labels: string[] = [];
      for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ??
        []) {
        const label = text(matcher.getChild('LabelName')!);
        const value = unquote(text(matcher.getChild('StringLiteral')!));
        if (label !== '__name__') labels.push(label);
        else if (text(matcher.getChild('MatchOp')!) === '=') name = value;
        else throw new Error(`a __name__ matcher other than = hides the metric name: ${expr}`);
      }
      for (const quoted of node.getChild('LabelMatchers')?.getChildren('QuotedLabelName') ?? []) {
        name = unquote(text(quoted.getChild('StringLiteral')!));
      }
      if (!name) throw new Error(`a selector without a metric name: ${expr}`);
      selectors.push({ name, labels });
    },
  });
  return selectors;
}

/** Grafana macros and variable functions are not PromQL: reduce them to what they stand for. */
function grafanaQueryToPromql(query: string): string | undefined {
  const labelValues = /^\s*label_values\((.*),\s*[a-zA-Z_]\w*\s*\)\s*$/s.exec(query);
  if (labelValues) return labelValues[1];
  const queryResult = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  if (queryResult) return queryResult[1];
  if (/^\s*(label_values|label_names|metrics)\(/.test(query)) return undefined;
  return query.replace(/\$__(rate_interval|interval|range)\b/g, '5m');
}

interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: unknown;
  targets?: { expr?: string; datasource?: unknown; refId?: string }[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { unit?: string } };
}

interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: {
    list?: { name: string; type: string; query?: unknown; datasource?: unknown }[];
  };
  annotations?: { list?: { name: string; expr?: string; datasource?: unknown }[] };
}

function allPanels(panels: Panel[] = []): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels)]);
}

const dashboardFiles = readdirSync(DASHBOARDS).filter((file) => file.endsWith('.json'));
const dashboards = dashboardFiles.map((file) => ({
  file,
  text: readFileSync(new URL(file, DASHBOARDS), 'utf8'),
}));
const parsedDashboards = () =>
  dashboards.map(({ file, text }) => ({ file, dashboard: JSON.parse(text) as Dashboard }));

/** Every PromQL query of a dashboard, with where it is. */
function dashboardQueries(file: string, dashboard: Dashboard): { where: string; expr: string }[] {
  const queries: { where: string; expr: string }[] = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      if (target.expr !== undefined)
        queries.push({ where: `${file} panel ${panel.id} "${panel.title}"`, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type !== 'query') continue;
    const query =
      typeof variable.query === 'string'
        ? variable.query
        : (variable.query as { query?: string } | undefined)?.query;
    if (query) queries.push({ where: `${file} variable ${variable.name}`, expr: query });
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.expr)
      queries.push({ where: `${file} annotation ${annotation.name}`, expr: annotation.expr });
  }
  return queries
    .map(({ where, expr }) => ({ where, expr: grafanaQueryToPromql(expr) }))
    .filter((query): query is { where: string; expr: string } => query.expr !== undefined);
}

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const ruleGroups = (parseYaml(readFileSync(RULES, 'utf8')) as { groups: { rules: Rule[] }[] })
  .groups;
const rules = ruleGroups.flatMap((group) => group.rules);
const alerts = rules.filter((rule) => rule.alert);
const recordedNames = new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])));

/** The series names a registry exposes, each with its label names. */
async function exportedSeries(registry: Registry): Promise<Map<string, string[]>> {
  const series = new Map<string, string[]>();
  for (const metric of await registry.getMetricsAsJSON()) {
    // prom-client keeps a metric's declared label names on the instance.
    const declared =
      (registry.getSingleMetric(metric.name) as unknown as { labelNames?: string[] }).labelNames ??
      [];
    const labels = [...declared, ...TARGET_LABELS];
    const type = String(metric.type);
    series.set(metric.name, labels);
    if (type === 'histogram') {
      series.set(`${metric.name}_bucket`, [...labels, 'le']);
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    }
    if (type === 'summary') {
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
      series.set(metric.name, [...labels, 'quantile']);
    }
  }
  return series;
}

describe('PromQL selector extraction', () => {
  it('finds every metric name, however it is written, and the labels it matches', () => {
    const expr =
      'sum by (le) (rate(a_bucket{x="y",le=~"2|2\\\\.0"}[5m])) / on() b offset 5m ' +
      'or {"c.d", z!="1"} or {__name__="e"} unless histogram_quantile(0.9, f)';
    expect(selectorsOf(expr)).toEqual([
      { name: 'a_bucket', labels: ['x', 'le'] },
      { name: 'b', labels: [] },
      { name: 'c.d', labels: ['z'] },
      { name: 'e', labels: [] },
      { name: 'f', labels: [] },
    ]);
  });

  it('refuses what the grammar refuses, and Grafana macros left in place', () => {
    expect(() => selectorsOf('sum(rate(x[5m])')).toThrow(/syntax error/);
    expect(() => selectorsOf('rate(x[$__rate_interval])')).toThrow(/syntax error/);
    expect(() => selectorsOf('{__name__=~"inquiry_.*"}')).toThrow(/__name__/);
    expect(grafanaQueryToPromql('rate(x[$__rate_interval])')).toBe('rate(x[5m])');
    expect(grafanaQueryToPromql('label_values(x{a="b"}, namespace)')).toBe('x{a="b"}');
  });
});

describe('Grafana dashboards', () => {
  it('has the four dashboards the platform documents', () => {
    expect(dashboardFiles.sort()).toEqual([
      'canary.json',
      'model-performance.json',
      'pipeline-overview.json',
      'system-health.json',
    ]);
  });

  it.each(dashboards)(
    '$file is valid JSON with a uid, a title and schemaVersion ≥ 39',
    ({ text }) => {
      const dashboard = JSON.parse(text) as Dashboard;
      expect(dashboard.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(dashboard.title).toBeTruthy();
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    },
  );

  it('gives every dashboard its own uid and title', () => {
    const all = parsedDashboards().map(({ dashboard }) => dashboard);
    expect(new Set(all.map((d) => d.uid)).size).toBe(all.length);
    expect(new Set(all.map((d) => d.title)).size).toBe(all.length);
  });

  it.each(dashboards)('$file has unique panel ids, rows and nested panels included', ({ text }) => {
    const panels = allPanels((JSON.parse(text) as Dashboard).panels);
    const ids = panels.map((panel) => panel.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(dashboards)(
    '$file binds every panel, query and variable to the datasource variable',
    ({ text }) => {
      const dashboard = JSON.parse(text) as Dashboard;
      const variables = dashboard.templating?.list ?? [];
      expect(variables).toContainEqual(
        expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
      );
      for (const panel of allPanels(dashboard.panels).filter((p) => p.type !== 'row')) {
        expect({ panel: panel.title, datasource: panel.datasource }).toEqual({
          panel: panel.title,
          datasource: DATASOURCE,
        });
        expect(panel.targets?.length).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect({ panel: panel.title, datasource: target.datasource }).toEqual({
            panel: panel.title,
            datasource: DATASOURCE,
          });
        }
      }
      for (const other of [
        ...variables.filter((v) => v.type === 'query'),
        ...(dashboard.annotations?.list ?? []),
      ]) {
        expect({ name: other.name, datasource: other.datasource }).toEqual({
          name: other.name,
          datasource: DATASOURCE,
        });
      }
    },
  );

  it.each(dashboards)('$file gives every graph, stat and gauge a unit', ({ text }) => {
    const withoutUnit = allPanels((JSON.parse(text) as Dashboard).panels)
      .filter((panel) => ['timeseries', 'stat', 'bargauge', 'gauge'].includes(panel.type ?? ''))
      .filter((panel) => !panel.fieldConfig?.defaults?.unit)
      .map((panel) => panel.title);
    expect(withoutUnit).toEqual([]);
  });
});

describe('alert rules', () => {
  it('names recording rules level:metric:operations and alerts in CamelCase', () => {
    for (const name of recordedNames) expect(name).toMatch(/^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$/);
    for (const alert of alerts) expect(alert.alert).toMatch(/^Inquiry[A-Z][A-Za-z]+$/);
  });

  it('has the alerts the platform documents', () => {
    expect(alerts.map((alert) => alert.alert).sort()).toEqual([
      'InquiryCanaryRolledBack',
      'InquiryEscalationRateHigh',
      'InquiryHttpErrorRateHigh',
      'InquiryInferenceLatencyHigh',
      'InquiryInferenceServerDown',
      'InquiryInferenceUnavailable',
      'InquiryIngestionStale',
      'InquiryModelConfidenceLow',
      'InquiryOperatorDown',
      'InquiryPipelineJobFailed',
    ]);
  });

  it.each(alerts.map((alert) => [alert.alert!, alert] as const))(
    '%s has for, a severity, a summary, a templated description and a one-line runbook',
    (_name, alert) => {
      expect(alert.for).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary).toBeTruthy();
      expect(alert.annotations?.description).toMatch(/\{\{ \$labels\.\w+ \}\}/);
      expect(alert.annotations?.runbook).toMatch(/^[^\n]{20,400}$/);
    },
  );

  it('fires every alert in at least one promtool unit test', () => {
    const tests = (
      parseYaml(readFileSync(RULE_TESTS, 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      }
    ).tests;
    const fired = new Set(
      tests.flatMap((test) =>
        (test.alert_rule_test ?? [])
          .filter((check) => (check.exp_alerts ?? []).length > 0)
          .map((check) => check.alertname),
      ),
    );
    expect(alerts.map((alert) => alert.alert).filter((name) => !fired.has(name!))).toEqual([]);
  });
});

describe('metric names in dashboards and rules', () => {
  let exported: Map<string, string[]>;

  beforeAll(async () => {
    exported = new Map([
      ...(await exportedSeries(createMetrics().registry)),
      ...(await exportedSeries(createOperatorMetrics().registry)),
    ]);
  });

  const queries = () => [
    ...rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record}`, expr: rule.expr })),
    ...parsedDashboards().flatMap(({ file, dashboard }) => dashboardQueries(file, dashboard)),
  ];

  it('reads queries from every dashboard and rule', () => {
    const counted = queries();
    expect(counted.length).toBeGreaterThan(60);
    for (const { file } of dashboards)
      expect(counted.filter((q) => q.where.startsWith(file)).length).toBeGreaterThan(5);
  });

  it('uses only series the inference server or the operator exports, or rules record', () => {
    const unknown = queries().flatMap(({ where, expr }) =>
      selectorsOf(expr)
        .map((selector) => selector.name)
        .filter(
          (name) => !exported.has(name) && !recordedNames.has(name) && !isPrometheusSeries(name),
        )
        .map((name) => `${name} (${where})`),
    );
    expect(unknown).toEqual([]);
  });

  it('matches only labels those series carry', () => {
    const wrong = queries().flatMap(({ where, expr }) =>
      selectorsOf(expr).flatMap(({ name, labels }) => {
        const known = isPrometheusSeries(name) ? TARGET_LABELS : exported.get(name);
        if (!known) return []; // recorded series: their labels are their rule's `by`
        return labels
          .filter((label) => !known.includes(label))
          .map((label) => `${name}{${label}} (${where})`);
      }),
    );
    expect(wrong).toEqual([]);
  });
});
