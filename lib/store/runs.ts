/** Pipeline run bookkeeping (pipeline_runs) and quarantined input records (quarantine). */
import type pg from 'pg';

/** JSON that jsonb accepts: no NUL characters, no unpaired surrogates (bad input often has both). */
function storableJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, item: unknown) =>
    typeof item === 'string' ? item.toWellFormed().replaceAll('\u0000', '\ufffd') : item,
  );
}

export type RunStats = Record<string, number | string>;

export async function startRun(db: pg.Pool, step: string, source: string | null): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO pipeline_runs (step, source, status) VALUES ($1, $2, 'running') RETURNING id`,
    [step, source],
  );
  return rows[0]!.id;
}

export async function finishRun(
  db: pg.Pool,
  id: string,
  outcome: { status: 'succeeded' | 'failed'; stats: RunStats; error?: string },
): Promise<void> {
  await db.query(
    `UPDATE pipeline_runs SET status = $2, stats = $3::jsonb, error = $4, finished_at = now() WHERE id = $1`,
    [id, outcome.status, JSON.stringify(outcome.stats), outcome.error ?? null],
  );
}

export interface QuarantinedRecord {
  position: string;
  reason: string;
  record: unknown;
}

export async function quarantineRecords(
  db: pg.Pool | pg.PoolClient,
  runId: string,
  source: string,
  records: readonly QuarantinedRecord[],
): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `INSERT INTO quarantine (run_id, source, position, reason, record)
     SELECT $1, $2, p, r, rec::jsonb FROM unnest($3::text[], $4::text[], $5::text[]) AS t(p, r, rec)`,
    [
      runId,
      source,
      records.map((r) => r.position),
      records.map((r) => r.reason),
      records.map((r) => storableJson(r.record)),
    ],
  );
}

/** The checkpoint of the step's last successful run from this source (incremental sources). */
export async function lastCheckpoint(
  db: pg.Pool,
  step: string,
  source: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ checkpoint: string }>(
    `SELECT stats->>'checkpoint' AS checkpoint FROM pipeline_runs
     WHERE step = $1 AND source = $2 AND status = 'succeeded' AND stats ? 'checkpoint'
     ORDER BY started_at DESC LIMIT 1`,
    [step, source],
  );
  return rows[0]?.checkpoint;
}
