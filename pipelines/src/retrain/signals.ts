/** Gathers what `decideRetrain` needs from the database and the champion's manifest. */
import type pg from 'pg';
import type { ModelManifest } from '../../../lib/model/bundle.js';
import {
  feedbackCountSince,
  onlineAccuracy,
  predictionDistribution,
} from '../../../lib/store/feedback.js';
import type { RetrainSignals } from './decide.js';
import { populationStabilityIndex } from './drift.js';
import { summarize } from './online.js';

/** When the last successful training finished (epoch 0 when there was none). */
export async function lastTraining(db: pg.Pool): Promise<Date> {
  const { rows } = await db.query<{ at: Date | null }>(
    `SELECT max(finished_at) AS at FROM pipeline_runs WHERE step = 'train' AND status = 'succeeded'`,
  );
  return rows[0]?.at ?? new Date(0);
}

export async function gatherSignals(
  db: pg.Pool,
  champion: ModelManifest,
  options: { windowHours: number; now?: Date },
): Promise<RetrainSignals> {
  const now = options.now ?? new Date();
  const window = new Date(now.getTime() - options.windowHours * 3600_000);
  const drift: RetrainSignals['drift'] = {};
  let recentPredictions = 0;
  for (const head of champion.heads) {
    const reference = champion.reference?.[head.name];
    if (!reference) continue;
    const recent = await predictionDistribution(db, champion.version, head.name, window);
    recentPredictions = Math.max(recentPredictions, recent.total);
    drift[head.name] = {
      labels: populationStabilityIndex(
        reference.predicted,
        head.labels.map((label) => recent.labels.get(label) ?? 0),
      ),
      confidence: populationStabilityIndex(reference.confidence, recent.confidence),
    };
  }
  const online = summarize(await onlineAccuracy(db, window)).find(
    (v) => v.modelVersion === champion.version,
  );
  return {
    newLabels: await feedbackCountSince(db, await lastTraining(db)),
    drift,
    recentPredictions,
    onlineAccuracy: online ? online.accuracy : null,
    onlineSamples: online?.samples ?? 0,
  };
}
