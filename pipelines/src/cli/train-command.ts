/** `inquiry-pipeline train`: a bundle from a labeled JSONL/CSV file. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../lib/logger.js';
import { inquiryText, joinText } from '../../../lib/model/runtime.js';
import { labeledInquiries } from '../../../lib/store/feedback.js';
import { migrate } from '../../../lib/store/migrate.js';
import { createPool } from '../../../lib/store/pool.js';
import { finishRun, startRun, type RunStats } from '../../../lib/store/runs.js';
import { fieldText, readAllRecords, type DataRecord, type RecordFormat } from '../data/records.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  trainModel,
  writeBundle,
  type LabeledText,
  type TrainOptions,
} from '../train/train.js';
import { Random } from '../train/fasttext.js';
import { OUT_OF_SCOPE_FILE, REAL_DATA_DIR } from '../train/real-data.js';
import { EXPORT_TOLERANCE, verifyExport } from '../train/verify.js';
import { createProgress } from './progress.js';

export interface TrainCommandOptions {
  /** A labeled file, or (with `database`) nothing. */
  data?: string;
  /** Train on the database's inquiries: human feedback, else confident predictions. */
  database?: { url: string; minPredictionConfidence: number };
  format?: RecordFormat;
  test?: string;
  /** Write the held-out test examples here (JSON lines: text + one column per head). */
  writeTest?: string;
  out: string;
  textFields: string[];
  /**
   * A column saying which heads' temperatures a row fits (`LabeledText.calibrate`): empty,
   * `true`, `yes` or `1` every head's; `false`, `no` or `0` none; else head names, comma-separated.
   */
  calibrateColumn?: string;
  /**
   * A column naming the heads a row is out of scope for (`LabeledText.outlierFor`: it trains
   * them towards equal probabilities): empty, `false`, `no` or `0` none; `true`, `yes` or `1`
   * every head the row has no label for; else head names, comma-separated.
   */
  outlierColumn?: string;
  /**
   * Out-of-scope text added to the training data, whatever it comes from (`--out-of-scope`): the
   * rows of `source`, a file, or `builtin` (the text the default model learns its category
   * scope from, `OUT_OF_SCOPE_FILE`), each an outlier for `heads` (`LabeledText.outlierFor`).
   * At most `share` × the examples labeled for those heads are used, sampled with the seed.
   */
  outOfScope?: OutOfScopeOptions;
  /** `head` or `head=column`. */
  labels: string[];
  overrides: Partial<TrainOptions>;
}

/** Parses `category,sentiment` or `intent=label_column` into head → column. */
export function labelColumns(specs: string[]): Map<string, string> {
  const columns = new Map<string, string>();
  for (const spec of specs
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [head, column = head] = spec.split('=').map((part) => part.trim());
    if (!head || !column) throw new Error(`bad --labels entry "${spec}": use head or head=column`);
    columns.set(head, column);
  }
  if (columns.size === 0)
    throw new Error('--labels names no column: e.g. --labels category,sentiment,urgency');
  return columns;
}

export interface OutOfScopeOptions {
  source: string;
  heads: string[];
  share: number;
}

/** `--out-of-scope builtin`: the out-of-scope text the default model trains with. */
export const BUILTIN_OUT_OF_SCOPE = 'builtin';
/** The column `--write-test` names each row's out-of-scope heads in (`evaluate --outlier-column`). */
export const OUT_OF_SCOPE_COLUMN = 'outOfScope';

/**
 * The out-of-scope examples to add to `data`: the records' texts (the text fields joined, or
 * `text` when the file has none of them), sampled down to `share` × the examples of `data`
 * labeled for one of `heads`, in the file's order. A head not trained is refused.
 */
export function outOfScopeExamples(
  records: DataRecord[],
  textFields: string[],
  data: readonly LabeledText[],
  { source, heads, share }: OutOfScopeOptions,
  trained: readonly string[],
  seed: number,
): LabeledText[] {
  const unknown = heads.filter((head) => !trained.includes(head));
  if (unknown.length > 0)
    throw new Error(
      `--out-of-scope-heads names ${unknown.join(', ')}, not among the heads trained (${trained.join(', ')})`,
    );
  const fields = textFields.some((field) => records.some((record) => field in record))
    ? textFields
    : ['text'];
  if (!records.some((record) => fields.some((field) => field in record)))
    throw new Error(
      `${source} has no text column (${[...new Set([...textFields, 'text'])].join(', ')}); its columns are: ${Object.keys(records[0] ?? {}).join(', ') || '(no records)'}`,
    );
  const texts = records
    .map((record) => joinText(fields.map((field) => fieldText(record[field]))))
    .filter((text) => text !== '');
  const labeled = data.filter((example) => heads.some((head) => example.labels[head])).length;
  const limit = Math.floor(labeled * share);
  const kept =
    texts.length <= limit
      ? texts
      : new Random(seed)
          .shuffle([...texts.keys()])
          .slice(0, limit)
          .sort((a, b) => a - b)
          .map((i) => texts[i]!);
  return kept.map((text) => ({ text, labels: {}, outlierFor: [...heads] }));
}

/** Columns of a row that say how it trains (see TrainCommandOptions). */
export interface RowFlagColumns {
  calibrateColumn?: string;
  outlierColumn?: string;
}

export function toLabeledTexts(
  records: DataRecord[],
  textFields: string[],
  columns: Map<string, string>,
  source: string,
  { calibrateColumn, outlierColumn }: RowFlagColumns = {},
): LabeledText[] {
  const flagColumns = [calibrateColumn, outlierColumn].filter((c): c is string => Boolean(c));
  const missing = [...textFields, ...columns.values(), ...flagColumns].filter(
    (column) => !records.some((record) => column in record),
  );
  if (missing.length > 0) {
    const seen = Object.keys(records[0] ?? {}).join(', ') || '(no records)';
    throw new Error(`${source} has no column ${missing.join(', ')}; its columns are: ${seen}`);
  }
  const heads = [...columns.keys()];
  return records
    .map((record, i) => {
      const labels = Object.fromEntries(
        [...columns].map(([head, column]) => [head, fieldText(record[column])]),
      );
      const where = (column: string) => () => `${source}, record ${i + 1}, column ${column}`;
      const outlierFor = outlierColumn
        ? outlierHeads(record[outlierColumn], labels, where(outlierColumn))
        : [];
      return {
        text: joinText(textFields.map((field) => fieldText(record[field]))),
        labels,
        ...(outlierFor.length > 0 ? { outlierFor } : {}),
        ...(calibrateColumn
          ? { calibrate: calibrateFlag(record[calibrateColumn], heads, where(calibrateColumn)) }
          : {}),
      };
    })
    .filter((example) => example.text !== '');
}

/** A `--calibrate-column` value: true (every head), false (none) or the heads it names. */
export function calibrateFlag(
  value: unknown,
  heads: readonly string[],
  where: () => string,
): boolean | string[] {
  return headsFlag(value, heads, where, true);
}

/**
 * An `--outlier-column` value: the heads the row is out of scope for; true means every head the
 * row has no label for. A head that the row also labels is refused.
 */
export function outlierHeads(
  value: unknown,
  labels: Record<string, string | undefined>,
  where: () => string,
): string[] {
  const heads = Object.keys(labels);
  const flag = headsFlag(value, heads, where, false);
  const named = flag === true ? heads.filter((head) => !labels[head]) : flag === false ? [] : flag;
  const labeled = named.filter((head) => labels[head]);
  if (labeled.length > 0)
    throw new Error(
      `${where()}: the row is out of scope for ${labeled.join(', ')} but also has a label for it; give one or the other`,
    );
  return named;
}

/** true, false or head names; `empty` is what an empty cell means. */
function headsFlag(
  value: unknown,
  heads: readonly string[],
  where: () => string,
  empty: boolean,
): boolean | string[] {
  if (typeof value === 'boolean') return value;
  const text = (fieldText(value) ?? '').trim();
  const word = text.toLowerCase();
  if (word === '') return empty;
  if (word === 'true' || word === 'yes' || word === '1') return true;
  if (word === 'false' || word === 'no' || word === '0') return false;
  const named = text
    .split(',')
    .map((head) => head.trim())
    .filter(Boolean);
  const unknown = named.filter((head) => !heads.includes(head));
  if (unknown.length > 0)
    throw new Error(
      `${where()}: "${String(value)}" names no head being trained (${unknown.join(', ')}); ` +
        `give true, false or heads among ${heads.join(', ')}`,
    );
  return named;
}

export async function runTrain(
  options: TrainCommandOptions,
  logger: Logger,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  const columns = labelColumns(options.labels);
  let data: LabeledText[];
  let finishDbRun:
    | ((status: 'succeeded' | 'failed', stats: RunStats, error?: string) => Promise<void>)
    | undefined;
  if (options.database) {
    const pool = createPool(options.database.url, { applicationName: 'inquiry-pipeline train' });
    await migrate(pool);
    const runId = await startRun(pool, 'train', 'database');
    finishDbRun = async (status, stats, error) => {
      await finishRun(pool, runId, { status, stats, ...(error ? { error } : {}) });
      await pool.end();
    };
    const rows = await labeledInquiries(
      pool,
      [...columns.keys()],
      options.database.minPredictionConfidence,
    );
    // A prediction used as a label is the model's own confident answer: it trains, but only
    // what a person labelled fits the temperatures (all of it when too little is: train.ts).
    data = rows.map((row) => ({
      text: inquiryText(row),
      labels: row.labels,
      calibrate: row.reviewed,
    }));
  } else if (options.data) {
    data = toLabeledTexts(
      await readAllRecords(options.data, options.format),
      options.textFields,
      columns,
      options.data,
      options,
    );
  } else {
    throw new Error('nothing to train on: pass --data FILE or --from-db');
  }
  try {
    // Inside the try: a file that cannot be read fails the database's training run too.
    if (options.outOfScope)
      data = [
        ...data,
        ...(await readOutOfScope(options, options.outOfScope, data, columns, logger)),
      ];
    const summary = await trainAndWrite(options, data, columns, logger, started);
    await finishDbRun?.('succeeded', { examples: data.length, version: String(summary.version) });
    return summary;
  } catch (error) {
    await finishDbRun?.(
      'failed',
      { examples: data.length },
      error instanceof Error ? error.message : String(error),
    );
    throw error;
  }
}

/** `--out-of-scope`'s examples for `data` (see `outOfScopeExamples`). */
async function readOutOfScope(
  options: TrainCommandOptions,
  outOfScope: OutOfScopeOptions,
  data: readonly LabeledText[],
  columns: Map<string, string>,
  logger: Logger,
): Promise<LabeledText[]> {
  const source =
    outOfScope.source === BUILTIN_OUT_OF_SCOPE
      ? path.join(REAL_DATA_DIR, OUT_OF_SCOPE_FILE)
      : outOfScope.source;
  const outliers = outOfScopeExamples(
    await readAllRecords(source, options.format),
    options.textFields,
    data,
    { ...outOfScope, source },
    [...columns.keys()],
    options.overrides.seed ?? DEFAULT_TRAIN_OPTIONS.seed,
  );
  logger.info(
    {
      source: outOfScope.source,
      examples: outliers.length,
      heads: outOfScope.heads,
    },
    'out-of-scope examples added',
  );
  return outliers;
}

async function trainAndWrite(
  options: TrainCommandOptions,
  data: LabeledText[],
  columns: Map<string, string>,
  logger: Logger,
  started: number,
): Promise<Record<string, unknown>> {
  const testSet = options.test
    ? toLabeledTexts(
        await readAllRecords(options.test, options.format),
        options.textFields,
        columns,
        options.test,
      )
    : undefined;
  logger.info(
    { examples: data.length, test: testSet?.length ?? null, heads: [...columns.keys()] },
    'training data read',
  );
  const progress = createProgress(logger);
  const trainOptions: TrainOptions = {
    ...DEFAULT_TRAIN_OPTIONS,
    ...options.overrides,
    heads: [...columns.keys()],
    ...(testSet ? { testSet } : {}),
    onStage: (stage) => {
      if (stage === 'training') progress.stage('training (epochs)', trainOptions.maxEpochs);
      else logger.info({ stage }, stage);
    },
    onEpoch: (epoch) =>
      progress.update(epoch.epoch, { loss: epoch.loss, val_macro_f1: epoch.validationScore }),
  };
  if (!testSet && trainOptions.testFraction > 0) {
    logger.warn(
      { testShare: trainOptions.testFraction, validationShare: trainOptions.validationFraction },
      `no --test file: ${Math.round(trainOptions.testFraction * 100)} % of the data is held out as the test split and not trained on (pass --test FILE, or --test-share 0 to train on all of it but the validation share)`,
    );
  }
  const model = trainModel(data, {
    ...trainOptions,
    onTrial: (trial) =>
      logger.info(
        {
          trial: trial.trial,
          validationScore: trial.validationScore,
          seconds: trial.seconds,
          ...trial.hyperparameters,
        },
        'autotune trial',
      ),
  });
  progress.stop();
  await writeBundle(options.out, model);
  if (options.writeTest) {
    // `body` holds the model's text as is (subject and body were already joined into it); the
    // empty `subject` keeps the default text fields of evaluate working.
    await writeFile(
      options.writeTest,
      model.testExamples
        .map(
          (example) =>
            `${JSON.stringify({ subject: '', body: example.text, ...example.labels, [OUT_OF_SCOPE_COLUMN]: example.outlierFor?.join(',') ?? '' })}\n`,
        )
        .join(''),
    );
  }
  const check = await verifyExport(options.out, model);
  if (check.maxAbsDiff > EXPORT_TOLERANCE) {
    throw new Error(
      `the ONNX export disagrees with the trainer (max probability difference ${check.maxAbsDiff}); the bundle in ${options.out} must not be used`,
    );
  }
  return {
    bundle: options.out,
    version: model.manifest.version,
    dataHash: model.manifest.dataHash,
    split: {
      ...model.sizes,
      validationSource: model.manifest.params?.validationSource,
      testSource: model.testSource,
      note:
        model.testSource === 'held-out share'
          ? `the model was trained on ${model.sizes.train} of ${data.length} examples: ${model.sizes.test} held out as test (--test-share), ${model.sizes.validation} as validation (--validation-share)`
          : model.testSource === 'none'
            ? `the model was trained on ${model.sizes.train} of ${data.length} examples (${model.sizes.validation} validation); no test split, so no test metrics`
            : `the model was trained on ${model.sizes.train} of ${data.length} examples (${model.sizes.validation} validation); test metrics from --test`,
    },
    hyperparameters: model.hyperparameters,
    temperatures: Object.fromEntries(
      model.manifest.heads.map((head) => [head.name, head.temperature ?? 1]),
    ),
    calibration: model.manifest.params?.calibration,
    ...(model.manifest.params?.outlierExamples
      ? { outlierExamples: model.manifest.params.outlierExamples }
      : {}),
    autotuneTrials: model.trials.length,
    epochs: model.history.length,
    metrics: model.manifest.metrics,
    exportCheck: check,
    seconds: (Date.now() - started) / 1000,
  };
}
