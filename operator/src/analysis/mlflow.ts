/** Analysis values from MLflow: the latest value of a metric on the candidate's run (and the stable one's). */
import type { MlflowClient } from '../../../lib/mlflow/client.js';
import type { AnalysisMetric, Observation } from '../canary/index.js';
import type { AnalysisContext, AnalysisProvider } from './provider.js';

export class MlflowProvider implements AnalysisProvider {
  /** `clientFor` gives the client of a tracking URI (each pipeline names its MLflow server). */
  constructor(private readonly clientFor: (trackingUri: string) => MlflowClient) {}

  async observe(metric: AnalysisMetric, context: AnalysisContext): Promise<Observation> {
    if (!metric.metric) return { error: `metric ${metric.name} names no MLflow metric key` };
    const client = this.clientFor(context.trackingUri);
    try {
      const candidate = await client.latestMetrics(context.candidateRunId);
      const stable = context.stableRunId
        ? await client.latestMetrics(context.stableRunId)
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
