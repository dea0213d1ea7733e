/**
 * The inference server's Prometheus metrics. Their names and labels are a contract: the
 * dashboards and alert rules use them (README, "Metrics"). Labels never carry personal data.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  let countOpen: (() => Promise<number>) | undefined;
  collectDefaultMetrics({ register: registry, prefix: 'inquiry_server_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'inquiry_http_requests_total',
      help: 'HTTP requests by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'inquiry_http_request_duration_seconds',
      help: 'HTTP request latency by route and method.',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    submissions: new Counter({
      name: 'inquiry_submissions_total',
      help: 'Submitted inquiries by outcome (stored, duplicate, replayed, invalid, unavailable; shadow: a mirrored copy, not stored).',
      labelNames: ['outcome'],
      registers,
    }),
    processingDuration: new Histogram({
      name: 'inquiry_processing_duration_seconds',
      help: 'Time to classify, route and store a submitted inquiry.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    inferenceDuration: new Histogram({
      name: 'inquiry_inference_duration_seconds',
      help: 'Model run time per batch, by model version.',
      labelNames: ['model_version'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    }),
    inferences: new Counter({
      name: 'inquiry_inferences_total',
      help: 'Texts classified, by model version and head.',
      labelNames: ['model_version', 'head'],
      registers,
    }),
    confidence: new Histogram({
      name: 'inquiry_prediction_confidence',
      help: 'Confidence of predictions, by head and model version (a canary against stable).',
      labelNames: ['head', 'model_version'],
      buckets: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99],
      registers,
    }),
    predictions: new Counter({
      name: 'inquiry_predictions_total',
      help: 'Predictions by head and label.',
      labelNames: ['head', 'label'],
      registers,
    }),
    routingDecisions: new Counter({
      name: 'inquiry_routing_decisions_total',
      help: 'Routing decisions by department.',
      labelNames: ['department'],
      registers,
    }),
    escalations: new Counter({
      name: 'inquiry_escalations_total',
      help: 'Escalations by the rule that fired.',
      labelNames: ['rule'],
      registers,
    }),
    triaged: new Counter({
      name: 'inquiry_triaged_total',
      help: 'Inquiries sent to the human triage queue (low confidence).',
      registers,
    }),
    priorityScore: new Histogram({
      name: 'inquiry_priority_score',
      help: 'Priority scores (0–100) of routed inquiries.',
      buckets: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
      registers,
    }),
    statusChanges: new Counter({
      name: 'inquiry_status_changes_total',
      help: 'Inquiry status changes (PATCH /api/v1/inquiries/{id}) by the new status.',
      labelNames: ['status'],
      registers,
    }),
    timeToResolution: new Histogram({
      name: 'inquiry_time_to_resolution_seconds',
      help: 'Time from routing to resolution of resolved inquiries.',
      buckets: [60, 300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600, 7 * 24 * 3600],
      registers,
    }),
    openInquiries: new Gauge({
      name: 'inquiry_open_inquiries',
      help: 'Routed inquiries not yet resolved (open or in progress), read from the database at scrape time.',
      registers,
      async collect() {
        if (!countOpen) return;
        try {
          this.set(await countOpen());
        } catch {
          // The database is unreachable: the gauge keeps its last value; inquiry_database_up says why.
        }
      },
    }),
    /** Where inquiry_open_inquiries reads its value from (the database, when there is one). */
    countOpenInquiriesWith(source: () => Promise<number>): void {
      countOpen = source;
    },
    feedback: new Counter({
      name: 'inquiry_feedback_total',
      help: 'Human feedback by head, model version and whether it agreed with the prediction.',
      labelNames: ['head', 'model_version', 'agreement'],
      registers,
    }),
    policyReloads: new Counter({
      name: 'inquiry_policy_reloads_total',
      help: 'Routing policy reloads by result (success, failure).',
      labelNames: ['result'],
      registers,
    }),
    modelInfo: new Gauge({
      name: 'inquiry_model_info',
      help: 'The model version being served (value 1).',
      labelNames: ['model_version'],
      registers,
    }),
    modelSwaps: new Counter({
      name: 'inquiry_model_swaps_total',
      help: 'Model hot swaps.',
      registers,
    }),
    databaseUp: new Gauge({
      name: 'inquiry_database_up',
      help: '1 when the last database check succeeded.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The HTTP series of one route, method and status. */
interface HttpSeries {
  requests: Counter.Internal;
  duration: Histogram.Internal<string>;
}

/**
 * Counts a request in inquiry_http_requests_total and its latency in
 * inquiry_http_request_duration_seconds; the children of each label set (a handful: routes ×
 * methods × statuses) are looked up once.
 */
export function httpRecorder(
  metrics: Metrics,
): (route: string, method: string, status: number, seconds: number) => void {
  const series = new Map<string, HttpSeries>();
  return (route, method, status, seconds) => {
    const key = `${route} ${method} ${status}`;
    let found = series.get(key);
    if (!found) {
      found = {
        requests: metrics.httpRequests.labels({ route, method, status: String(status) }),
        duration: metrics.httpDuration.labels({ route, method }),
      };
      series.set(key, found);
    }
    found.requests.inc();
    found.duration.observe(seconds);
  };
}
