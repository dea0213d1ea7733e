/**
 * Reading record files (JSONL or CSV) as plain objects, streamed, with errors that name the file,
 * line and column (`file:line:column: …`). Used by every step that takes a file: train,
 * evaluate, predict, ingest.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline, type Readable } from 'node:stream';
import { parse } from 'csv-parse';

export type RecordFormat = 'jsonl' | 'csv';
export type DataRecord = Record<string, unknown>;

export class RecordFileError extends Error {
  override name = 'RecordFileError';
}

/** A field as text: strings as they are, numbers and booleans printed, empty or missing → undefined. */
export function fieldText(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (typeof value === 'object' && value !== null) text = JSON.stringify(value);
  return text === '' ? undefined : text;
}

/** The format named by a file's extension (`.jsonl`, `.ndjson`, `.json`, `.csv`). */
export function formatOf(file: string): RecordFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (['.jsonl', '.ndjson', '.json'].includes(extension)) return 'jsonl';
  throw new RecordFileError(
    `cannot tell the format of ${file}: use a .jsonl or .csv file, or pass --format`,
  );
}

/** A line of a JSONL file: its record, or why it is not one. */
export type JsonLine =
  | { line: number; record: DataRecord }
  | { line: number; error: string; raw: string; column: number; detail?: string };

/** A file's path, or a stream of its bytes (an object read from S3). */
export type RecordInput = string | Readable;

const UNREADABLE: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};

/** A file that cannot be opened, said as a person would; other errors as they are. */
function unreadable(name: string, cause: unknown): unknown {
  const reason = UNREADABLE[(cause as { code?: string } | undefined)?.code ?? ''];
  return reason ? new RecordFileError(`cannot read ${name}: ${reason}`, { cause }) : cause;
}

/** The lines of a JSONL file, bad ones included (ingest quarantines them). */
export async function* jsonLineEntries(file: RecordInput): AsyncGenerator<JsonLine> {
  const input = typeof file === 'string' ? createReadStream(file) : file;
  const lines = createInterface({ input: input.setEncoding('utf8'), crlfDelay: Infinity });
  try {
    yield* jsonLineEntriesOf(lines);
  } catch (cause) {
    throw unreadable(typeof file === 'string' ? file : 'stream', cause);
  }
}

async function* jsonLineEntriesOf(lines: AsyncIterable<string>): AsyncGenerator<JsonLine> {
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      const position = /at position (\d+)/.exec(detail);
      const column = position ? Number(position[1]) + 1 : text.length;
      yield { line, error: 'not valid JSON', raw: text, column, detail };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, error: 'not a JSON object', raw: text, column: 1 };
      continue;
    }
    yield { line, record: value as DataRecord };
  }
}

async function* jsonLines(file: RecordInput, name: string): AsyncGenerator<DataRecord> {
  for await (const entry of jsonLineEntries(file)) {
    if ('error' in entry) {
      throw new RecordFileError(
        `${name}:${entry.line}:${entry.column}: ${entry.error}${entry.detail ? ` (${entry.detail})` : ''}`,
      );
    }
    yield entry.record;
  }
}

async function* csvRows(file: RecordInput, name: string): AsyncGenerator<DataRecord> {
  const parser = parse({
    columns: true,
    bom: true,
    skip_empty_lines: true,
    relax_column_count: false,
  });
  // pipeline, not pipe: a file that cannot be read fails the parser's iteration (pipe would leave
  // the error unhandled and the process would die of it).
  pipeline(typeof file === 'string' ? createReadStream(file) : file, parser, () => {});
  try {
    for await (const row of parser) yield row as DataRecord;
  } catch (cause) {
    const failure = unreadable(name, cause);
    if (failure !== cause) throw failure;
    // csv-parse's errors carry the line, the field index and the column name.
    const at = cause as { lines?: number; index?: number; column?: string | number };
    const where =
      at.lines === undefined
        ? ''
        : `:${at.lines}${at.index === undefined ? '' : `:${at.index + 1}`}`;
    const column = typeof at.column === 'string' ? ` (column "${at.column}")` : '';
    throw new RecordFileError(
      `${name}${where}: ${cause instanceof Error ? cause.message : String(cause)}${column}`,
      { cause },
    );
  }
}

/** Streams the records of a JSONL or CSV file (a stream needs its format and a name). */
export function readRecords(file: string, format?: RecordFormat): AsyncGenerator<DataRecord>;
export function readRecords(
  file: Readable,
  format: RecordFormat,
  name: string,
): AsyncGenerator<DataRecord>;
export function readRecords(
  file: RecordInput,
  format?: RecordFormat,
  name?: string,
): AsyncGenerator<DataRecord> {
  const label = name ?? (typeof file === 'string' ? file : 'stream');
  const chosen = format ?? formatOf(label);
  return chosen === 'csv' ? csvRows(file, label) : jsonLines(file, label);
}

export async function readAllRecords(file: string, format?: RecordFormat): Promise<DataRecord[]> {
  const records: DataRecord[] = [];
  for await (const record of readRecords(file, format)) records.push(record);
  return records;
}
