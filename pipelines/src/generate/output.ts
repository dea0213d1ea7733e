/** Serialises generated inquiries as JSON Lines or CSV, one chunk per record. */
import { stringify } from 'csv-stringify/sync';
import type { GeneratedInquiry } from './inquiries.js';

export type OutputFormat = 'jsonl' | 'csv';

/** CSV columns, in the field order of GeneratedInquiry. */
export const CSV_COLUMNS = [
  'id',
  'subject',
  'body',
  'sender_email',
  'sender_name',
  'channel',
  'received_at',
  'category',
  'sentiment',
  'urgency',
  'true_category',
  'true_sentiment',
  'true_urgency',
] as const satisfies readonly (keyof GeneratedInquiry)[];

function csvRow(values: readonly string[]): string {
  return stringify([values]);
}

/**
 * Yields the records as text chunks, each ending with a newline: for jsonl one JSON object per
 * record; for csv a header line, then one RFC 4180 row per record (fields holding commas, quotes
 * or newlines are quoted). Lazy: consumes `records` one at a time.
 */
export function* formatInquiries(
  records: Iterable<GeneratedInquiry>,
  format: OutputFormat,
): Generator<string> {
  if (format === 'jsonl') {
    for (const record of records) yield `${JSON.stringify(record)}\n`;
    return;
  }
  if (format !== 'csv') throw new RangeError(`unknown output format: ${String(format)}`);
  yield csvRow(CSV_COLUMNS);
  for (const record of records) yield csvRow(CSV_COLUMNS.map((column) => record[column]));
}
