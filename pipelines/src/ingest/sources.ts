/**
 * Where ingest reads records from: a JSONL/CSV file or a folder of them, an HTTP JSON endpoint
 * with paging, or a PostgreSQL staging table (S3 buckets: s3.ts). Each yields records with their
 * position in the source (file:line, page:index, table:row) for the quarantine.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import {
  formatOf,
  jsonLineEntries,
  readRecords,
  type DataRecord,
  type RecordFormat,
  type RecordInput,
} from '../data/records.js';

export interface SourceRecord {
  position: string;
  record: unknown;
  /** Set when the source could not even read the record (e.g. a line that is not JSON). */
  problem?: string;
}

export interface Source {
  /** A name for logs, the runs table and the `source` column, without credentials. */
  name: string;
  records(): AsyncIterable<SourceRecord>;
  /**
   * A source that reads only what is new since its last successful run: it is given that run's
   * checkpoint before reading, and says the one to keep once it has read everything.
   */
  incremental?: {
    resumeFrom(checkpoint: string | undefined): void;
    checkpoint(): string | undefined;
  };
}

export const RECORD_FILE = /\.(jsonl|ndjson|json|csv)$/i;

/** The records of one JSONL or CSV file (or object), positioned by `name:line` / `name:row n`. */
export async function* fileRecords(
  name: string,
  input: RecordInput,
  format: RecordFormat,
): AsyncGenerator<SourceRecord> {
  if (format === 'jsonl') {
    for await (const entry of jsonLineEntries(input)) {
      yield 'error' in entry
        ? { position: `${name}:${entry.line}`, record: entry.raw, problem: entry.error }
        : { position: `${name}:${entry.line}`, record: entry.record };
    }
  } else {
    let row = 0;
    const rows =
      typeof input === 'string' ? readRecords(input, format) : readRecords(input, format, name);
    for await (const record of rows) yield { position: `${name}:row ${++row}`, record };
  }
}

/** A file, or every .jsonl/.csv file of a folder (sorted, not recursive). */
export function fileSource(target: string): Source {
  return {
    name: `file:${path.basename(target)}`,
    async *records() {
      const info = await stat(target).catch((cause: unknown) => {
        throw new Error(`cannot read ${target}: it does not exist or is not readable`, { cause });
      });
      const files = info.isDirectory()
        ? (await readdir(target))
            .filter((file) => RECORD_FILE.test(file))
            .sort()
            .map((file) => path.join(target, file))
        : [target];
      for (const file of files) yield* fileRecords(path.basename(file), file, formatOf(file));
    },
  };
}

export interface HttpSourceOptions {
  /** Query parameter for page numbers (1, 2, …) when responses carry no `next` link. */
  pageParam?: string;
  maxPages?: number;
  headers?: Record<string, string>;
  attempts?: number;
}

const ITEM_FIELDS = ['items', 'data', 'results', 'records', 'inquiries'];
const NEXT_FIELDS = ['next', 'next_url', 'nextUrl', 'next_page_url'];

async function fetchJson(url: string, options: HttpSourceOptions): Promise<unknown> {
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json', ...options.headers },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      if (attempt >= attempts) {
        throw new Error(`GET ${redact(url)} failed after ${attempts} attempts`, { cause });
      }
      await sleep(200 * 2 ** (attempt - 1));
      continue;
    }
    if (response.ok) return await response.json();
    await response.body?.cancel();
    const retriable = response.status === 429 || response.status >= 500;
    if (!retriable || attempt >= attempts)
      throw new Error(`GET ${redact(url)} answered ${response.status}`);
    await sleep(200 * 2 ** (attempt - 1));
  }
}

/** The URL without credentials or query string, for logs. */
function redact(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * Pages through a JSON endpoint. A page is an array of records, or an object with the records
 * under items/data/results/records/inquiries and, optionally, a `next` URL. Without a `next`
 * link, `pageParam` asks page 1, 2, … until a page comes back empty.
 */
export function httpSource(url: string, options: HttpSourceOptions = {}): Source {
  const maxPages = options.maxPages ?? 10_000;
  const { pageParam } = options;
  return {
    name: `http:${redact(url)}`,
    async *records() {
      let next: string | undefined = pageParam ? withParam(url, pageParam, 1) : url;
      for (let page = 1; next !== undefined && page <= maxPages; page++) {
        const { items, nextLink } = pageOf(await fetchJson(next, options), next);
        for (const [index, record] of items.entries()) {
          yield { position: `page ${page}:${index + 1}`, record };
        }
        if (nextLink) next = nextLink;
        else if (pageParam && items.length > 0) next = withParam(url, pageParam, page + 1);
        else next = undefined;
      }
    },
  };
}

function withParam(url: string, param: string, value: number): string {
  const parsed = new URL(url);
  parsed.searchParams.set(param, String(value));
  return parsed.toString();
}

function pageOf(body: unknown, base: string): { items: unknown[]; nextLink: string | undefined } {
  if (Array.isArray(body)) return { items: body, nextLink: undefined };
  if (typeof body !== 'object' || body === null)
    throw new Error('the endpoint did not answer with a JSON array or object');
  const object = body as Record<string, unknown>;
  const field = ITEM_FIELDS.find((name) => Array.isArray(object[name]));
  if (!field) throw new Error(`the endpoint's JSON has no array under ${ITEM_FIELDS.join(', ')}`);
  const link = NEXT_FIELDS.map((name) => object[name]).find(
    (value) => typeof value === 'string' && value !== '',
  );
  return {
    items: object[field] as unknown[],
    nextLink: link ? new URL(link, base).toString() : undefined,
  };
}

/** Rows of a staging table (`table` or `schema.table`), read with a cursor, as JSON objects. */
export function stagingTableSource(pool: pg.Pool, table: string, batchSize = 1000): Source {
  return {
    name: `table:${table}`,
    async *records() {
      const client = await pool.connect();
      const identifier = table
        .split('.')
        .map((part) => client.escapeIdentifier(part))
        .join('.');
      try {
        await client.query('BEGIN READ ONLY');
        await client.query(
          `DECLARE staging CURSOR FOR SELECT to_jsonb(t) AS record FROM ${identifier} t`,
        );
        let row = 0;
        for (;;) {
          const { rows } = await client.query<{ record: DataRecord }>(
            `FETCH ${batchSize} FROM staging`,
          );
          for (const { record } of rows) yield { position: `${table}:${++row}`, record };
          if (rows.length < batchSize) break;
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw new Error(`reading staging table ${table} failed`, { cause: error });
      } finally {
        client.release();
      }
    },
  };
}
