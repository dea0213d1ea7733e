/**
 * Where analysis values come from, behind one small interface (one file per system: mlflow.ts,
 * prometheus.ts). Providers only fetch; judging is `judgeMetric`'s job.
 */
import type { AnalysisMetric, Observation } from '../canary/index.js';

export interface AnalysisContext {
  /** The pipeline's MLflow server. */
  trackingUri: string;
  /** MLflow run of the candidate, and of the stable version (for baselines). */
  candidateRunId: string;
  stableRunId: string | undefined;
  subset: 'canary';
}

export interface AnalysisProvider {
  observe(metric: AnalysisMetric, context: AnalysisContext): Promise<Observation>;
}

/** One provider per `provider` name of an analysis metric. */
export type AnalysisProviders = Record<AnalysisMetric['provider'], AnalysisProvider>;
