/**
 * `classify-batch`: claims unclassified inquiries in batches (FOR UPDATE SKIP LOCKED, so shards
 * running at once never take the same row), classifies them with the serving runtime, routes
 * them with the routing engine, and stores predictions and decisions in the same transaction.
 */
import type pg from 'pg';
import type { ModelRuntime } from '../../../lib/model/runtime.js';
import { inquiryText } from '../../../lib/model/runtime.js';
import { ConsultantAssigner } from '../../../lib/routing/engine.js';
import type { Policy } from '../../../lib/routing/policy.js';
import { routeInquiry } from '../../../lib/routing/route-inquiry.js';
import { lockConsultantLoads, saveClassifications } from '../../../lib/store/classifications.js';

/** Why the signal stopped a run (`stopped by SIGTERM`). */
function stopReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
}

export interface Shard {
  index: number;
  count: number;
}

/** Parses `i/n` (0 ≤ i < n). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new Error(`--shard must be i/n with 0 <= i < n (e.g. 0/4), not "${text}"`);
  }
  return { index, count };
}

export interface ClassifyBatchOptions {
  shard?: Shard;
  batchSize?: number;
  /** Stop after this many inquiries (default: until none is left). */
  limit?: number;
  onBatch?: (stats: ClassifyBatchStats) => void;
  /** Once aborted, no new batch starts (the one in hand commits); the stats say `stopped`. */
  signal?: AbortSignal;
}

export interface ClassifyBatchStats {
  classified: number;
  batches: number;
  escalated: number;
  triaged: number;
  seconds: number;
  perSecond: number;
  modelVersion: string;
  /** Why the run stopped before every inquiry was classified, when a signal stopped it. */
  stopped?: string;
}

interface ClaimedRow {
  id: string;
  subject: string;
  body: string;
  sender_email: string;
  received_at: Date;
}

export async function classifyBatch(
  pool: pg.Pool,
  runtime: ModelRuntime,
  policy: Policy,
  options: ClassifyBatchOptions = {},
): Promise<ClassifyBatchStats> {
  const started = Date.now();
  const shard = options.shard ?? { index: 0, count: 1 };
  const batchSize = options.batchSize ?? 512;
  const stats: ClassifyBatchStats = {
    classified: 0,
    batches: 0,
    escalated: 0,
    triaged: 0,
    seconds: 0,
    perSecond: 0,
    modelVersion: runtime.version,
  };
  const allConsultants = [...policy.pools.values()].flat();
  for (;;) {
    const wanted =
      options.limit === undefined
        ? batchSize
        : Math.min(batchSize, options.limit - stats.classified);
    if (wanted <= 0) break;
    if (options.signal?.aborted) {
      stats.stopped = stopReason(options.signal);
      break;
    }
    const client = await pool.connect();
    let claimed: ClaimedRow[];
    try {
      await client.query('BEGIN');
      ({ rows: claimed } = await client.query<ClaimedRow>(
        `SELECT id, subject, body, sender_email, received_at FROM inquiries
          WHERE classified_at IS NULL AND mod(hashtext(id::text)::bigint + 2147483648, $1) = $2
          ORDER BY created_at, id
          LIMIT $3
          FOR UPDATE SKIP LOCKED`,
        [shard.count, shard.index, wanted],
      ));
      if (claimed.length > 0) {
        const classifications = await runtime.classify(claimed.map((row) => inquiryText(row)));
        const assigner = new ConsultantAssigner(await lockConsultantLoads(client, allConsultants));
        const items = claimed.map((row, i) => {
          const { urgency, decision } = routeInquiry(
            row,
            classifications[i]!,
            policy,
            assigner.assign,
          );
          if (decision.escalated) stats.escalated++;
          if (decision.triaged) stats.triaged++;
          return { inquiryId: row.id, classification: classifications[i]!, urgency, decision };
        });
        await saveClassifications(client, runtime.version, items);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw new Error(
        `classify-batch (shard ${shard.index}/${shard.count}) failed after ${stats.classified} inquiries`,
        { cause: error },
      );
    } finally {
      client.release();
    }
    if (claimed.length === 0) break;
    stats.classified += claimed.length;
    stats.batches++;
    stats.seconds = (Date.now() - started) / 1000;
    stats.perSecond = stats.classified / Math.max(stats.seconds, 1e-3);
    options.onBatch?.({ ...stats });
  }
  stats.seconds = (Date.now() - started) / 1000;
  stats.perSecond = stats.classified / Math.max(stats.seconds, 1e-3);
  return stats;
}
