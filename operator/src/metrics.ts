/** The operator's Prometheus metrics (names are a contract: dashboards and alerts use them). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createOperatorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'inquiry_operator_' });
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({
      name: 'inquiry_operator_reconciles_total',
      help: 'Reconciles by kind and result (success, error).',
      labelNames: ['kind', 'result'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'inquiry_operator_reconcile_duration_seconds',
      help: 'Reconcile duration by kind.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    queueWait: new Histogram({
      name: 'inquiry_operator_queue_wait_seconds',
      help: 'Time a key waited in the work queue before a worker took it, by kind.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'inquiry_operator_queue_depth',
      help: 'Keys waiting in the work queue.',
      registers,
    }),
    canaryPhase: new Gauge({
      name: 'inquiry_operator_canary_phase',
      help: 'ModelVersion phase: 1 for the current phase, 0 for the others.',
      labelNames: ['namespace', 'pipeline', 'modelversion', 'phase'],
      registers,
    }),
    canaryWeight: new Gauge({
      name: 'inquiry_operator_canary_weight',
      help: 'Percent of traffic the ModelVersion receives as canary (0-100).',
      labelNames: ['namespace', 'pipeline', 'modelversion'],
      registers,
    }),
    canaryStep: new Gauge({
      name: 'inquiry_operator_canary_step',
      help: 'Index of the canary step in progress.',
      labelNames: ['namespace', 'pipeline', 'modelversion'],
      registers,
    }),
    analysisResults: new Counter({
      name: 'inquiry_operator_analysis_results_total',
      help: 'Canary analysis results by metric and verdict (Pass, Fail, Inconclusive).',
      labelNames: ['namespace', 'pipeline', 'metric', 'verdict'],
      registers,
    }),
    promotions: new Counter({
      name: 'inquiry_operator_promotions_total',
      help: 'ModelVersions promoted to stable.',
      labelNames: ['namespace', 'pipeline'],
      registers,
    }),
    rollbacks: new Counter({
      name: 'inquiry_operator_rollbacks_total',
      help: 'ModelVersions rolled back (or aborted).',
      labelNames: ['namespace', 'pipeline'],
      registers,
    }),
    jobRuns: new Counter({
      name: 'inquiry_operator_pipeline_job_runs_total',
      // `pipeline_job`, not `job`: Prometheus owns the `job` label (the scrape job).
      help: 'Pipeline job Workflows seen finishing, by pipeline_job (ingestion, classification, retraining) and phase (Succeeded, Failed, Error).',
      labelNames: ['namespace', 'pipeline', 'pipeline_job', 'phase'],
      registers,
    }),
    jobLastSuccess: new Gauge({
      name: 'inquiry_operator_pipeline_job_last_success_timestamp_seconds',
      help: 'Unix time the latest successful Workflow of the pipeline_job finished.',
      labelNames: ['namespace', 'pipeline', 'pipeline_job'],
      registers,
    }),
    availableReplicas: new Gauge({
      name: 'inquiry_operator_inference_available_replicas',
      help: "Available pods of the pipeline's stable inference Deployment (0: nothing answers), as the leader last saw them; present while a model is promoted to serve.",
      labelNames: ['namespace', 'pipeline'],
      registers,
    }),
    childChanges: new Counter({
      name: 'inquiry_operator_child_changes_total',
      help: "Changes to a child's desired state by someone other than the operator (an edit, a deletion, an autoscaler scaling a Deployment), each followed by a reconcile of its owner; status writes do not count.",
      labelNames: ['namespace', 'kind', 'verb'],
      registers,
    }),
    leader: new Gauge({
      name: 'inquiry_operator_leader',
      help: '1 while this replica holds the leader Lease.',
      registers,
    }),
  };
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
