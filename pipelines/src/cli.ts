/**
 * `inquiry-pipeline <step>`: the steps Argo Workflows runs, each usable by hand. Results go to
 * stdout (JSON), logs and progress to stderr; a failure exits non-zero with a clear message.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from '../../lib/logger.js';
import { generateInquiryStream } from './generate/inquiries.js';
import { formatInquiries } from './generate/output.js';
import { BUILTIN_OUT_OF_SCOPE, runTrain } from './cli/train-command.js';
import { parseTowers } from './cli/towers.js';
import type { CharNgrams } from './train/fasttext.js';
import type { LearningRateSchedule } from './train/train.js';
import { runEvaluate, runRegister } from './cli/evaluate-register.js';
import { runPredict } from './cli/predict-command.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { ingest } from './ingest/ingest.js';
import { fileSource, httpSource, stagingTableSource, type Source } from './ingest/sources.js';
import { parseS3Url, s3Source } from './ingest/s3.js';
import { createProgress } from './cli/progress.js';
import { installStepShutdown } from './cli/shutdown.js';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { readManifest, validateManifest } from '../../lib/model/bundle.js';
import { CHAMPION, downloadAliased, splitSource } from './registry/model-source.js';
import { parseRollout } from './registry/register.js';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { ModelRuntime } from '../../lib/model/runtime.js';
import { VADER_FEATURES } from '../../lib/model/lexicon.js';
import {
  loadPolicyFile,
  parsePolicyDocument,
  policyOptionsFromEnv,
  resolvePolicy,
} from '../../lib/routing/policy.js';
import { stringify } from 'yaml';
import { previewRouting } from '../../lib/routing/preview.js';
import { recentRoutings } from '../../lib/store/views.js';
import { classifyBatch, parseShard } from './classify/classify-batch.js';
import { decideRetrain, DEFAULT_TRIGGERS } from './retrain/decide.js';
import { evaluateOnline } from './retrain/online.js';
import { gatherSignals } from './retrain/signals.js';

const logger = createLogger('inquiry-pipeline');

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return parsed;
}

function number(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InvalidArgumentError(`"${value}" is not a number`);
  return parsed;
}

function databaseUrl(given: string | undefined): string {
  const url = given ?? process.env.DATABASE_URL;
  if (!url) throw new Error('no database: set DATABASE_URL or pass --database-url');
  return url;
}

/** `3-5` → [3, 5]; `none` → null. */
function parseCharNgrams(value: string): CharNgrams {
  if (value === 'none') return null;
  const match = /^(\d+)-(\d+)$/.exec(value);
  const [min, max] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!match || min < 1 || max < min || max > 8) {
    throw new InvalidArgumentError(
      `--char-ngrams "${value}": use MIN-MAX with 1 ≤ MIN ≤ MAX ≤ 8 (e.g. 3-5), or none`,
    );
  }
  return [min, max];
}

/** `register --rollout`: parsed as it is read, so a bad value fails before MLflow is touched. */
function rolloutArgument(value: string): Record<string, unknown> | undefined {
  try {
    return parseRollout(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** `--format jsonl|csv` of the record files a command reads. */
function recordFormatOption(description: string): Option {
  return new Option('--format <format>', description).choices(['jsonl', 'csv']);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const program = new Command('inquiry-pipeline')
  .description('Inquiry Platform pipeline steps (generate, train, …)')
  .showHelpAfterError();

program
  .command('generate')
  .description('write seeded synthetic inquiries (JSONL or CSV)')
  .option('--n <count>', 'number of inquiries', integer, 1000)
  .option('--seed <seed>', 'random seed', integer, 42)
  .option('--noise <rate>', 'label-noise rate per head (0–1)', number, 0.05)
  .addOption(
    new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'),
  )
  .option('--out <file>', 'output file (default: stdout)')
  .action(
    async (options: {
      n: number;
      seed: number;
      noise: number;
      format: 'jsonl' | 'csv';
      out?: string;
    }) => {
      if (options.n < 0) throw new InvalidArgumentError('--n must not be negative');
      if (options.noise < 0 || options.noise > 1)
        throw new InvalidArgumentError('--noise must be between 0 and 1');
      const out = options.out ? createWriteStream(options.out) : process.stdout;
      const records = generateInquiryStream({
        n: options.n,
        seed: options.seed,
        noiseRate: options.noise,
      });
      for (const chunk of formatInquiries(records, options.format)) {
        if (!out.write(chunk)) await once(out, 'drain');
      }
      if (options.out) {
        out.end();
        await once(out, 'finish');
        logger.info({ n: options.n, seed: options.seed, file: options.out }, 'inquiries written');
      }
    },
  );

program
  .command('train')
  .description(
    'train a fastText-style bundle (model.onnx, tokenizer.json, model.json) from a labeled file',
  )
  .option('--data <file>', 'labeled records, .jsonl or .csv')
  .option('--from-db', 'train on the database: human feedback, else confident predictions')
  .option(
    '--min-prediction-confidence <p>',
    'with --from-db: predictions below this are not used as labels',
    number,
    0.9,
  )
  .option('--database-url <url>', 'with --from-db: PostgreSQL URL (default: $DATABASE_URL)')
  .requiredOption('--out <dir>', 'bundle directory to write')
  .option('--test <file>', 'held-out test file (default: --test-share of the data)')
  .option(
    '--write-test <file>',
    'write the held-out test examples here (JSON lines), e.g. for evaluate --data',
  )
  .addOption(recordFormatOption('format of the files (default: by extension)'))
  .option('--text <fields>', 'comma-separated text fields, joined one per line', 'subject,body')
  .option(
    '--labels <heads...>',
    'heads to train: head or head=column, comma-separated or repeated',
    collect,
    [],
  )
  .option(
    '--calibrate-column <column>',
    "which heads' temperatures a row fits when it is in the validation share: empty or true all, false none, or head names (e.g. false for generated rows)",
  )
  .option(
    '--outlier-column <column>',
    'which heads a row is out of scope for, to train them towards equal probabilities (outlier exposure): empty or false none, true every head the row has no label for, or head names',
  )
  .option(
    '--out-of-scope <file>',
    `text none of the heads' classes fit (e.g. what the platform is not for), added as outliers of --out-of-scope-heads: a file (its text fields, else its text column), or ${BUILTIN_OUT_OF_SCOPE} (the default model's, off-topic for its categories)`,
  )
  .option(
    '--out-of-scope-heads <heads>',
    'with --out-of-scope: the heads its text is out of scope for, comma-separated',
    'category',
  )
  .option(
    '--out-of-scope-share <p>',
    'with --out-of-scope: at most this many of its rows per example labeled for those heads (sampled with the seed)',
    number,
    0.25,
  )
  .option('--seed <seed>', 'random seed (split, initialization, order)', integer)
  .option('--epochs <n>', 'maximum epochs (early stopping may end sooner)', integer)
  .option('--dim <n>', 'embedding dimension', integer)
  .option('--buckets <n>', 'hashed token n-gram buckets (exported with the model)', integer)
  .option('--char-buckets <n>', 'hashed character n-gram buckets (training only)', integer)
  .option('--vocab-size <n>', 'WordPiece vocabulary size', integer)
  .option('--max-length <n>', 'tokens kept per text', integer)
  .option('--lr <rate>', 'Adagrad learning rate', number)
  .addOption(
    new Option(
      '--lr-schedule <schedule>',
      'learning-rate decay over the epochs (default linear)',
    ).choices(['linear', 'cosine', 'constant']),
  )
  .option('--batch-size <n>', 'mini-batch size', integer)
  .option('--word-ngrams <n>', 'token n-gram order: 1, 2 (default) or 3', integer)
  .option('--char-ngrams <range>', 'character n-grams of each token, e.g. 3-5 (default), or none')
  .option(
    '--word-model <n>',
    'token n-gram order of a word-only model ensembled with the main one: 1, 2, 3 (default) or 0 (none)',
    integer,
  )
  .option(
    '--towers <yaml>',
    'groups of heads trained as models of their own, as YAML or JSON or a file of it, e.g. [{"heads":["category"]},{"heads":["sentiment"],"hyperparameters":{"charNgrams":"3-5"}}] (replaces --word-model)',
  )
  .option(
    '--patience <n>',
    'stop after this many epochs without a better validation score',
    integer,
  )
  .option(
    '--validation-share <p>',
    'share of --data held out for early stopping and calibration (default 0.1)',
    number,
  )
  .option(
    '--test-share <p>',
    'without --test: share of --data held out for the test metrics (default 0.1; 0 trains on all but validation)',
    number,
  )
  .option(
    '--autotune <seconds>',
    'search hyperparameters on the validation split for this long',
    number,
  )
  .addOption(
    new Option(
      '--lexicon-features <name>',
      "append a VADER sentiment score's bucket to every text's tokens (trainer and runtime alike)",
    ).choices([VADER_FEATURES]),
  )
  .option('--no-calibrate', 'keep raw softmax confidences (no temperature scaling)')
  .action(
    async (options: {
      data?: string;
      fromDb?: boolean;
      minPredictionConfidence: number;
      databaseUrl?: string;
      out: string;
      test?: string;
      writeTest?: string;
      format?: 'jsonl' | 'csv';
      text: string;
      labels: string[];
      seed?: number;
      epochs?: number;
      dim?: number;
      buckets?: number;
      charBuckets?: number;
      vocabSize?: number;
      maxLength?: number;
      lr?: number;
      lrSchedule?: LearningRateSchedule;
      batchSize?: number;
      wordNgrams?: number;
      charNgrams?: string;
      wordModel?: number;
      towers?: string;
      patience?: number;
      validationShare?: number;
      testShare?: number;
      autotune?: number;
      lexiconFeatures?: string;
      calibrate: boolean;
      calibrateColumn?: string;
      outlierColumn?: string;
      outOfScope?: string;
      outOfScopeHeads: string;
      outOfScopeShare: number;
    }) => {
      if (!(options.outOfScopeShare >= 0))
        throw new InvalidArgumentError('--out-of-scope-share must be at least 0');
      if (options.wordNgrams !== undefined && ![1, 2, 3].includes(options.wordNgrams))
        throw new InvalidArgumentError('--word-ngrams must be 1, 2 or 3');
      if (options.wordModel !== undefined && ![0, 1, 2, 3].includes(options.wordModel))
        throw new InvalidArgumentError('--word-model must be 0, 1, 2 or 3');
      for (const [flag, share] of [
        ['--validation-share', options.validationShare],
        ['--test-share', options.testShare],
      ] as const) {
        if (share !== undefined && !(share >= 0 && share < 1))
          throw new InvalidArgumentError(`${flag} must be at least 0 and below 1`);
      }
      if (options.towers && options.wordModel)
        throw new InvalidArgumentError('give --towers or --word-model, not both');
      const towers = options.towers
        ? existsSync(options.towers)
          ? parseTowers(await readFile(options.towers, 'utf8'), options.towers)
          : parseTowers(options.towers)
        : undefined;
      if (options.test && options.testShare !== undefined)
        throw new InvalidArgumentError('give --test FILE or --test-share, not both');
      const overrides = Object.fromEntries(
        Object.entries({
          seed: options.seed,
          maxEpochs: options.epochs,
          dim: options.dim,
          buckets: options.buckets,
          charBuckets: options.charBuckets,
          vocabSize: options.vocabSize,
          maxLength: options.maxLength,
          learningRate: options.lr,
          lrSchedule: options.lrSchedule,
          batchSize: options.batchSize,
          wordNgrams: options.wordNgrams,
          charNgrams:
            options.charNgrams === undefined ? undefined : parseCharNgrams(options.charNgrams),
          wordModelNgrams: towers ? 0 : options.wordModel,
          towers,
          patience: options.patience,
          validationFraction: options.validationShare,
          testFraction: options.testShare,
          autotuneSeconds: options.autotune,
          lexiconFeatures: options.lexiconFeatures,
          calibrate: options.calibrate,
        }).filter(([, value]) => value !== undefined),
      );
      const summary = await runTrain(
        {
          ...(options.data ? { data: options.data } : {}),
          ...(options.fromDb
            ? {
                database: {
                  url: databaseUrl(options.databaseUrl),
                  minPredictionConfidence: options.minPredictionConfidence,
                },
              }
            : {}),
          out: options.out,
          ...(options.test ? { test: options.test } : {}),
          ...(options.writeTest ? { writeTest: options.writeTest } : {}),
          ...(options.format ? { format: options.format } : {}),
          textFields: options.text.split(',').map((field) => field.trim()),
          labels: options.labels.length > 0 ? options.labels : ['category,sentiment,urgency'],
          ...(options.calibrateColumn ? { calibrateColumn: options.calibrateColumn } : {}),
          ...(options.outlierColumn ? { outlierColumn: options.outlierColumn } : {}),
          ...(options.outOfScope
            ? {
                outOfScope: {
                  source: options.outOfScope,
                  heads: options.outOfScopeHeads
                    .split(',')
                    .map((head) => head.trim())
                    .filter(Boolean),
                  share: options.outOfScopeShare,
                },
              }
            : {}),
          overrides,
        },
        logger,
      );
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    },
  );

program
  .command('evaluate')
  .description('measure a bundle on labeled data; compare with the registry champion')
  .requiredOption('--bundle <dir>', 'bundle directory')
  .requiredOption('--data <file>', 'labeled records, .jsonl or .csv (a gold file)')
  .addOption(recordFormatOption('format of the file (default: by extension)'))
  .option('--text <fields>', 'comma-separated text fields', 'subject,body')
  .option('--labels <heads...>', 'heads to score: head or head=column', collect, [])
  .option('--out <dir>', 'write report.json and confusion matrices (SVG, JSON) here')
  .option(
    '--champion-model <name>',
    'registered model whose champion to compare with (needs MLFLOW_TRACKING_URI)',
  )
  .option('--require-better', 'exit with status 3 when the candidate does not beat the champion')
  .option(
    '--strict',
    'fail when a row has a label the model does not know (default: count and warn)',
  )
  .option(
    '--outlier-column <column>',
    "which heads a row is out of scope for (as train's): such rows are reported apart, how often the model was sure of them",
  )
  .action(
    async (options: {
      bundle: string;
      data: string;
      format?: 'jsonl' | 'csv';
      text: string;
      labels: string[];
      out?: string;
      championModel?: string;
      requireBetter?: boolean;
      strict?: boolean;
      outlierColumn?: string;
    }) => {
      const report = await runEvaluate(
        {
          bundle: options.bundle,
          data: options.data,
          ...(options.format ? { format: options.format } : {}),
          textFields: options.text.split(',').map((field) => field.trim()),
          labels: options.labels.length > 0 ? options.labels : ['category,sentiment,urgency'],
          ...(options.out ? { out: options.out } : {}),
          ...(options.championModel ? { championModel: options.championModel } : {}),
          strict: options.strict === true,
          ...(options.outlierColumn ? { outlierColumn: options.outlierColumn } : {}),
        },
        logger,
      );
      const summary = {
        version: report.candidate.version,
        examples: report.candidate.examples,
        heads: Object.fromEntries(
          Object.entries(report.candidate.heads).map(([head, m]) => [
            head,
            {
              accuracy: m.accuracy,
              macroF1: m.macroF1,
              ece: m.ece,
              scored: m.count,
              unknownLabels: m.unknownLabels,
              ...(m.unknownLabels > 0 ? { unknownLabelValues: m.unknownLabelValues } : {}),
              ...(m.outOfScope ? { outOfScope: m.outOfScope } : {}),
            },
          ]),
        ),
        latency: report.candidate.latency,
        comparison: report.comparison ?? null,
      };
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      if (options.requireBetter && report.comparison && !report.comparison.better)
        process.exitCode = 3;
    },
  );

program
  .command('predict')
  .description(
    'write per-row predictions (labels, confidences, all scores) for a CSV or JSONL file',
  )
  .requiredOption('--bundle <dir>', 'bundle directory')
  .requiredOption('--data <file>', 'records to classify, .jsonl or .csv')
  .addOption(recordFormatOption('format of --data (default: by extension)'))
  .option('--text <fields>', 'comma-separated text fields, joined one per line', 'subject,body')
  .option('--out <file>', 'output file (default: stdout)')
  .addOption(
    new Option(
      '--out-format <format>',
      'output format (default: by --out extension, else jsonl)',
    ).choices(['jsonl', 'csv']),
  )
  .action(
    async (options: {
      bundle: string;
      data: string;
      format?: 'jsonl' | 'csv';
      text: string;
      out?: string;
      outFormat?: 'jsonl' | 'csv';
    }) => {
      const summary = await runPredict({
        bundle: options.bundle,
        data: options.data,
        ...(options.format ? { format: options.format } : {}),
        textFields: options.text.split(',').map((field) => field.trim()),
        ...(options.out ? { out: options.out } : {}),
        outFormat:
          options.outFormat ?? (options.out?.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl'),
      });
      if (summary.emptyText > 0) {
        logger.warn(
          { rows: summary.emptyText },
          'rows with empty text were classified as the empty string',
        );
      }
      logger.info(summary, 'predictions written');
    },
  );

program
  .command('register')
  .description(
    'log a bundle to MLflow, register a model version with alias challenger, emit its ModelVersion',
  )
  .requiredOption('--bundle <dir>', 'bundle directory')
  .requiredOption('--pipeline <name>', 'InquiryPipeline name (names the MLflow experiment)')
  .requiredOption('--model-name <name>', 'MLflow registered model name')
  .option('--evaluation <dir>', 'evaluation report directory to attach')
  .option('--namespace <ns>', 'namespace of the ModelVersion resource')
  .option(
    '--rollout <json>',
    "the ModelVersion's spec.rollout as JSON or YAML (empty or absent: the CRD's default)",
    rolloutArgument,
  )
  .action(
    async (options: {
      bundle: string;
      pipeline: string;
      modelName: string;
      evaluation?: string;
      namespace?: string;
      rollout?: Record<string, unknown>;
    }) => {
      process.stdout.write(await runRegister(options, logger));
    },
  );

program
  .command('ingest')
  .description(
    'validate records from a source and store new inquiries in PostgreSQL (bad ones to the quarantine)',
  )
  .option('--file <path>', 'a .jsonl/.csv file or a folder of them')
  .option('--http <url>', 'an HTTP JSON endpoint (array, or {items, next})')
  .option(
    '--page-param <name>',
    'with --http: query parameter for page numbers when there is no next link',
  )
  .option('--staging-table <name>', 'a PostgreSQL table (schema.table) in the same database')
  .option(
    '--s3 <url>',
    'the .jsonl/.csv objects under s3://bucket/prefix that are new since the last successful run (credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)',
  )
  .option(
    '--s3-endpoint <url>',
    'with --s3: an S3-compatible server, addressed path-style (default: $AWS_ENDPOINT_URL_S3, else AWS)',
  )
  .option('--s3-region <region>', 'with --s3: the region (default: $AWS_REGION, else us-east-1)')
  .option(
    '--labels <columns>',
    'columns holding human labels, stored as feedback (e.g. category,sentiment,urgency)',
  )
  .option('--batch-size <n>', 'records per transaction', integer, 500)
  .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
  .action(
    async (options: {
      file?: string;
      http?: string;
      pageParam?: string;
      stagingTable?: string;
      s3?: string;
      s3Endpoint?: string;
      s3Region?: string;
      labels?: string;
      batchSize: number;
      databaseUrl?: string;
    }) => {
      const chosen = [options.file, options.http, options.stagingTable, options.s3].filter(Boolean);
      if (chosen.length !== 1) {
        throw new InvalidArgumentError(
          'name exactly one source: --file, --http, --staging-table or --s3',
        );
      }
      const s3 = options.s3 ? parseS3Url(options.s3) : undefined;
      const endpoint = options.s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3;
      const pool = createPool(databaseUrl(options.databaseUrl), {
        applicationName: 'inquiry-pipeline ingest',
      });
      try {
        await migrate(pool);
        let source: Source;
        if (options.file) source = fileSource(options.file);
        else if (options.http)
          source = httpSource(
            options.http,
            options.pageParam ? { pageParam: options.pageParam } : {},
          );
        else if (s3)
          source = s3Source({
            ...s3,
            ...(endpoint ? { endpoint } : {}),
            ...(options.s3Region ? { region: options.s3Region } : {}),
          });
        else source = stagingTableSource(pool, options.stagingTable!);
        const progress = createProgress(logger);
        progress.stage(`ingest ${source.name}`, 0);
        const shutdown = installStepShutdown(logger);
        const stats = await ingest(pool, source, {
          signal: shutdown.signal,
          batchSize: options.batchSize,
          labelColumns: options.labels ? options.labels.split(',').map((c) => c.trim()) : [],
          onProgress: (current) =>
            progress.update(current.read, {
              stored: current.stored,
              quarantined: current.quarantined,
            }),
        });
        progress.stop();
        logger.info(stats, stats.stopped ? 'ingest stopped' : 'ingest finished');
        process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
        shutdown.settle();
      } finally {
        await pool.end();
      }
    },
  );

program
  .command('evaluate-online')
  .description(
    'accuracy against human feedback per serving model version, logged to its MLflow run',
  )
  .requiredOption('--pipeline <name>', 'InquiryPipeline name (names the MLflow experiment)')
  .option('--window-hours <h>', 'feedback received in this many past hours', number, 24)
  .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
  .action(async (options: { pipeline: string; windowHours: number; databaseUrl?: string }) => {
    const pool = createPool(databaseUrl(options.databaseUrl), {
      applicationName: 'inquiry-pipeline evaluate-online',
    });
    try {
      await migrate(pool);
      const results = await evaluateOnline(pool, MlflowClient.fromEnv(), options);
      for (const result of results.filter((r) => r.runId === null)) {
        logger.warn(
          { modelVersion: result.modelVersion },
          'no MLflow run carries this model version: metrics not logged',
        );
      }
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } finally {
      await pool.end();
    }
  });

program
  .command('classify-batch')
  .description('classify and route unclassified inquiries in the database, in batches')
  .option('--bundle <dir>', 'model bundle directory')
  .option(
    '--model-name <name>',
    'or: the registered model whose --alias version to download (needs MLFLOW_TRACKING_URI)',
  )
  .option('--alias <alias>', 'with --model-name', 'champion')
  .option(
    '--policy <file>',
    'routing policy YAML (a RoutingPolicy spec or resource, or the original routing_rules.yaml shape)',
    'config/routing_rules.yaml',
  )
  .option('--shard <i/n>', 'this worker takes the inquiries of shard i of n', '0/1')
  .option('--batch-size <n>', 'inquiries per transaction and model run', integer, 512)
  .option('--limit <n>', 'stop after this many inquiries', integer)
  .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
  .action(
    async (options: {
      bundle?: string;
      modelName?: string;
      alias: string;
      policy: string;
      shard: string;
      batchSize: number;
      limit?: number;
      databaseUrl?: string;
    }) => {
      if (Boolean(options.bundle) === Boolean(options.modelName)) {
        throw new InvalidArgumentError(
          'name the model with exactly one of --bundle or --model-name',
        );
      }
      const shard = parseShard(options.shard);
      const policy = await loadPolicyFile(options.policy, policyOptionsFromEnv());
      let bundleDir = options.bundle;
      let downloaded: string | undefined;
      if (options.modelName) {
        const aliased = await downloadAliased(
          MlflowClient.fromEnv(),
          options.modelName,
          options.alias,
        );
        if (!aliased)
          throw new Error(`model ${options.modelName} has no version with alias ${options.alias}`);
        bundleDir = downloaded = aliased.dir;
      }
      const runtime = await ModelRuntime.load(bundleDir!);
      const pool = createPool(databaseUrl(options.databaseUrl), {
        applicationName: `inquiry-pipeline classify-batch ${options.shard}`,
      });
      try {
        await migrate(pool);
        const progress = createProgress(logger);
        progress.stage(`classify shard ${options.shard}`, options.limit ?? 0);
        const shutdown = installStepShutdown(logger);
        const stats = await classifyBatch(pool, runtime, policy, {
          signal: shutdown.signal,
          shard,
          batchSize: options.batchSize,
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
          onBatch: (current) =>
            progress.update(current.classified, { per_second: Math.round(current.perSecond) }),
        });
        progress.stop();
        process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
        shutdown.settle();
      } finally {
        await pool.end();
        await runtime.release();
        if (downloaded) await rm(downloaded, { recursive: true, force: true });
      }
    },
  );

program
  .command('fetch-model')
  .description("download a bundle from the MLflow artifact store (the inference pod's init step)")
  .requiredOption('--source <uri>', 'mlflow-artifacts:/<experiment>/<run>/artifacts/bundle')
  .requiredOption('--out <dir>', 'directory to write the bundle into')
  .action(async (options: { source: string; out: string }) => {
    const { artifactUri, relative } = splitSource(options.source);
    await MlflowClient.fromEnv().downloadDirectory(artifactUri, relative, options.out);
    const manifest = await readManifest(options.out);
    logger.info({ version: manifest.version, dir: options.out }, 'model bundle fetched');
  });

program
  .command('preview-routing')
  .description(
    'route the latest stored inquiries again under a policy and report what would change (department moves, escalations gained and lost)',
  )
  .requiredOption(
    '--policy <file>',
    'the new routing policy YAML (a RoutingPolicy spec or resource, or the original routing_rules.yaml shape)',
  )
  .option('--limit <n>', 'how many of the latest routed inquiries to route again', integer, 1000)
  .option('--out <file>', 'also write the JSON report here (the Argo output parameter)')
  .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
  .action(
    async (options: { policy: string; limit: number; out?: string; databaseUrl?: string }) => {
      if (options.limit < 1) throw new InvalidArgumentError('--limit must be at least 1');
      const policy = await loadPolicyFile(options.policy, policyOptionsFromEnv());
      const pool = createPool(databaseUrl(options.databaseUrl), {
        applicationName: 'inquiry-pipeline preview-routing',
      });
      try {
        await migrate(pool);
        const preview = previewRouting(await recentRoutings(pool, options.limit), policy);
        const report = `${JSON.stringify(preview)}\n`;
        if (options.out) await writeFile(options.out, report);
        logger.info(
          { sampled: preview.sampled, changed: preview.changed },
          'routing preview computed',
        );
        process.stdout.write(report);
      } finally {
        await pool.end();
      }
    },
  );

program
  .command('convert-policy')
  .description(
    'convert routing rules in the original routing_rules.yaml shape (category_to_department, escalation_rules) into a RoutingPolicy resource to kubectl apply; the decisions stay the same',
  )
  .argument('<file>', 'the original routing rules YAML')
  .requiredOption('--name <name>', 'metadata.name of the RoutingPolicy')
  .option('--namespace <namespace>', 'metadata.namespace of the RoutingPolicy')
  .option('--out <file>', 'write the resource here instead of stdout')
  .action(async (file: string, options: { name: string; namespace?: string; out?: string }) => {
    const spec = parsePolicyDocument(await readFile(file, 'utf8'));
    resolvePolicy(spec);
    const resource = stringify({
      apiVersion: 'inquiries.mlops.io/v1alpha1',
      kind: 'RoutingPolicy',
      metadata: {
        name: options.name,
        ...(options.namespace ? { namespace: options.namespace } : {}),
      },
      spec,
    });
    if (options.out) await writeFile(options.out, resource);
    else process.stdout.write(resource);
  });

/** Exit status of should-retrain when no retraining is needed (0 means: retrain). */
const NO_RETRAIN_EXIT = 3;

program
  .command('should-retrain')
  .description(
    `decide from the triggers whether to retrain: exit 0 to retrain, ${NO_RETRAIN_EXIT} when not needed`,
  )
  .requiredOption('--model-name <name>', 'registered model whose champion is judged')
  .option(
    '--min-new-labels <n>',
    'new feedback labels since the last training',
    integer,
    DEFAULT_TRIGGERS.minNewLabels,
  )
  .option(
    '--drift-threshold <psi>',
    'population stability index of labels or confidence',
    number,
    DEFAULT_TRIGGERS.driftThreshold,
  )
  .option(
    '--min-online-accuracy <a>',
    'online accuracy floor',
    number,
    DEFAULT_TRIGGERS.minOnlineAccuracy,
  )
  .option(
    '--min-samples <n>',
    'samples needed before drift and accuracy count',
    integer,
    DEFAULT_TRIGGERS.minSamples,
  )
  .option('--window-hours <h>', 'recent window for drift and accuracy', number, 24)
  .option('--database-url <url>', 'PostgreSQL URL (default: $DATABASE_URL)')
  .action(
    async (options: {
      modelName: string;
      minNewLabels: number;
      driftThreshold: number;
      minOnlineAccuracy: number;
      minSamples: number;
      windowHours: number;
      databaseUrl?: string;
    }) => {
      const client = MlflowClient.fromEnv();
      const champion = await client.versionByAlias(options.modelName, CHAMPION);
      if (!champion?.source) {
        process.stdout.write(
          `${JSON.stringify({ retrain: true, reasons: ['no champion yet'] })}\n`,
        );
        return;
      }
      const { artifactUri, relative } = splitSource(champion.source);
      const manifest = validateManifest(
        JSON.parse(
          Buffer.from(
            await client.downloadArtifact(artifactUri, `${relative}/model.json`),
          ).toString('utf8'),
        ),
        champion.source,
      );
      const pool = createPool(databaseUrl(options.databaseUrl), {
        applicationName: 'inquiry-pipeline should-retrain',
      });
      try {
        await migrate(pool);
        const signals = await gatherSignals(pool, manifest, { windowHours: options.windowHours });
        const decision = decideRetrain(signals, options);
        logger.info(
          { ...decision, champion: manifest.version },
          decision.retrain ? 'retrain' : 'no retrain needed',
        );
        process.stdout.write(
          `${JSON.stringify({ ...decision, champion: manifest.version, signals }, null, 2)}\n`,
        );
        if (!decision.retrain) process.exitCode = NO_RETRAIN_EXIT;
      } finally {
        await pool.end();
      }
    },
  );

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  logger.error({ err: error }, message);
  process.stderr.write(`inquiry-pipeline: ${message}\n`);
  process.exitCode = 1;
});
