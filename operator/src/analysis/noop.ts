/**
 * A provider that reads nothing: each metric is Inconclusive with `reason`. It stands in for a
 * system the operator was not given (no PROMETHEUS_URL), for dry runs and for unit tests.
 */
import type { AnalysisMetric, Observation } from '../canary/index.js';
import type { AnalysisProvider } from './provider.js';

export class NoopProvider implements AnalysisProvider {
  constructor(private readonly reason: string) {}

  observe(metric: AnalysisMetric): Promise<Observation> {
    return Promise.resolve({ error: `${metric.name}: ${this.reason}` });
  }
}
