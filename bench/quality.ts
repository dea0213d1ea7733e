/**
 * Model-quality benchmark on real, human-written text (../shared/data/real-dev, or
 * $REAL_DEV_DIR): the project's trainer (defaults, and with its automatic search) against
 * TF-IDF (word 1–2 + char 2–5 grams) + logistic regression with C tuned on validation
 * (scikit-learn, in a virtualenv in the cache), on CLINC150 and HWU64 intents and GoEmotions
 * sentiment, over several seeds. Prints one JSON line per (dataset, seed, system) and a summary
 * line; `npm run bench:quality`. Environment: BENCH_SEEDS (default 1,2,3), BENCH_DATASETS
 * (default clinc150,hwu64,goemotions), BENCH_AUTOTUNE_SECONDS (default 90; 0 skips the search),
 * BENCH_BASELINE=0 skips the baseline, BENCH_TRAIN_OPTIONS (JSON) overrides trainer defaults.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ModelRuntime } from '../lib/model/runtime.js';
import { readAllRecords } from '../pipelines/src/data/records.js';
import { Random } from '../pipelines/src/train/fasttext.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  trainModel,
  writeBundle,
  type LabeledText,
  type TrainOptions,
} from '../pipelines/src/train/train.js';
import { verifyExport } from '../pipelines/src/train/verify.js';
import { cacheRoot } from '../scripts/testbed/versions.js';

const realDev =
  process.env.REAL_DEV_DIR ??
  path.resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'real-dev');
const seeds = (process.env.BENCH_SEEDS ?? '1,2,3').split(',').map(Number);
const datasets = (process.env.BENCH_DATASETS ?? 'clinc150,hwu64,goemotions').split(',');
const autotuneSeconds = Number(process.env.BENCH_AUTOTUNE_SECONDS ?? 90);
const runBaseline = process.env.BENCH_BASELINE !== '0';
/** Options over the trainer's defaults for an experiment, e.g. '{"charNgrams":[3,5],"dim":64}'. */
const trainOverrides = JSON.parse(process.env.BENCH_TRAIN_OPTIONS ?? '{}') as Partial<TrainOptions>;
const trainerOptions: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...trainOverrides };
const trainerName =
  Object.keys(trainOverrides).length === 0
    ? 'trainer-defaults'
    : `trainer ${JSON.stringify(trainOverrides)}`;

interface Splits {
  train: LabeledText[];
  validation: LabeledText[];
  test: LabeledText[];
}

async function load(
  file: string,
  label: string,
  keep: (row: Record<string, unknown>) => boolean = () => true,
): Promise<Map<string, LabeledText[]>> {
  const bySplit = new Map<string, LabeledText[]>();
  for (const row of await readAllRecords(file)) {
    if (!keep(row)) continue;
    const split = String(row.split);
    if (!bySplit.has(split)) bySplit.set(split, []);
    bySplit.get(split)!.push({ text: String(row.text), labels: { label: String(row[label]) } });
  }
  return bySplit;
}

/** Splits `items` into a seeded validation share and the rest. */
function carve(items: LabeledText[], share: number, seed: number): [LabeledText[], LabeledText[]] {
  const order = new Random(seed).shuffle([...items.keys()]);
  const count = Math.round(items.length * share);
  return [order.slice(count).map((i) => items[i]!), order.slice(0, count).map((i) => items[i]!)];
}

async function splitsOf(dataset: string, seed: number): Promise<Splits> {
  if (dataset === 'clinc150') {
    const sets = await load(path.join(realDev, 'clinc150', 'clinc150.csv'), 'intent');
    return { train: sets.get('train')!, validation: sets.get('val')!, test: sets.get('test')! };
  }
  if (dataset === 'hwu64') {
    const sets = await load(path.join(realDev, 'hwu64', 'hwu64.csv'), 'intent');
    const [train, validation] = carve(sets.get('train')!, 0.1, seed);
    return { train, validation, test: sets.get('test')! };
  }
  if (dataset === 'goemotions') {
    const sets = await load(
      path.join(realDev, 'goemotions', 'goemotions.csv'),
      'sentiment',
      (row) => ['positive', 'negative', 'neutral'].includes(String(row.sentiment)),
    );
    return { train: sets.get('train')!, validation: sets.get('dev')!, test: sets.get('test')! };
  }
  throw new Error(`unknown dataset ${dataset}: use clinc150, hwu64 or goemotions`);
}

interface Result {
  accuracy: number;
  macroF1: number;
  ece: number;
  trainSeconds: number;
  latencyMs: number;
  [key: string]: unknown;
}

async function ours(splits: Splits, options: TrainOptions): Promise<Result> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const model = trainModel(splits.train, {
    ...options,
    validationSet: splits.validation,
    testSet: splits.test,
  });
  const trainSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  const trainCpuSeconds = (cpu.user + cpu.system) / 1e6;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-quality-'));
  try {
    await writeBundle(dir, model);
    const check = await verifyExport(dir, model, 500);
    const runtime = await ModelRuntime.load(dir);
    const sample = splits.test.slice(0, 2000).map((example) => example.text);
    for (const text of sample.slice(0, 200)) await runtime.classify([text]);
    const latencyStarted = performance.now();
    const latencyCpuStarted = process.cpuUsage();
    for (const text of sample) await runtime.classify([text]);
    const latencyMs = (performance.now() - latencyStarted) / sample.length;
    const latencyCpu = process.cpuUsage(latencyCpuStarted);
    // CPU time per inquiry: what one inquiry costs, less distorted than wall time on a busy machine.
    const latencyCpuMs = (latencyCpu.user + latencyCpu.system) / 1000 / sample.length;
    await runtime.release();
    const metrics = model.test.label!;
    return {
      accuracy: metrics.accuracy,
      macroF1: metrics.macroF1,
      ece: metrics.ece,
      eceUncalibrated: model.testUncalibrated.label!.ece,
      trainSeconds,
      trainCpuSeconds,
      latencyMs,
      latencyCpuMs,
      exportMaxAbsDiff: check.maxAbsDiff,
      trials: model.trials.length,
      chosen: model.hyperparameters,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function python(): string {
  const venv = path.join(cacheRoot(), 'bench', 'quality-venv');
  if (!existsSync(path.join(venv, 'bin', 'python'))) {
    process.stderr.write(`creating the baseline's virtualenv in ${venv} (scikit-learn)\n`);
    spawnSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    spawnSync(path.join(venv, 'bin', 'pip'), ['install', '-q', 'scikit-learn', 'numpy'], {
      stdio: 'inherit',
    });
  }
  return path.join(venv, 'bin', 'python');
}

function baseline(splits: Splits, seed: number): Result {
  const rows = (items: LabeledText[]) =>
    items.map((example) => ({ text: example.text, label: example.labels.label }));
  const result = spawnSync(python(), [path.join(import.meta.dirname, 'quality', 'baseline.py')], {
    input: JSON.stringify({
      train: rows(splits.train),
      validation: rows(splits.validation),
      test: rows(splits.test),
      seed,
    }),
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (result.status !== 0) throw new Error(`the baseline failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Result;
}

const systems: [string, (splits: Splits, seed: number) => Promise<Result> | Result][] = [
  [trainerName, (splits, seed) => ours(splits, { ...trainerOptions, seed })],
  ...(autotuneSeconds > 0
    ? [
        [
          `trainer-autotune-${autotuneSeconds}s`,
          (splits: Splits, seed: number) =>
            ours(splits, { ...trainerOptions, seed, autotuneSeconds }),
        ] as [string, (splits: Splits, seed: number) => Promise<Result>],
      ]
    : []),
  ...(runBaseline
    ? [['tfidf-lr-tuned', baseline] as [string, (splits: Splits, seed: number) => Result]]
    : []),
];

const results: { dataset: string; system: string; seed: number; result: Result }[] = [];
for (const dataset of datasets) {
  for (const seed of seeds) {
    const splits = await splitsOf(dataset, seed);
    for (const [system, run] of systems) {
      const result = await run(splits, seed);
      results.push({ dataset, system, seed, result });
      console.log(JSON.stringify({ bench: 'quality', dataset, system, seed, ...result }));
    }
  }
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const std = (values: number[]): number => {
  const m = mean(values);
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
};
const summary: Record<string, Record<string, Record<string, string>>> = {};
for (const dataset of datasets) {
  summary[dataset] = {};
  for (const [system] of systems) {
    const rows = results.filter((r) => r.dataset === dataset && r.system === system);
    const figure = (key: keyof Result, digits: number): string => {
      const values = rows.map((r) => Number(r.result[key]));
      return `${mean(values).toFixed(digits)} ± ${std(values).toFixed(digits)}`;
    };
    summary[dataset][system] = {
      accuracy: figure('accuracy', 4),
      macroF1: figure('macroF1', 4),
      ece: figure('ece', 4),
      trainSeconds: figure('trainSeconds', 1),
      latencyMs: figure('latencyMs', 4),
      latencyCpuMs: figure('latencyCpuMs', 4),
      trainCpuSeconds: figure('trainCpuSeconds', 1),
    };
  }
}
console.log(
  JSON.stringify({
    bench: 'quality-summary',
    seeds,
    summary,
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
  }),
);
