/**
 * `inquiry-pipeline predict`: per-row predictions of a bundle for a CSV or JSONL file, without
 * a database. Each output row has the input's row number (and `id`, when the input has one) and,
 * per head, the label, its confidence and every label's probability.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { ModelRuntime, joinText } from '../../../lib/model/runtime.js';
import { fieldText, readRecords, type DataRecord, type RecordFormat } from '../data/records.js';

export interface PredictCommandOptions {
  bundle: string;
  data: string;
  format?: RecordFormat;
  textFields: string[];
  /** Output file; default stdout. */
  out?: string;
  outFormat: RecordFormat;
  batchSize?: number;
}

/** One output row: flat columns for CSV, `scores` as an object per head for JSONL. */
export function predictionRow(
  row: number,
  record: DataRecord,
  classification: Awaited<ReturnType<ModelRuntime['classify']>>[number],
  format: RecordFormat,
): Record<string, unknown> {
  const out: Record<string, unknown> = { row };
  const id = fieldText(record.id);
  if (id !== undefined) out.id = id;
  for (const [head, prediction] of Object.entries(classification)) {
    out[head] = prediction.label;
    out[`${head}_confidence`] = prediction.confidence;
    if (format === 'jsonl') out[`${head}_scores`] = prediction.scores;
    else {
      for (const [label, score] of Object.entries(prediction.scores ?? {})) {
        out[`${head}_score_${label}`] = score;
      }
    }
  }
  return out;
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

export async function runPredict(
  options: PredictCommandOptions,
): Promise<{ rows: number; emptyText: number; version: string; out: string }> {
  const runtime = await ModelRuntime.load(options.bundle);
  const stream: Writable = options.out ? createWriteStream(options.out) : process.stdout;
  const batchSize = options.batchSize ?? 256;
  let header: string[] | undefined;
  let rows = 0;
  let emptyText = 0;
  let batch: { row: number; record: DataRecord; text: string }[] = [];
  let checkedFields = false;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const results = await runtime.classify(
      batch.map((item) => item.text),
      { allScores: true },
    );
    for (let i = 0; i < batch.length; i++) {
      const row = predictionRow(batch[i]!.row, batch[i]!.record, results[i]!, options.outFormat);
      if (options.outFormat === 'jsonl') await write(stream, `${JSON.stringify(row)}\n`);
      else {
        if (!header) {
          header = Object.keys(row);
          await write(stream, stringify([header]));
        }
        await write(stream, stringify([header.map((column) => row[column] ?? '')]));
      }
    }
    batch = [];
  };
  try {
    for await (const record of readRecords(options.data, options.format)) {
      rows++;
      if (!checkedFields) {
        checkedFields = true;
        if (!options.textFields.some((field) => field in record)) {
          throw new Error(
            `${options.data} has none of the text fields ${options.textFields.join(', ')}; its first row has: ${Object.keys(record).join(', ')} (pass --text)`,
          );
        }
      }
      const text = joinText(options.textFields.map((field) => fieldText(record[field])));
      if (text === '') emptyText++;
      batch.push({ row: rows, record, text });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    await runtime.release();
    if (options.out) {
      stream.end();
      await once(stream, 'finish');
    }
  }
  return { rows, emptyText, version: runtime.version, out: options.out ?? '(stdout)' };
}
