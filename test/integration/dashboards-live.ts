/**
 * The dashboards and alert rules run against a live Prometheus: the chart's monitors rendered
 * by the test bed's helm and translated to scrape jobs, every panel's every query (variables
 * and macros substituted as Grafana does) run through the HTTP API, every rule expression
 * evaluated. Used by dashboards.test.ts (a platform server on the host, fixed targets) and meant
 * for the same check on the node (Kubernetes discovery): see docs/metrics.md.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import {
  dashboardQueries,
  ruleExpressions,
  type DashboardJson,
  type DashboardQuery,
  type RuleExpression,
  type VariableSelection,
  withAlertForAtMost,
} from '../../monitoring/queries.js';
import { monitorsIn, type Monitor } from '../../monitoring/scrape-config.js';
import type { PrometheusApi } from '../../scripts/testbed/prometheus.js';
import { KUBERNETES_VERSION } from '../../scripts/testbed/versions.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHART = path.join(ROOT, 'charts/inquiry-platform');
const MONITORING = path.join(ROOT, 'monitoring');

/** The repository's dashboards, by file name. */
export function loadDashboards(): { file: string; dashboard: DashboardJson }[] {
  const dir = path.join(MONITORING, 'dashboards');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      dashboard: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as DashboardJson,
    }));
}

/**
 * The repository's rule files (what the chart's PrometheusRule holds), by file name; with
 * `alertForAtMostSeconds`, every alert's `for` shortened to it (the expressions unchanged).
 */
export function loadRuleFiles(alertForAtMostSeconds?: number): Record<string, string> {
  const dir = path.join(MONITORING, 'rules');
  return Object.fromEntries(
    readdirSync(dir)
      .filter((file) => file.endsWith('.rules.yaml'))
      .map((file) => {
        const text = readFileSync(path.join(dir, file), 'utf8');
        return [
          file,
          alertForAtMostSeconds === undefined
            ? text
            : stringifyYaml(
                withAlertForAtMost(
                  parseYaml(text) as Parameters<typeof withAlertForAtMost>[0],
                  alertForAtMostSeconds,
                ),
              ),
        ];
      }),
  );
}

export function loadRuleExpressions(): RuleExpression[] {
  return Object.values(loadRuleFiles()).flatMap((text) => ruleExpressions(parseYaml(text)));
}

/** Every object `helm template` renders for the chart with `--set` values. */
export async function renderChart(
  helm: string,
  release: string,
  namespace: string,
  set: string[] = [],
): Promise<unknown[]> {
  const { stdout } = await promisify(execFile)(
    helm,
    [
      'template',
      release,
      CHART,
      '--namespace',
      namespace,
      '--kube-version',
      KUBERNETES_VERSION,
      ...set.flatMap((value) => ['--set', value]),
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJSON() as unknown)
    .filter((object) => object !== null);
}

export async function renderChartMonitors(
  helm: string,
  release: string,
  namespace: string,
  set: string[] = [],
): Promise<Monitor[]> {
  return monitorsIn(await renderChart(helm, release, namespace, set));
}

export interface QueryWindow {
  /** Seconds since the epoch. */
  start: number;
  end: number;
  /** The step of range queries, `$__interval`. */
  stepSeconds: number;
  /** The scrape interval, for `$__rate_interval`. */
  scrapeIntervalSeconds: number;
}

export interface QueryOutcome {
  query: DashboardQuery;
  series: number;
  error?: string;
}

export interface PanelOutcome {
  panelId?: number;
  title: string;
  queries: QueryOutcome[];
  /** Every query of the panel returned at least one series. */
  hasData: boolean;
}

export interface DashboardReport {
  dashboard: string;
  panels: PanelOutcome[];
  annotations: QueryOutcome[];
}

async function runQuery(
  api: PrometheusApi,
  query: DashboardQuery,
  window: QueryWindow,
): Promise<QueryOutcome> {
  try {
    const series = query.instant
      ? await api.query(query.expr, window.end)
      : await api.queryRange(query.expr, window.start, window.end, window.stepSeconds);
    return { query, series: series.length };
  } catch (error) {
    return { query, series: 0, error: (error as Error).message };
  }
}

/**
 * Runs every panel's every query of each dashboard over `window` the way Grafana would (range
 * queries with the window's step, instant ones at its end) and counts the series they return.
 */
export async function checkDashboardData(
  api: PrometheusApi,
  dashboards: DashboardJson[],
  window: QueryWindow,
  selections: Record<string, VariableSelection> = {},
): Promise<DashboardReport[]> {
  const time = {
    rangeSeconds: Math.round(window.end - window.start),
    intervalSeconds: window.stepSeconds,
    scrapeIntervalSeconds: window.scrapeIntervalSeconds,
  };
  const reports: DashboardReport[] = [];
  for (const dashboard of dashboards) {
    const queries = dashboardQueries(dashboard, time, selections);
    const outcomes = await Promise.all(queries.map((query) => runQuery(api, query, window)));
    const panels = new Map<number | undefined, PanelOutcome>();
    for (const outcome of outcomes.filter((o) => o.query.kind === 'panel')) {
      const id = outcome.query.panelId;
      const panel = panels.get(id) ?? {
        panelId: id,
        title: outcome.query.title,
        queries: [],
        hasData: true,
      };
      panel.queries.push(outcome);
      panel.hasData &&= outcome.series > 0 && outcome.error === undefined;
      panels.set(id, panel);
    }
    reports.push({
      dashboard: dashboard.uid ?? dashboard.title ?? 'dashboard',
      panels: [...panels.values()],
      annotations: outcomes.filter((o) => o.query.kind === 'annotation'),
    });
  }
  return reports;
}

/** Per dashboard, panels with data / panels total, then each panel without data and why. */
export function formatDashboardReport(reports: DashboardReport[]): string {
  return reports
    .map((report) => {
      const withData = report.panels.filter((p) => p.hasData).length;
      const lines = [`${report.dashboard}: ${withData}/${report.panels.length} panels with data`];
      for (const panel of report.panels.filter((p) => !p.hasData)) {
        const empty = panel.queries
          .filter((q) => q.series === 0)
          .map((q) => `${q.query.refId ?? ''} ${q.error ?? 'no series'}: ${q.query.expr}`);
        lines.push(`  - panel ${panel.panelId} "${panel.title}": ${empty.join(' | ')}`);
      }
      return lines.join('\n');
    })
    .join('\n');
}

/**
 * What a report found against what was expected: the queries that erred, and per dashboard the
 * titles of the panels without data, sorted, beside those `expectedEmpty` names (title → why).
 */
export function dashboardFindings(
  reports: DashboardReport[],
  expectedEmpty: Record<string, Record<string, string>>,
): { errors: string[]; empty: Record<string, string[]>; expected: Record<string, string[]> } {
  return {
    errors: reports.flatMap((r) =>
      r.panels.flatMap((p) =>
        p.queries.filter((q) => q.error).map((q) => `${q.query.title}: ${q.error}`),
      ),
    ),
    empty: Object.fromEntries(
      reports.map((r) => [
        r.dashboard,
        r.panels
          .filter((p) => !p.hasData)
          .map((p) => p.title)
          .sort(),
      ]),
    ),
    expected: Object.fromEntries(
      Object.entries(expectedEmpty).map(([dashboard, panels]) => [
        dashboard,
        Object.keys(panels).sort(),
      ]),
    ),
  };
}

export interface RuleOutcome {
  rule: RuleExpression;
  series: number;
  error?: string;
}

/** Evaluates every rule expression at `time` through the query API. */
export async function checkRuleExpressions(
  api: PrometheusApi,
  rules: RuleExpression[],
  time?: number,
): Promise<RuleOutcome[]> {
  return Promise.all(
    rules.map(async (rule) => {
      try {
        return { rule, series: (await api.query(rule.expr, time)).length };
      } catch (error) {
        return { rule, series: 0, error: (error as Error).message };
      }
    }),
  );
}
