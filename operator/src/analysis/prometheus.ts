/**
 * Analysis values from Prometheus: an instant query per metric with `{{subset}}` replaced by the
 * subset (`canary`); with `maxDegradation`, the same query for `stable` is the baseline.
 */
import type { AnalysisMetric, Observation } from '../canary/index.js';
import type { AnalysisContext, AnalysisProvider } from './provider.js';

export class PrometheusProvider implements AnalysisProvider {
  constructor(private readonly baseUrl: string) {}

  async observe(metric: AnalysisMetric, context: AnalysisContext): Promise<Observation> {
    if (!metric.query) return { error: `metric ${metric.name} has no query` };
    try {
      const value = await this.instant(metric.query.replaceAll('{{subset}}', context.subset));
      if (value === undefined) return { error: `Prometheus returned no number for ${metric.name}` };
      if (metric.maxDegradation === undefined) return { value };
      const baseline = await this.instant(metric.query.replaceAll('{{subset}}', 'stable'));
      return baseline === undefined ? { value } : { value, baseline };
    } catch (error) {
      return { error: `Prometheus: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /** The first sample of an instant query; undefined when the result is empty or not a number. */
  private async instant(query: string): Promise<number | undefined> {
    const response = await fetch(
      `${this.baseUrl.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`,
      { signal: AbortSignal.timeout(10_000) },
    );
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result?: { value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(body.error ?? `HTTP ${response.status}`);
    const sample = body.data?.result?.[0]?.value?.[1];
    const value = sample === undefined ? NaN : Number(sample);
    return Number.isFinite(value) ? value : undefined;
  }
}
