/** Analysis values from Prometheus: an instant query per metric, `{{subset}}` replaced by the subset. */
import type { AnalysisMetric, Observation } from '../canary/index.js';
import type { AnalysisContext, AnalysisProvider } from './provider.js';

export class PrometheusProvider implements AnalysisProvider {
  constructor(private readonly baseUrl: string | undefined) {}

  async observe(metric: AnalysisMetric, context: AnalysisContext): Promise<Observation> {
    if (!this.baseUrl)
      return { error: 'no Prometheus configured (set PROMETHEUS_URL on the operator)' };
    if (!metric.query) return { error: `metric ${metric.name} has no query` };
    const query = metric.query.replaceAll('{{subset}}', context.subset);
    try {
      const response = await fetch(
        `${this.baseUrl.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`,
        {
          signal: AbortSignal.timeout(10_000),
        },
      );
      const body = (await response.json()) as {
        status: string;
        error?: string;
        data?: { result?: { value: [number, string] }[] };
      };
      if (body.status !== 'success')
        return { error: `Prometheus: ${body.error ?? response.status}` };
      const sample = body.data?.result?.[0]?.value?.[1];
      const value = sample === undefined ? NaN : Number(sample);
      return Number.isFinite(value)
        ? { value }
        : { error: `Prometheus returned no number for ${metric.name}` };
    } catch (error) {
      return { error: `Prometheus: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
