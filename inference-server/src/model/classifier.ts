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
  /** inquiry_predictions_total's child of each label of the head. */
  labels: Map<string, Counter.Internal>;
}

/** A model version's metric children: label sets hashed once, no key built per prediction. */
interface VersionMetrics {
  duration: Histogram.Internal<string>;
  heads: Map<string, HeadMetrics>;
}

export class Classifier {
  private readonly versions = new Map<string, VersionMetrics>();

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
    const version = this.version(out.version);
    version.duration.observe((performance.now() - started) / 1000);
    for (const result of out.results) {
      for (const head in result) {
        const prediction = result[head]!;
        const metrics = this.head(version, out.version, head);
        metrics.inferences.inc();
        metrics.confidence.observe(prediction.confidence);
        let label = metrics.labels.get(prediction.label);
        if (!label) {
          label = this.metrics.predictions.labels({ head, label: prediction.label });
          metrics.labels.set(prediction.label, label);
        }
        label.inc();
      }
    }
    return out;
  }

  private version(version: string): VersionMetrics {
    let found = this.versions.get(version);
    if (!found) {
      found = {
        duration: this.metrics.inferenceDuration.labels({ model_version: version }),
        heads: new Map(),
      };
      this.versions.set(version, found);
    }
    return found;
  }

  private head(metrics: VersionMetrics, version: string, head: string): HeadMetrics {
    let found = metrics.heads.get(head);
    if (!found) {
      found = {
        inferences: this.metrics.inferences.labels({ model_version: version, head }),
        confidence: this.metrics.confidence.labels({ head, model_version: version }),
        labels: new Map(),
      };
      metrics.heads.set(head, found);
    }
    return found;
  }
}
