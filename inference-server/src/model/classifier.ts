/**
 * The one way the server classifies: every entry point (classify, batch, submit, the Open
 * Inference Protocol) goes through here, so each model version's metrics — inference duration,
 * confidence and predictions by head — are recorded the same way, and a canary is judged on
 * all of its traffic.
 */
import type { Counter, Histogram } from 'prom-client';
import type { Classification } from '../../../lib/model/runtime.js';
import { unavailable } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { ModelHolder } from './holder.js';

export interface Classified {
  version: string;
  results: Classification[];
}

interface HeadMetrics {
  inferences: Counter.Internal;
  confidence: Histogram.Internal<string>;
}

export class Classifier {
  /** Metric children by version and head, and by head and label: label sets hashed once. */
  private readonly heads = new Map<string, HeadMetrics>();
  private readonly labels = new Map<string, Counter.Internal>();
  private readonly durations = new Map<string, Histogram.Internal<string>>();

  constructor(
    private readonly models: ModelHolder,
    private readonly metrics: Metrics,
  ) {}

  get ready(): boolean {
    return this.models.ready;
  }

  /** Classifies `texts` with the current model; 503 while no model is loaded. */
  async classify(texts: string[]): Promise<Classified> {
    if (!this.models.ready) throw unavailable('the model is still loading; retry shortly');
    const started = performance.now();
    const out = await this.models.classify(texts);
    this.duration(out.version).observe((performance.now() - started) / 1000);
    for (const result of out.results) {
      for (const head in result) {
        const prediction = result[head]!;
        const metrics = this.head(out.version, head);
        metrics.inferences.inc();
        metrics.confidence.observe(prediction.confidence);
        this.label(head, prediction.label).inc();
      }
    }
    return out;
  }

  private duration(version: string): Histogram.Internal<string> {
    let child = this.durations.get(version);
    if (!child) {
      child = this.metrics.inferenceDuration.labels({ model_version: version });
      this.durations.set(version, child);
    }
    return child;
  }

  private head(version: string, head: string): HeadMetrics {
    const key = `${version}\u0000${head}`;
    let child = this.heads.get(key);
    if (!child) {
      child = {
        inferences: this.metrics.inferences.labels({ model_version: version, head }),
        confidence: this.metrics.confidence.labels({ head, model_version: version }),
      };
      this.heads.set(key, child);
    }
    return child;
  }

  private label(head: string, label: string): Counter.Internal {
    const key = `${head}\u0000${label}`;
    let child = this.labels.get(key);
    if (!child) {
      child = this.metrics.predictions.labels({ head, label });
      this.labels.set(key, child);
    }
    return child;
  }
}
