/** Analysis values from MLflow: the latest value of a metric on the candidate's run (and the stable one's). */
import type { MlflowClient } from '../../../lib/mlflow/client.js';
import type { AnalysisMetric, Observation } from '../canary/index.js';
import type { AnalysisContext, AnalysisProvider } from './provider.js';

export class MlflowProvider implements AnalysisProvider {
  constructor(private readonly client: MlflowClient) {}

  async observe(metric: AnalysisMetric, context: AnalysisContext): Promise<Observation> {
    if (!metric.metric) return { error: `metric ${metric.name} names no MLflow metric key` };
    try {
      const candidate = await this.client.latestMetrics(context.candidateRunId);
      const stable = context.stableRunId
        ? await this.client.latestMetrics(context.stableRunId)
        : undefined;
      const value = candidate[metric.metric];
      const baseline = stable?.[metric.metric];
      const samples = metric.sampleMetric ? candidate[metric.sampleMetric] : undefined;
      return {
        ...(value === undefined
          ? { error: `run ${context.candidateRunId} has no metric ${metric.metric} yet` }
          : { value }),
        ...(baseline === undefined ? {} : { baseline }),
        ...(samples === undefined ? {} : { samples }),
      };
    } catch (error) {
      return { error: `MLflow: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
}
