/** The analysis providers of an operator, built once: one per provider name a metric can use. */
import type { MlflowClient } from '../../../lib/mlflow/client.js';
import { MlflowProvider } from './mlflow.js';
import { NoopProvider } from './noop.js';
import { PrometheusProvider } from './prometheus.js';
import type { AnalysisProviders } from './provider.js';

export function analysisProviders(options: {
  mlflow: (trackingUri: string) => MlflowClient;
  prometheusUrl?: string | undefined;
}): AnalysisProviders {
  return {
    mlflow: new MlflowProvider(options.mlflow),
    prometheus: options.prometheusUrl
      ? new PrometheusProvider(options.prometheusUrl)
      : new NoopProvider('no Prometheus configured (set PROMETHEUS_URL on the operator)'),
  };
}

export type { AnalysisContext, AnalysisProvider, AnalysisProviders } from './provider.js';
