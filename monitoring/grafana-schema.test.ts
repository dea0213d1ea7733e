import { readFileSync, readdirSync } from 'node:fs';
import { checkDashboardsAgainstGrafanaSchema } from './grafana-schema.js';

const DASHBOARDS = new URL('./dashboards/', import.meta.url);
const dashboards = Object.fromEntries(
  readdirSync(DASHBOARDS)
    .filter((file) => file.endsWith('.json'))
    .map((file) => [file, JSON.parse(readFileSync(new URL(file, DASHBOARDS), 'utf8')) as unknown]),
);

describe("dashboards against Grafana's published schema (foundation SDK types)", () => {
  it('finds the four dashboards', () => {
    expect(Object.keys(dashboards).sort()).toEqual([
      'canary.json',
      'model-performance.json',
      'pipeline-overview.json',
      'system-health.json',
    ]);
  });

  it('accepts every dashboard, panel, plugin option and Prometheus query', () => {
    expect(checkDashboardsAgainstGrafanaSchema(dashboards)).toEqual([]);
  });

  it('names the place of an unknown field, a wrong enum value and a wrong type', () => {
    const broken = structuredClone(dashboards['canary.json']) as {
      graphTooltip: unknown;
      panels: { options?: Record<string, unknown>; targets?: Record<string, unknown>[] }[];
    };
    broken.graphTooltip = 'shared';
    const panel = broken.panels.find((p) => p.targets?.length)!;
    panel.options = { ...panel.options, legendd: {} };
    panel.targets![0]!.format = 'graph';
    const findings = checkDashboardsAgainstGrafanaSchema({ 'broken.json': broken });
    expect(findings.map((f) => f.where)).toEqual([
      expect.stringMatching(/^broken\.json at "graphTooltip": "shared"/),
      expect.stringMatching(
        /^broken\.json panel 2 "Canary weight" options \(timeseries\) at "legendd"/,
      ),
      expect.stringMatching(/^broken\.json panel 2 "Canary weight" target 0 at "format": "graph"/),
    ]);
    expect(findings[1]!.message).toMatch(/legendd"' does not exist/);
  });
});
