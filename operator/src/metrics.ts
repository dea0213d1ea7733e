/** The operator's Prometheus metrics (names are a contract: dashboards and alerts use them). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createOperatorMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'inquiry_operator_process_' });
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
    queueDepth: new Gauge({
      name: 'inquiry_operator_queue_depth',
      help: 'Keys waiting in the work queue.',
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
