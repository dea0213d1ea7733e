/**
 * Whether to retrain, from the pipeline's triggers and what was observed since the last
 * training: enough new human labels, drift of the predictions or of their confidence, or
 * online accuracy falling below a floor. Pure: the signals are gathered elsewhere.
 */

export interface RetrainTriggers {
  /** Retrain once this many new feedback labels arrived (0: never for this reason). */
  minNewLabels: number;
  /** Retrain when any head's PSI (labels or confidence) exceeds this. */
  driftThreshold: number;
  /** Retrain when online accuracy drops below this (with at least `minSamples` labels). */
  minOnlineAccuracy: number;
  minSamples: number;
}

export const DEFAULT_TRIGGERS: RetrainTriggers = {
  minNewLabels: 500,
  driftThreshold: 0.2,
  minOnlineAccuracy: 0.8,
  minSamples: 50,
};

export interface RetrainSignals {
  newLabels: number;
  /** Per head: PSI of predicted labels and of confidence deciles, against the reference. */
  drift: Record<string, { labels: number; confidence: number }>;
  /** Recent predictions the drift was measured on. */
  recentPredictions: number;
  onlineAccuracy: number | null;
  onlineSamples: number;
}

export interface RetrainDecision {
  retrain: boolean;
  reasons: string[];
}

export function decideRetrain(signals: RetrainSignals, triggers: RetrainTriggers): RetrainDecision {
  const reasons: string[] = [];
  if (triggers.minNewLabels > 0 && signals.newLabels >= triggers.minNewLabels) {
    reasons.push(`${signals.newLabels} new feedback labels (trigger: ${triggers.minNewLabels})`);
  }
  if (signals.recentPredictions >= triggers.minSamples) {
    for (const [head, psi] of Object.entries(signals.drift)) {
      for (const [kind, value] of Object.entries(psi)) {
        if (value > triggers.driftThreshold) {
          reasons.push(
            `${head} ${kind} drifted: PSI ${value.toFixed(3)} > ${triggers.driftThreshold}`,
          );
        }
      }
    }
  }
  if (
    signals.onlineAccuracy !== null &&
    signals.onlineSamples >= triggers.minSamples &&
    signals.onlineAccuracy < triggers.minOnlineAccuracy
  ) {
    reasons.push(
      `online accuracy ${signals.onlineAccuracy.toFixed(3)} < ${triggers.minOnlineAccuracy} over ${signals.onlineSamples} labels`,
    );
  }
  return {
    retrain: reasons.length > 0,
    reasons: reasons.length > 0 ? reasons : ['no trigger fired'],
  };
}
