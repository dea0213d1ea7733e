/**
 * `ingest`: reads a source, validates and normalizes each record, stores new inquiries
 * (de-duplicated by content hash, so a re-run stores nothing twice), puts bad records in the
 * quarantine with the reason, and records the run's statistics in pipeline_runs.
 */
import type pg from 'pg';
import { problemsText, validateInquiry, type InquiryInput } from '../../../lib/inquiry.js';
import { contentHash } from '../../../lib/inquiry.js';
import { insertFeedback, insertInquiries } from '../../../lib/store/inquiries.js';
import {
  finishRun,
  lastCheckpoint,
  quarantineRecords,
  startRun,
  type QuarantinedRecord,
} from '../../../lib/store/runs.js';
import { fieldText } from '../data/records.js';
import type { Source, SourceRecord } from './sources.js';

/** Why the signal stopped a run (`stopped by SIGTERM`). */
function stopReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : String(signal.reason);
}

export interface IngestOptions {
  batchSize?: number;
  /** Columns holding human labels (head names), stored as feedback for training. */
  labelColumns?: string[];
  onProgress?: (stats: IngestStats) => void;
  /**
   * Once aborted, the records read so far are committed and no more are read; the run is
   * recorded failed without a checkpoint (the next run reads them again; stored inquiries are
   * not stored twice) and the stats say `stopped`.
   */
  signal?: AbortSignal;
}

export interface IngestStats {
  runId: string;
  source: string;
  read: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  labels: number;
  durationSeconds: number;
  /** Where an incremental source resumes next time (S3: the newest object read). */
  checkpoint?: string;
  /** Why the run stopped before the source was read to its end, when a signal stopped it. */
  stopped?: string;
}

const FIELD_ALIASES: Record<string, string> = {
  id: 'external_id',
  message: 'body',
  text: 'body',
  content: 'body',
  title: 'subject',
  email: 'sender_email',
  from: 'sender_email',
  name: 'sender_name',
  timestamp: 'received_at',
  created_at: 'received_at',
};
/** Kept even when empty, so the quarantine says "must not be empty" rather than "is required". */
const REQUIRED_FIELDS = new Set(['body', 'sender_email']);
const INQUIRY_FIELDS = new Set([
  'subject',
  'body',
  'sender_email',
  'sender_name',
  'channel',
  'external_id',
  'received_at',
  'metadata',
]);

/**
 * A source record as a submit-shaped object: known fields (and common aliases) kept, label
 * columns set aside, any other field moved into `metadata`.
 */
export function toInquiryShape(record: unknown, labelColumns: readonly string[]): unknown {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return record;
  const shaped: Record<string, unknown> = {};
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    const field = INQUIRY_FIELDS.has(key) ? key : (FIELD_ALIASES[key] ?? key);
    if (labelColumns.includes(key)) continue;
    if (!INQUIRY_FIELDS.has(field) || field in shaped) {
      if (value !== null && value !== '') metadata[key] = value;
    } else if (value !== null && (value !== '' || REQUIRED_FIELDS.has(field))) {
      shaped[field] = field === 'external_id' && typeof value === 'number' ? String(value) : value;
    }
  }
  if (typeof shaped.metadata === 'string') {
    try {
      shaped.metadata = JSON.parse(shaped.metadata) as unknown;
    } catch {
      // left as a string: validation reports it
    }
  }
  if (Object.keys(metadata).length > 0) {
    const given = shaped.metadata;
    shaped.metadata =
      typeof given === 'object' && given !== null && !Array.isArray(given)
        ? { ...metadata, ...given }
        : metadata;
  }
  return shaped;
}

interface Accepted {
  inquiry: InquiryInput;
  labels: Record<string, string>;
}

export async function ingest(
  pool: pg.Pool,
  source: Source,
  options: IngestOptions = {},
): Promise<IngestStats> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 500;
  const labelColumns = options.labelColumns ?? [];
  source.incremental?.resumeFrom(await lastCheckpoint(pool, 'ingest', source.name));
  const runId = await startRun(pool, 'ingest', source.name);
  const stats: IngestStats = {
    runId,
    source: source.name,
    read: 0,
    stored: 0,
    duplicates: 0,
    quarantined: 0,
    labels: 0,
    durationSeconds: 0,
  };
  let accepted: Accepted[] = [];
  let rejected: QuarantinedRecord[] = [];

  const flush = async (): Promise<void> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { stored, duplicates } = await insertInquiries(
        client,
        accepted.map((a) => a.inquiry),
        source.name,
      );
      // Labels of the record that was stored, not of later copies of it.
      const labelled = new Set<string>();
      const feedback = accepted.flatMap(({ inquiry, labels }) => {
        const hash = contentHash(inquiry);
        const id = stored.get(hash);
        if (id === undefined || labelled.has(hash)) return [];
        labelled.add(hash);
        return Object.entries(labels).map(([head, label]) => ({
          inquiryId: id,
          head,
          label,
          reviewer: `ingest:${source.name}`,
        }));
      });
      await insertFeedback(client, feedback);
      await quarantineRecords(client, runId, source.name, rejected);
      await client.query('COMMIT');
      stats.stored += stored.size;
      stats.duplicates += duplicates;
      stats.labels += feedback.length;
      stats.quarantined += rejected.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
    accepted = [];
    rejected = [];
    options.onProgress?.({ ...stats, durationSeconds: (Date.now() - started) / 1000 });
  };

  const consider = ({ position, record, problem }: SourceRecord): void => {
    stats.read++;
    if (problem) {
      rejected.push({ position, reason: problem, record });
      return;
    }
    const result = validateInquiry(toInquiryShape(record, labelColumns));
    if (!result.ok) {
      rejected.push({ position, reason: problemsText(result.problems), record });
      return;
    }
    const labels: Record<string, string> = {};
    for (const column of labelColumns) {
      const label = fieldText((record as Record<string, unknown>)[column]);
      if (label) labels[column] = label;
    }
    accepted.push({ inquiry: result.value, labels });
  };

  try {
    for await (const item of source.records()) {
      consider(item);
      if (accepted.length + rejected.length >= batchSize) await flush();
      if (options.signal?.aborted) {
        stats.stopped = stopReason(options.signal);
        break;
      }
    }
    await flush();
    stats.durationSeconds = (Date.now() - started) / 1000;
    if (stats.stopped) {
      await finishRun(pool, runId, {
        status: 'failed',
        stats: { ...stats },
        error: `${stats.stopped} after ${stats.read} records`,
      });
      return stats;
    }
    const checkpoint = source.incremental?.checkpoint();
    if (checkpoint !== undefined) stats.checkpoint = checkpoint;
    await finishRun(pool, runId, { status: 'succeeded', stats: { ...stats } });
    return stats;
  } catch (error) {
    stats.durationSeconds = (Date.now() - started) / 1000;
    const message = error instanceof Error ? error.message : String(error);
    await finishRun(pool, runId, { status: 'failed', stats: { ...stats }, error: message }).catch(
      () => {},
    );
    throw new Error(`ingest from ${source.name} failed after ${stats.read} records: ${message}`, {
      cause: error,
    });
  }
}
