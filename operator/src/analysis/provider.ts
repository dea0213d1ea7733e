/**
 * Where analysis values come from, behind one small interface (one file per system: mlflow.ts,
 * prometheus.ts). Providers only fetch; judging is `judgeMetric`'s job.
 */
import type { AnalysisMetric, Observation } from '../canary/index.js';

export interface AnalysisContext {
  /** MLflow run of the candidate, and of the stable version (for baselines). */
  candidateRunId: string;
  stableRunId: string | undefined;
  subset: 'canary';
}

export interface AnalysisProvider {
  observe(metric: AnalysisMetric, context: AnalysisContext): Promise<Observation>;
}
