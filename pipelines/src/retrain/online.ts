/**
 * `evaluate-online`: for each model version that served predictions, its accuracy against
 * human feedback over a window and the sample count, logged as metrics on that version's
 * training run in MLflow — the online evidence the operator's canary analysis reads.
 */
import type pg from 'pg';
import type { MlflowClient } from '../../../lib/mlflow/client.js';
import { onlineAccuracy } from '../../../lib/store/feedback.js';

export interface VersionAccuracy {
  modelVersion: string;
  accuracy: number;
  samples: number;
  heads: Record<string, { accuracy: number; samples: number }>;
  /** The MLflow run the metrics went to; null when no run carries this version. */
  runId: string | null;
}

/** Per model version: per-head accuracy and the mean over heads weighted by samples. */
export function summarize(
  rows: Awaited<ReturnType<typeof onlineAccuracy>>,
): Omit<VersionAccuracy, 'runId'>[] {
  const byVersion = new Map<string, Omit<VersionAccuracy, 'runId'>>();
  for (const row of rows) {
    const entry = byVersion.get(row.modelVersion) ?? {
      modelVersion: row.modelVersion,
      accuracy: 0,
      samples: 0,
      heads: {},
    };
    entry.heads[row.head] = { accuracy: row.correct / row.samples, samples: row.samples };
    entry.samples += row.samples;
    entry.accuracy += row.correct;
    byVersion.set(row.modelVersion, entry);
  }
  return [...byVersion.values()].map((entry) => ({
    ...entry,
    accuracy: entry.samples === 0 ? 0 : entry.accuracy / entry.samples,
  }));
}

export async function evaluateOnline(
  db: pg.Pool,
  client: MlflowClient,
  options: { pipeline: string; windowHours: number; now?: Date },
): Promise<VersionAccuracy[]> {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - options.windowHours * 3600_000);
  const versions = summarize(await onlineAccuracy(db, since));
  const experimentId = await client.ensureExperiment(`inquiry-platform/${options.pipeline}`);
  const results: VersionAccuracy[] = [];
  for (const version of versions) {
    const [run] = await client.searchRuns(
      [experimentId],
      `tags.\`inquiry.model_version\` = '${version.modelVersion.replaceAll("'", "\\'")}'`,
      1,
    );
    if (run) {
      await client.logBatch(run.info.run_id, {
        metrics: [
          { key: 'online.accuracy', value: version.accuracy, timestamp: now.getTime() },
          { key: 'online.samples', value: version.samples, timestamp: now.getTime() },
          ...Object.entries(version.heads).flatMap(([head, m]) => [
            { key: `online.${head}.accuracy`, value: m.accuracy, timestamp: now.getTime() },
            { key: `online.${head}.samples`, value: m.samples, timestamp: now.getTime() },
          ]),
        ],
      });
    }
    results.push({ ...version, runId: run?.info.run_id ?? null });
  }
  return results;
}
