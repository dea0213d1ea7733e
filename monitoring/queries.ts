/**
 * What a dashboard and the alert rules ask Prometheus, as Prometheus receives it: every panel's
 * every query (rows' nested panels included) and every annotation query, with the template
 * variables and Grafana's time macros substituted the way Grafana's Prometheus datasource does,
 * and every recording and alert rule expression. Pure: the live checks run what this returns.
 */

/** A variable's selection: values, or All. */
export type VariableSelection = { all: true } | { values: string[] };

export interface QueryTime {
  /** The dashboard's time range, in seconds (`$__range`). */
  rangeSeconds: number;
  /** The panel's step (`$__interval`), in seconds. */
  intervalSeconds: number;
  /** The scrape interval of the Prometheus datasource, in seconds (for `$__rate_interval`). */
  scrapeIntervalSeconds: number;
}

export interface DashboardQuery {
  /** `panel` (a target of a panel) or `annotation`. */
  kind: 'panel' | 'annotation';
  dashboard: string;
  /** The panel's id and title, or the annotation's name. */
  panelId?: number;
  title: string;
  refId?: string;
  /** The query as written in the dashboard. */
  template: string;
  /** The query Prometheus receives. */
  expr: string;
  /** Whether Grafana runs it as an instant query (a table's current values). */
  instant: boolean;
}

export interface RuleExpression {
  group: string;
  kind: 'alert' | 'record';
  name: string;
  expr: string;
}

interface VariableJson {
  name: string;
  type: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  current?: { value?: string | string[] };
  options?: { value: string | string[] }[];
}

interface PanelJson {
  id?: number;
  type?: string;
  title?: string;
  targets?: { expr?: string; refId?: string; instant?: boolean; range?: boolean; hide?: boolean }[];
  panels?: PanelJson[];
}

export interface DashboardJson {
  uid?: string;
  title?: string;
  panels?: PanelJson[];
  templating?: { list?: VariableJson[] };
  annotations?: { list?: { name: string; expr?: string; enable?: boolean }[] };
}

/** Grafana's variable syntax: `$var`, `[[var]]`, `[[var:fmt]]`, `${var}`, `${var:fmt}`. */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

/** Grafana's `rangeUtil.secondsToHms`, the form `$__interval` takes. */
export function secondsToDuration(seconds: number): string {
  const units: [string, number][] = [
    ['y', 31_536_000],
    ['w', 604_800],
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  for (const [unit, size] of units) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return seconds >= 1 ? `${Math.round(seconds)}s` : `${Math.round(seconds * 1000)}ms`;
}

/**
 * The time macros as Grafana's Prometheus datasource fills them: `$__rate_interval` is
 * max(`$__interval` + scrape interval, 4 × scrape interval).
 */
export function timeMacros(time: QueryTime): Record<string, string> {
  const rateInterval = Math.max(
    time.intervalSeconds + time.scrapeIntervalSeconds,
    4 * time.scrapeIntervalSeconds,
  );
  return {
    __rate_interval: secondsToDuration(rateInterval),
    __rate_interval_ms: String(rateInterval * 1000),
    __interval: secondsToDuration(time.intervalSeconds),
    __interval_ms: String(time.intervalSeconds * 1000),
    __range: secondsToDuration(time.rangeSeconds),
    __range_s: String(time.rangeSeconds),
    __range_ms: String(time.rangeSeconds * 1000),
  };
}

/** The Prometheus datasource's escape of a single-value variable in a string literal. */
const regularEscape = (value: string) => value.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
/** The Prometheus datasource's escape of a value inside a regex matcher. */
const specialRegexEscape = (value: string) =>
  value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
/** Grafana's `regex` format (a JavaScript regex escape, alternatives grouped). */
const regexEscape = (value: string) => value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');

function formatValues(values: string[], format: string, where: string): string {
  const one = values.length === 1;
  switch (format) {
    case 'raw':
    case 'text':
      return values.join(',');
    case 'csv':
      return values.join(',');
    case 'pipe':
      return values.join('|');
    case 'regex':
      return one ? regexEscape(values[0]!) : `(${values.map(regexEscape).join('|')})`;
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'json':
      return JSON.stringify(one ? values[0] : values);
    default:
      throw new Error(`${where}: the variable format ${format} is not supported`);
  }
}

/**
 * A query with its variables and macros substituted as Grafana's Prometheus datasource does.
 * A variable of the dashboard without a selection takes its `current` value (All when that is
 * `$__all`); All is the variable's `allValue`, or every one of `options` as alternatives.
 * Unknown names stay as written, as in Grafana.
 */
export function interpolate(
  query: string,
  variables: VariableJson[],
  selections: Record<string, VariableSelection>,
  time: QueryTime,
  where = 'query',
): string {
  const macros = timeMacros(time);
  return query.replace(
    VARIABLE,
    (
      match,
      plain?: string,
      bracket?: string,
      bracketFormat?: string,
      braced?: string,
      _path?: string,
      bracedFormat?: string,
    ) => {
      const name = plain ?? bracket ?? braced!;
      const format = bracketFormat ?? bracedFormat;
      if (name in macros) return macros[name]!;
      const variable = variables.find((v) => v.name === name);
      if (!variable) return match;
      const selection = selections[name] ?? currentSelection(variable);
      if ('all' in selection && variable.allValue !== undefined && variable.allValue !== '') {
        return variable.allValue;
      }
      const values = 'all' in selection ? allOptions(variable, where) : selection.values;
      if (format) return formatValues(values, format, where);
      if (!variable.multi && !variable.includeAll) return regularEscape(values.join(','));
      const escaped = values.map(specialRegexEscape);
      return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`;
    },
  );
}

function currentSelection(variable: VariableJson): VariableSelection {
  const value = variable.current?.value;
  const values = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (values.includes('$__all')) return { all: true };
  return { values };
}

function allOptions(variable: VariableJson, where: string): string[] {
  const values = (variable.options ?? [])
    .flatMap((option) => (Array.isArray(option.value) ? option.value : [option.value]))
    .filter((value) => value !== '$__all');
  if (values.length === 0) {
    throw new Error(
      `${where}: variable ${variable.name} is All without an allValue: pass its values as a selection`,
    );
  }
  return values;
}

function allPanels(panels: PanelJson[] = []): PanelJson[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels)]);
}

/**
 * Every query a dashboard's panels and annotations send, substituted. `selections` overrides the
 * variables' saved selections (e.g. `{ namespace: { values: ['team-a'] } }`).
 */
export function dashboardQueries(
  dashboard: DashboardJson,
  time: QueryTime,
  selections: Record<string, VariableSelection> = {},
): DashboardQuery[] {
  const name = dashboard.uid ?? dashboard.title ?? 'dashboard';
  const variables = dashboard.templating?.list ?? [];
  const queries: DashboardQuery[] = [];
  for (const panel of allPanels(dashboard.panels)) {
    for (const target of panel.targets ?? []) {
      if (target.expr === undefined || target.hide) continue;
      const where = `${name} panel ${panel.id} "${panel.title}" ${target.refId ?? ''}`.trim();
      queries.push({
        kind: 'panel',
        dashboard: name,
        panelId: panel.id,
        title: panel.title ?? '',
        refId: target.refId,
        template: target.expr,
        expr: interpolate(target.expr, variables, selections, time, where),
        instant: target.instant === true && target.range !== true,
      });
    }
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.expr === undefined) continue;
    queries.push({
      kind: 'annotation',
      dashboard: name,
      title: annotation.name,
      template: annotation.expr,
      expr: interpolate(annotation.expr, variables, selections, time, `${name} annotation`),
      instant: false,
    });
  }
  return queries;
}

interface RuleGroupJson {
  name: string;
  rules?: { alert?: string; record?: string; expr: string | number; for?: string }[];
}

/**
 * Every recording and alert rule expression of a Prometheus rule file (`{ groups }`) or of a
 * PrometheusRule object (`{ spec: { groups } }`).
 */
export function ruleExpressions(document: unknown): RuleExpression[] {
  const groups =
    (document as { groups?: RuleGroupJson[] } | null)?.groups ??
    (document as { spec?: { groups?: RuleGroupJson[] } } | null)?.spec?.groups;
  if (!Array.isArray(groups)) {
    throw new Error('not a rule file or PrometheusRule: no list of groups');
  }
  return groups.flatMap((group) =>
    (group.rules ?? []).map((rule): RuleExpression => {
      const name = rule.alert ?? rule.record;
      if (!name) throw new Error(`a rule of group ${group.name} has neither alert nor record`);
      return {
        group: group.name,
        kind: rule.alert ? 'alert' : 'record',
        name,
        expr: String(rule.expr),
      };
    }),
  );
}

const DURATION_UNITS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

/** Seconds of a Prometheus duration ("5m", "1h30m", "500ms"). */
export function durationSeconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+)(ms|[smhdwy])/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== duration)
    throw new Error(`not a Prometheus duration: ${duration}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * DURATION_UNITS[unit!]!, 0);
}

/**
 * A rule file whose alerts wait at most `seconds` before they fire (their `for`), everything
 * else unchanged: a test drives the shipped expressions to firing without waiting minutes.
 */
export function withAlertForAtMost(
  document: { groups: RuleGroupJson[] },
  seconds: number,
): { groups: RuleGroupJson[] } {
  return {
    ...document,
    groups: document.groups.map((group) => ({
      ...group,
      rules: group.rules?.map((rule) =>
        rule.alert && rule.for && durationSeconds(rule.for) > seconds
          ? { ...rule, for: `${seconds}s` }
          : rule,
      ),
    })),
  };
}
