/**
 * Trains a bundle from labeled texts: seeded split, WordPiece tokenizer, fastText model with
 * early stopping on validation macro-F1 (optionally an automatic hyperparameter search within a
 * time budget, after fastText's autotune), temperature scaling of every head on the validation
 * split, ONNX export. Heads and their label sets come from the data, so a team's own taxonomy
 * (40 intents, no urgency head, …) trains with the same code.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BUNDLE_FORMAT,
  MODEL_FILE,
  TOKENIZER_FILE,
  writeManifest,
  type ModelManifest,
} from '../../../lib/model/bundle.js';
import { lexiconFeatureTokens } from '../../../lib/model/lexicon.js';
import { textEncoder } from '../../../lib/model/runtime.js';
import { headMetrics, type HeadMetrics } from '../evaluate/metrics.js';
import { fitTemperature } from './calibrate.js';
import {
  Random,
  cloneWeights,
  createOptimizerState,
  features,
  initWeights,
  predictLogits,
  predictProbabilities,
  softmax,
  subwordRows,
  trainEpoch,
  OUTLIER,
  UNLABELED,
  type CharNgrams,
  type Example,
  type FastTextShape,
  type Features,
  type FastTextWeights,
} from './fasttext.js';
import { ATTENTION_MASK, INPUT_IDS, exportTowersOnnx, headOutput } from './onnx-export.js';
import { loadTokenizer } from '../../../lib/model/tokenizer.js';
import { buildWordPiece, type TokenizerJson } from './wordpiece.js';

export interface LabeledText {
  text: string;
  /** Label per head; missing or empty: this example does not train that head. */
  labels: Record<string, string | null | undefined>;
  /**
   * Heads whose classes this text belongs to none of (out-of-scope text, e.g. a travel question
   * for a category head of a bank's departments): it trains each towards equal probabilities for
   * every class (outlier exposure), so that text like it gets low confidence and is triaged. A
   * head given here takes no label; the text counts in no head's metrics, and the temperature fit
   * counts it as text of no class (calibrate.ts), so that calibration does not undo the training.
   */
  outlierFor?: readonly string[];
  /**
   * Which heads' temperatures this example fits when it falls in the validation split: false
   * none, a list those heads only; missing or true: every head. For generated text, which the
   * model finds easier than real text, so that a temperature fitted on it leaves the model
   * overconfident on real text. A head with fewer than `MIN_CALIBRATION_EXAMPLES` validation
   * examples that calibrate it is fitted on all of them.
   */
  calibrate?: boolean | readonly string[];
}

/** Below this many validation examples that calibrate, a head's temperature uses all of them. */
export const MIN_CALIBRATION_EXAMPLES = 200;

/** Which validation examples fitted a head's temperature. */
export interface HeadCalibration {
  head: string;
  /** Validation examples the temperature was fitted on. */
  examples: number;
  /** Validation examples of the head flagged not to calibrate it (left out unless `fallback`). */
  excluded: number;
  /** Too few examples calibrate (< MIN_CALIBRATION_EXAMPLES): fitted on all of them. */
  fallback: boolean;
}

export type LearningRateSchedule = 'linear' | 'cosine' | 'constant';
export const LEARNING_RATE_SCHEDULES: readonly LearningRateSchedule[] = [
  'linear',
  'cosine',
  'constant',
];

/** The options an automatic search may change. */
export interface Hyperparameters {
  dim: number;
  wordNgrams: number;
  charNgrams: CharNgrams;
  maxEpochs: number;
  batchSize: number;
  learningRate: number;
  lrSchedule: LearningRateSchedule;
}

export interface TrainOptions extends Hyperparameters {
  seed: number;
  /** Share of the data held out for early stopping, the search and calibration. */
  validationFraction: number;
  /** Share held out for the final test metrics (ignored when `testSet` is given); may be 0. */
  testFraction: number;
  testSet?: LabeledText[];
  /** A validation set of its own (e.g. an official dev split); `validationFraction` is then unused. */
  validationSet?: LabeledText[];
  vocabSize: number;
  minWordFrequency: number;
  /** Hashed rows for token n-grams (exported with the model). */
  buckets: number;
  /** Hashed rows for character n-grams (training only: the export folds them into tokens). */
  charBuckets: number;
  /** Stop after this many epochs without a better validation score. */
  patience: number;
  maxLength: number;
  /**
   * Lexicon features appended to every text's tokens (`vader-compound-v1`: a VADER sentiment
   * score's bucket, lib/model/lexicon.ts), by the trainer and by the runtime alike; default none.
   */
  lexiconFeatures?: string;
  /** Fit a softmax temperature per head on the validation split. */
  calibrate: boolean;
  /**
   * The weight of an outlier example's loss (`LabeledText.outlierFor`) against a labeled one's;
   * default 0.5 (the weight of Hendrycks et al.'s outlier exposure).
   */
  outlierWeight?: number;
  /** Seconds for an automatic hyperparameter search on the validation split; 0: none. */
  autotuneSeconds: number;
  /** Heads to train; default: every label key present in the data. */
  heads?: string[];
  /**
   * Groups of heads trained as models of their own over the shared tokenizer and split (own
   * embeddings, n-grams and early stopping) and served as one graph; default: one model, every
   * head. A head whose text carries different cues (sentiment) then gets features that another
   * head is better off without. A head in several towers is an ensemble: the sum of their
   * calibrated logits.
   */
  towers?: TowerOptions[];
  /**
   * Without `towers`: the token n-gram order of a second, word-only model (no character
   * n-grams) trained beside the main one, every head served as the ensemble of both; 0: none.
   * The two models err differently (subwords against longer word n-grams): on CLINC150 and HWU64
   * the ensemble beats either alone.
   */
  wordModelNgrams: number;
  onEpoch?: (progress: EpochProgress) => void;
  onStage?: (stage: string) => void;
  onTrial?: (trial: AutotuneTrial) => void;
}

/** One group of heads trained as a model of its own (see `TrainOptions.towers`). */
export interface TowerOptions {
  heads: string[];
  /**
   * Heads the tower also learns (their labels shape its embeddings, as in multi-task learning)
   * but does not serve: each is served by another tower.
   */
  auxiliaryHeads?: string[];
  /** Hyperparameters where the tower differs from the training's options. */
  hyperparameters?: Partial<Hyperparameters>;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  seed: 42,
  validationFraction: 0.1,
  testFraction: 0.1,
  vocabSize: 16_000,
  minWordFrequency: 2,
  buckets: 1 << 16,
  charBuckets: 1 << 18,
  dim: 64,
  wordNgrams: 2,
  charNgrams: [3, 5],
  maxEpochs: 15,
  patience: 3,
  batchSize: 32,
  learningRate: 0.2,
  lrSchedule: 'linear',
  maxLength: 256,
  calibrate: true,
  autotuneSeconds: 0,
  wordModelNgrams: 3,
};

export interface EpochProgress {
  epoch: number;
  maxEpochs: number;
  loss: number;
  /** Mean validation macro-F1 over heads. */
  validationScore: number;
  best: boolean;
}

export interface AutotuneTrial {
  trial: number;
  hyperparameters: Hyperparameters;
  validationScore: number;
  epochs: number;
  seconds: number;
}

/** One trained fastText model of a TrainedModel and the heads it computes. */
export interface Tower {
  heads: string[];
  /** Heads it learned but does not serve. */
  auxiliaryHeads: string[];
  weights: FastTextWeights;
  /** Per vocabulary id, its character n-gram rows (empty without character n-grams). */
  subwords: Int32Array[];
  hyperparameters: Hyperparameters;
  history: EpochProgress[];
  trials: AutotuneTrial[];
}

export interface TrainedModel {
  manifest: ModelManifest;
  tokenizer: TokenizerJson;
  /** One tower unless `TrainOptions.towers` splits the heads. */
  towers: Tower[];
  /** Per head of the manifest, the softmax temperature (1: uncalibrated). */
  temperatures: number[];
  onnx: Uint8Array;
  /** Test-split metrics per head (calibrated). */
  test: Record<string, HeadMetrics>;
  /** The same test metrics before calibration. */
  testUncalibrated: Record<string, HeadMetrics>;
  /** The first tower's epochs (the whole model's unless it is trained in towers). */
  history: EpochProgress[];
  /** Every configuration the first tower's automatic search tried, best last among equals. */
  trials: AutotuneTrial[];
  /** The first tower's hyperparameters. */
  hyperparameters: Hyperparameters;
  /** The validation texts, for checking the export against the trainer. */
  validationTexts: string[];
  /** The test examples (held out of training and validation), for an evaluation elsewhere. */
  testExamples: LabeledText[];
  sizes: { train: number; validation: number; test: number };
  /** Where the test metrics come from. */
  testSource: 'test set' | 'held-out share' | 'none';
  /** Per head, the validation examples its temperature was fitted on. */
  calibration: HeadCalibration[];
}

/** `sha256:…` over the examples in order: identifies the data snapshot a model came from. */
export function dataHash(examples: readonly LabeledText[]): string {
  const hash = createHash('sha256');
  for (const example of examples) {
    const entry: unknown[] = [example.text, Object.entries(example.labels).sort()];
    if (example.outlierFor?.length) entry.push({ outlierFor: [...example.outlierFor].sort() });
    // Only a flag that is set enters the hash, so unflagged data keeps its hash and version.
    if (example.calibrate !== undefined && example.calibrate !== true) {
      entry.push({ calibrate: example.calibrate });
    }
    hash.update(JSON.stringify(entry));
    hash.update('\n');
  }
  return `sha256:${hash.digest('hex')}`;
}

/** The options that decide what a training produces (callbacks and the test set aside). */
export function recipeOptions(options: TrainOptions): Record<string, unknown> {
  const recipe: Record<string, unknown> = { ...options };
  for (const callback of ['onEpoch', 'onStage', 'onTrial']) delete recipe[callback];
  recipe.testSet = options.testSet ? dataHash(options.testSet) : null;
  recipe.validationSet = options.validationSet ? dataHash(options.validationSet) : null;
  return recipe;
}

/**
 * What a training learned, as a digest: the tokenizer, every tower's weights and the heads'
 * temperatures. Training is deterministic, so the same data, options and trainer code give the
 * same digest; a trainer change that moves a weight gives another.
 */
export function learnedDigest(
  tokenizer: unknown,
  weights: readonly FastTextWeights[],
  temperatures: readonly number[],
): string {
  const hash = createHash('sha256').update(JSON.stringify(tokenizer));
  for (const w of weights) {
    for (const array of [w.embeddings, ...w.headWeights, ...w.headBiases])
      hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.update(JSON.stringify(temperatures)).digest('hex');
}

/**
 * The model version: a hash of the training data, the recipe and what was learned
 * (`learnedDigest`), so two bundles trained from different data or options, or by trainer code
 * that learns differently, never share a version, and the same recipe gives the same one.
 */
export function modelVersion(
  data: readonly LabeledText[],
  options: TrainOptions,
  learned: string,
): string {
  const hash = createHash('sha256')
    .update(dataHash(data))
    .update(JSON.stringify(recipeOptions(options)))
    .update(learned)
    .digest('hex');
  return `fasttext-${hash.slice(0, 12)}`;
}

function labelSets(examples: readonly LabeledText[], heads: string[]): string[][] {
  return heads.map((head) => {
    const labels = new Set<string>();
    for (const example of examples) {
      const label = example.labels[head];
      if (label) labels.add(label);
    }
    return [...labels].sort();
  });
}

function metricsFromProbabilities(
  probabilities: Float64Array[][],
  examples: readonly { labels: Int32Array }[],
  heads: string[],
  labels: string[][],
): Record<string, HeadMetrics> {
  return Object.fromEntries(
    heads.map((head, h) => {
      const predicted = new Int32Array(examples.length);
      const confidence = new Float64Array(examples.length);
      probabilities.forEach((perHead, i) => {
        const p = perHead[h]!;
        let best = 0;
        for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
        predicted[i] = best;
        confidence[i] = p[best]!;
      });
      const truth = examples.map((example) => example.labels[h]!);
      return [head, headMetrics(labels[h]!, truth, predicted, confidence)];
    }),
  );
}

const meanMacroF1 = (metrics: Record<string, HeadMetrics>): number => {
  const values = Object.values(metrics);
  return values.reduce((sum, m) => sum + m.macroF1, 0) / values.length;
};

function learningRateAt(options: Hyperparameters, epoch: number): number {
  const progress = Math.min(1, epoch / options.maxEpochs);
  const factor =
    options.lrSchedule === 'constant'
      ? 1
      : options.lrSchedule === 'cosine'
        ? 0.5 * (1 + Math.cos(Math.PI * progress))
        : 1 - progress;
  return options.learningRate * Math.max(0.02, factor);
}

interface Encoded {
  ids: number[];
  labels: Int32Array;
  /** Per head, false: not for fitting its temperature (`LabeledText.calibrate`); missing: all. */
  calibrates?: boolean[];
}

interface Fit {
  hyperparameters: Hyperparameters;
  shape: FastTextShape;
  subwords: Int32Array[];
  weights: FastTextWeights;
  history: EpochProgress[];
  score: number;
  toFeatures: (ids: number[]) => Features;
}

interface FitContext {
  vocab: Record<string, number>;
  classes: number[];
  train: Encoded[];
  validation: Encoded[];
  heads: string[];
  labels: string[][];
  onEpoch?: (progress: EpochProgress) => void;
}

/** Trains one configuration with early stopping; the best epoch's weights win. */
function fit(hyperparameters: Hyperparameters, base: TrainOptions, context: FitContext): Fit {
  const shape: FastTextShape = {
    vocabSize: Object.keys(context.vocab).length,
    buckets: base.buckets,
    charBuckets: hyperparameters.charNgrams ? base.charBuckets : 0,
    dim: hyperparameters.dim,
    classes: context.classes,
    wordNgrams: hyperparameters.wordNgrams,
  };
  const subwords = subwordRows(context.vocab, shape, hyperparameters.charNgrams);
  const toFeatures = (ids: number[]): Features => features(ids, shape, subwords);
  const toExample = (example: Encoded): Example => ({
    ...toFeatures(example.ids),
    labels: example.labels,
  });
  const trainExamples = context.train.map(toExample);
  const validationExamples = context.validation.map(toExample);
  const random = new Random(base.seed);
  const weights = initWeights(shape, random);
  const optimizer = createOptimizerState(shape);
  let best = { score: -1, weights: cloneWeights(weights) };
  const history: EpochProgress[] = [];
  let sinceBest = 0;
  for (let epoch = 1; epoch <= hyperparameters.maxEpochs && sinceBest < base.patience; epoch++) {
    const loss = trainEpoch(weights, optimizer, random.shuffle([...trainExamples]), subwords, {
      batchSize: hyperparameters.batchSize,
      learningRate: [
        learningRateAt(hyperparameters, epoch - 1),
        learningRateAt(hyperparameters, epoch),
      ],
      ...(base.outlierWeight === undefined ? {} : { outlierWeight: base.outlierWeight }),
    });
    if (!Number.isFinite(loss)) {
      throw new Error(
        `training diverged at epoch ${epoch} (loss ${loss}): lower the learning rate (now ${hyperparameters.learningRate})`,
      );
    }
    const validationScore = meanMacroF1(
      metricsFromProbabilities(
        predictProbabilities(weights, validationExamples, subwords),
        validationExamples,
        context.heads,
        context.labels,
      ),
    );
    const improved = validationScore > best.score;
    if (improved) {
      best = { score: validationScore, weights: cloneWeights(weights) };
      sinceBest = 0;
    } else {
      sinceBest++;
    }
    const progress = {
      epoch,
      maxEpochs: hyperparameters.maxEpochs,
      loss,
      validationScore,
      best: improved,
    };
    history.push(progress);
    context.onEpoch?.(progress);
  }
  return {
    hyperparameters,
    shape,
    subwords,
    weights: best.weights,
    history,
    score: best.score,
    toFeatures,
  };
}

const pick = <T>(random: Random, values: readonly T[]): T => values[random.int(values.length)]!;

/**
 * A configuration near `best` (fastText's autotune also samples around its best so far): each
 * hyperparameter moves with probability one half.
 */
export function sampleHyperparameters(best: Hyperparameters, random: Random): Hyperparameters {
  const change = (): boolean => random.float() < 0.5;
  const clamp = (value: number, low: number, high: number): number =>
    Math.min(high, Math.max(low, value));
  return {
    dim: change() ? pick(random, [32, 48, 64, 96, 128, 192]) : best.dim,
    wordNgrams: change() ? pick(random, [1, 2, 3]) : best.wordNgrams,
    charNgrams: change()
      ? pick<CharNgrams>(random, [null, [2, 4], [3, 5], [3, 6], [2, 5]])
      : best.charNgrams,
    maxEpochs: change() ? pick(random, [10, 15, 20, 30, 40]) : best.maxEpochs,
    batchSize: change() ? pick(random, [8, 16, 32, 64]) : best.batchSize,
    learningRate: change()
      ? Number(
          clamp(best.learningRate * Math.exp((random.float() * 2 - 1) * 1.2), 0.02, 2).toFixed(3),
        )
      : best.learningRate,
    lrSchedule: change() ? pick(random, LEARNING_RATE_SCHEDULES) : best.lrSchedule,
  };
}

/**
 * Every head served by at least one tower (by several: an ensemble); auxiliary heads are heads of
 * the data too.
 */
export function checkTowers(towers: readonly TowerOptions[], heads: readonly string[]): void {
  const placed = towers.flatMap((tower) => tower.heads);
  const twice = towers.flatMap((tower) =>
    tower.heads.filter((head, i) => tower.heads.indexOf(head) !== i),
  );
  const unknown = [...placed, ...towers.flatMap((tower) => tower.auxiliaryHeads ?? [])].filter(
    (head) => !heads.includes(head),
  );
  const selfAuxiliary = towers.flatMap((tower) =>
    (tower.auxiliaryHeads ?? []).filter((head) => tower.heads.includes(head)),
  );
  if (selfAuxiliary.length > 0) {
    throw new Error(`heads both served and auxiliary in one tower: ${selfAuxiliary.join(', ')}`);
  }
  const missing = heads.filter((head) => !placed.includes(head));
  if (towers.some((tower) => tower.heads.length === 0)) throw new Error('a tower has no heads');
  if (twice.length > 0) throw new Error(`heads named twice in one tower: ${twice.join(', ')}`);
  if (unknown.length > 0) {
    throw new Error(
      `towers name heads the data lacks: ${unknown.join(', ')} (heads: ${heads.join(', ')})`,
    );
  }
  if (missing.length > 0) throw new Error(`heads in no tower: ${missing.join(', ')}`);
}

/** The same model with each head's weights and bias multiplied by its scale (embeddings shared). */
function scaledHeads(weights: FastTextWeights, scales: readonly number[]): FastTextWeights {
  return {
    ...weights,
    headWeights: weights.headWeights.map((w, h) => w.map((value) => value * scales[h]!)),
    headBiases: weights.headBiases.map((b, h) => b.map((value) => value * scales[h]!)),
  };
}

/** The same model with only its first `count` heads (shared embeddings, not copied). */
function withFirstHeads(weights: FastTextWeights, count: number): FastTextWeights {
  return {
    shape: { ...weights.shape, classes: weights.shape.classes.slice(0, count) },
    embeddings: weights.embeddings,
    headWeights: weights.headWeights.slice(0, count),
    headBiases: weights.headBiases.slice(0, count),
  };
}

/** For model.json: each tower's heads, dimension, character n-grams and best epoch. */
function describeTowers(towers: readonly Tower[]): string {
  return towers
    .map(({ heads, auxiliaryHeads, hyperparameters: hp, history }) => {
      const chars = hp.charNgrams ? hp.charNgrams.join('-') : 'none';
      const bestEpoch = history.filter((e) => e.best).at(-1)?.epoch ?? 0;
      const auxiliary = auxiliaryHeads.length > 0 ? ` (auxiliary ${auxiliaryHeads.join('+')})` : '';
      return `${heads.join('+')}${auxiliary}: dim ${hp.dim}, word n-grams ${hp.wordNgrams}, char n-grams ${chars}, best epoch ${bestEpoch}`;
    })
    .join('; ');
}

/**
 * One tower's training: the given configuration, or with a time budget an automatic search
 * around it (the given configuration first; a new trial starts only when one of average length
 * still fits in the budget); the best validation score wins.
 */
function searchOrFit(
  hyperparameters: TrainOptions,
  budgetSeconds: number,
  context: FitContext,
  options: TrainOptions,
): { fit: Fit; trials: AutotuneTrial[] } {
  const trials: AutotuneTrial[] = [];
  if (budgetSeconds <= 0) {
    return {
      fit: fit(hyperparametersOf(hyperparameters), options, {
        ...context,
        onEpoch: options.onEpoch,
      }),
      trials,
    };
  }
  const searchRandom = new Random(options.seed + 1);
  const started = Date.now();
  const seen = new Set<string>();
  const run = (candidate: Hyperparameters): Fit => {
    seen.add(JSON.stringify(candidate));
    const trialStarted = Date.now();
    const result = fit(candidate, options, context);
    const trial: AutotuneTrial = {
      trial: trials.length + 1,
      hyperparameters: candidate,
      validationScore: result.score,
      epochs: result.history.length,
      seconds: (Date.now() - trialStarted) / 1000,
    };
    trials.push(trial);
    options.onTrial?.(trial);
    return result;
  };
  let best = run(hyperparametersOf(hyperparameters));
  const averageMs = (): number => (Date.now() - started) / trials.length;
  for (let draws = 0; draws < 1000; draws++) {
    if (Date.now() - started + averageMs() > budgetSeconds * 1000) break;
    const candidate = sampleHyperparameters(best.hyperparameters, searchRandom);
    if (seen.has(JSON.stringify(candidate))) continue;
    const result = run(candidate);
    if (result.score > best.score) best = result;
  }
  best.history.forEach((progress) => options.onEpoch?.(progress));
  return { fit: best, trials };
}

const hyperparametersOf = (options: TrainOptions): Hyperparameters => ({
  dim: options.dim,
  wordNgrams: options.wordNgrams,
  charNgrams: options.charNgrams,
  maxEpochs: options.maxEpochs,
  batchSize: options.batchSize,
  learningRate: options.learningRate,
  lrSchedule: options.lrSchedule,
});

/** Trains in memory; nothing is written. */
export function trainModel(data: readonly LabeledText[], options: TrainOptions): TrainedModel {
  const heads =
    options.heads ?? [...new Set(data.flatMap((example) => Object.keys(example.labels)))].sort();
  if (heads.length === 0) throw new Error('the training data has no labels: nothing to train');
  const random = new Random(options.seed);
  const order = random.shuffle([...data.keys()]);
  const testCount = options.testSet ? 0 : Math.round(data.length * options.testFraction);
  const validationCount = options.validationSet
    ? 0
    : Math.round(data.length * options.validationFraction);
  const pickIndexes = (indexes: number[]): LabeledText[] => indexes.map((i) => data[i]!);
  const test = options.testSet ?? pickIndexes(order.slice(0, testCount));
  const validation =
    options.validationSet ?? pickIndexes(order.slice(testCount, testCount + validationCount));
  const train = pickIndexes(order.slice(testCount + validationCount));
  if (train.length === 0 || validation.length === 0) {
    throw new Error(`too little data to train: ${data.length} examples`);
  }
  const labels = labelSets([...data, ...validation, ...test], heads);
  const thin = heads.filter((_, h) => labels[h]!.length < 2);
  if (thin.length > 0) throw new Error(`heads with fewer than two labels: ${thin.join(', ')}`);

  options.onStage?.('building the WordPiece vocabulary');
  // The vocabulary is for the text the model serves: outliers spend none of its entries (with
  // them, 5,400 off-topic questions took entries from real comments: −0.016 sentiment macro-F1
  // on GoEmotions, mean of three seeds; bench/RESULTS.md). Their words become word pieces.
  const tokenizerJson = buildWordPiece(
    train.filter((example) => !example.outlierFor?.length).map((example) => example.text),
    {
      ...options,
      featureTokens: options.lexiconFeatures ? lexiconFeatureTokens(options.lexiconFeatures) : [],
    },
  );
  const tokenizer = loadTokenizer(tokenizerJson);
  const encodeOne = textEncoder(tokenizer, options.maxLength, options.lexiconFeatures);
  options.onStage?.('tokenizing');
  const encode = (example: LabeledText): Encoded => ({
    ids: encodeOne(example.text),
    labels: Int32Array.from(heads, (head, h) => {
      const label = example.labels[head];
      const outlier = example.outlierFor?.includes(head) ?? false;
      if (label && outlier)
        throw new Error(`an example is both labeled for ${head} and an outlier for it`);
      if (label) return labels[h]!.indexOf(label);
      return outlier ? OUTLIER : UNLABELED;
    }),
    ...(example.calibrate === undefined || example.calibrate === true
      ? {}
      : {
          calibrates: heads.map((head) =>
            example.calibrate === false
              ? false
              : (example.calibrate as readonly string[]).includes(head),
          ),
        }),
  });
  const context = {
    vocab: tokenizerJson.model.vocab,
    classes: labels.map((set) => set.length),
    train: train.map(encode),
    validation: validation.map(encode),
    heads,
    labels,
  };

  if (options.towers && options.wordModelNgrams > 0) {
    throw new Error('give towers or a word model (wordModelNgrams > 0), not both');
  }
  const towerOptions: TowerOptions[] =
    options.towers ??
    (options.wordModelNgrams > 0
      ? [
          { heads },
          {
            heads,
            hyperparameters: { charNgrams: null, wordNgrams: options.wordModelNgrams },
          },
        ]
      : [{ heads }]);
  checkTowers(towerOptions, heads);
  const towers = towerOptions.map((tower) => {
    options.onStage?.('training');
    // Served heads first, then the auxiliary ones, which are dropped after training.
    const trainedHeads = [...tower.heads, ...(tower.auxiliaryHeads ?? [])];
    const trainedIndex = trainedHeads.map((head) => heads.indexOf(head));
    const ofTower = (examples: Encoded[]): Encoded[] =>
      examples
        .map((example) => ({
          ids: example.ids,
          labels: Int32Array.from(trainedIndex, (h) => example.labels[h]!),
        }))
        .filter((example) => example.labels.some((label) => label !== UNLABELED));
    const towerContext = {
      vocab: context.vocab,
      classes: trainedIndex.map((h) => context.classes[h]!),
      train: ofTower(context.train),
      validation: ofTower(context.validation),
      heads: trainedHeads,
      labels: trainedIndex.map((h) => labels[h]!),
    };
    if (towerContext.train.length === 0 || towerContext.validation.length === 0) {
      throw new Error(`too little data to train the tower of ${tower.heads.join(', ')}`);
    }
    const towerTraining = { ...options, ...tower.hyperparameters };
    const budget = options.autotuneSeconds / towerOptions.length;
    const { fit, trials } = searchOrFit(towerTraining, budget, towerContext, options);
    const served = tower.heads.length;
    return {
      index: trainedIndex.slice(0, served),
      trials,
      fit: { ...fit, weights: withFirstHeads(fit.weights, served) },
    };
  });

  const validationFeatures = towers.map(({ fit }) =>
    context.validation.map((example) => fit.toFeatures(example.ids)),
  );
  const calibration = heads.map((head, h) => calibrationOf(head, h, context.validation));
  /** The labels a head's temperatures are fitted on (-1: the example does not take part). */
  const validationLabels = (h: number): number[] =>
    context.validation.map((example) =>
      example.calibrates?.[h] === false && !calibration[h]!.fallback ? -1 : example.labels[h]!,
    );
  // A head served by several towers (an ensemble) is the sum of their logits, each divided by the
  // member's own validation temperature first (folded into its head weights), so that a member
  // weighs by how well it is calibrated, not by the scale of its logits.
  const members = heads.map((_, h) => towers.filter(({ index }) => index.includes(h)).length);
  if (options.calibrate) {
    towers.forEach((tower, t) => {
      const logits = predictLogits(tower.fit.weights, validationFeatures[t]!, tower.fit.subwords);
      const scales = tower.index.map((h, k) =>
        members[h]! > 1
          ? 1 /
            fitTemperature(
              logits.map((perHead) => perHead[k]!),
              validationLabels(h),
              options.outlierWeight,
            )
          : 1,
      );
      tower.fit = { ...tower.fit, weights: scaledHeads(tower.fit.weights, scales) };
    });
  }
  /** Per example, per head (in `heads` order), the logits of the towers summed. */
  const logitsOf = (
    examples: readonly Encoded[],
    featuresPerTower: Features[][] | undefined,
  ): Float64Array[][] => {
    const summed = examples.map(() => labels.map((set) => new Float64Array(set.length)));
    towers.forEach(({ fit, index }, t) => {
      const perExample =
        featuresPerTower?.[t] ?? examples.map((example) => fit.toFeatures(example.ids));
      predictLogits(fit.weights, perExample, fit.subwords).forEach((perHead, i) =>
        index.forEach((h, k) => {
          const into = summed[i]![h]!;
          perHead[k]!.forEach((z, c) => (into[c]! += z));
        }),
      );
    });
    return summed;
  };
  const validationLogits = logitsOf(context.validation, validationFeatures);
  const temperatures = heads.map((_, h) =>
    options.calibrate
      ? fitTemperature(
          validationLogits.map((perHead) => perHead[h]!),
          validationLabels(h),
          options.outlierWeight,
        )
      : 1,
  );
  const probabilities = (logits: Float64Array[][], calibrated: boolean): Float64Array[][] =>
    logits.map((perHead) => perHead.map((z, h) => softmax(z, calibrated ? temperatures[h]! : 1)));

  const testSource: TrainedModel['testSource'] = options.testSet
    ? 'test set'
    : test.length > 0
      ? 'held-out share'
      : 'none';
  const encodedTest = test.map(encode);
  const testLogits = logitsOf(encodedTest, undefined);
  const testMetrics = metricsFromProbabilities(
    probabilities(testLogits, true),
    encodedTest,
    heads,
    labels,
  );
  const testUncalibrated = metricsFromProbabilities(
    probabilities(testLogits, false),
    encodedTest,
    heads,
    labels,
  );
  // Drift is measured against predictions on held-out text: the test split, else validation.
  const referenceMetrics =
    test.length > 0
      ? testMetrics
      : metricsFromProbabilities(
          probabilities(validationLogits, true),
          context.validation,
          heads,
          labels,
        );
  const hash = dataHash(data);
  const trained: Tower[] = towers.map(({ fit, trials }, t) => ({
    heads: towerOptions[t]!.heads,
    auxiliaryHeads: towerOptions[t]!.auxiliaryHeads ?? [],
    weights: fit.weights,
    subwords: fit.subwords,
    hyperparameters: fit.hyperparameters,
    history: fit.history,
    trials,
  }));
  const version = modelVersion(
    data,
    options,
    learnedDigest(
      tokenizerJson,
      trained.map((tower) => tower.weights),
      temperatures,
    ),
  );
  const { hyperparameters, history, trials } = trained[0]!;
  const metrics: Record<string, number> = {};
  if (test.length > 0) {
    for (const [head, m] of Object.entries(testMetrics)) {
      metrics[`${head}.accuracy`] = m.accuracy;
      metrics[`${head}.macro_f1`] = m.macroF1;
      metrics[`${head}.ece`] = m.ece;
      metrics[`${head}.ece_uncalibrated`] = testUncalibrated[head]!.ece;
    }
  }
  const manifest: ModelManifest = {
    format: BUNDLE_FORMAT,
    version,
    createdAt: new Date().toISOString(),
    architecture: 'fasttext-bag',
    maxLength: options.maxLength,
    ...(options.lexiconFeatures ? { lexiconFeatures: options.lexiconFeatures } : {}),
    inputs: { inputIds: INPUT_IDS, attentionMask: ATTENTION_MASK },
    heads: heads.map((name, h) => ({
      name,
      output: headOutput(name),
      labels: labels[h]!,
      temperature: temperatures[h]!,
    })),
    metrics,
    dataHash: hash,
    history: history.map(({ epoch, loss, validationScore }) => ({ epoch, loss, validationScore })),
    reference: Object.fromEntries(
      Object.entries(referenceMetrics).map(([head, m]) => [
        head,
        {
          predicted: m.confusion[0]!.map(
            (_, c) => m.confusion.reduce((sum, row) => sum + row[c]!, 0) / Math.max(1, m.count),
          ),
          confidence: m.confidenceHistogram.map((n) => n / Math.max(1, m.count)),
        },
      ]),
    ),
    params: {
      seed: options.seed,
      vocabSize: context.vocab ? Object.keys(context.vocab).length : 0,
      buckets: options.buckets,
      charBuckets: hyperparameters.charNgrams ? options.charBuckets : 0,
      dim: hyperparameters.dim,
      wordNgrams: hyperparameters.wordNgrams,
      charNgrams: hyperparameters.charNgrams ? hyperparameters.charNgrams.join('-') : 'none',
      maxEpochs: hyperparameters.maxEpochs,
      epochs: history.length,
      bestEpoch: history.filter((e) => e.best).at(-1)?.epoch ?? 0,
      patience: options.patience,
      batchSize: hyperparameters.batchSize,
      learningRate: hyperparameters.learningRate,
      lrSchedule: hyperparameters.lrSchedule,
      autotuneSeconds: options.autotuneSeconds,
      autotuneTrials: trials.length,
      validationShare: options.validationSet ? 0 : options.validationFraction,
      validationSource: options.validationSet ? 'validation set' : 'held-out share',
      testShare: options.testSet ? 0 : options.testFraction,
      testSource,
      trainExamples: train.length,
      validationExamples: validation.length,
      testExamples: test.length,
      ...outlierParams([...train, ...validation], heads),
      calibration: options.calibrate ? describeCalibration(calibration) : 'none (temperature 1)',
      ...(trained.length > 1 ? { towers: describeTowers(trained) } : {}),
    },
  };
  options.onStage?.('exporting to ONNX');
  return {
    manifest,
    tokenizer: tokenizerJson,
    towers: trained,
    temperatures,
    onnx: exportTowersOnnx(trained, version),
    test: testMetrics,
    testUncalibrated,
    history,
    trials,
    hyperparameters,
    validationTexts: validation.map((example) => example.text),
    testExamples: test,
    sizes: { train: train.length, validation: validation.length, test: test.length },
    testSource,
    calibration,
  };
}

function calibrationOf(head: string, h: number, validation: readonly Encoded[]): HeadCalibration {
  let labeled = 0;
  let excluded = 0;
  for (const example of validation) {
    if (example.labels[h]! < 0) continue;
    labeled++;
    if (example.calibrates?.[h] === false) excluded++;
  }
  const fallback = excluded > 0 && labeled - excluded < MIN_CALIBRATION_EXAMPLES;
  return { head, examples: fallback ? labeled : labeled - excluded, excluded, fallback };
}

/**
 * For model.json, when any example is an outlier (`LabeledText.outlierFor`): per head, how many
 * trained it or fitted its temperature as out-of-scope text.
 */
function outlierParams(
  examples: readonly LabeledText[],
  heads: readonly string[],
): Record<string, string> {
  const counts = heads
    .map((head) => [head, examples.filter((e) => e.outlierFor?.includes(head)).length] as const)
    .filter(([, n]) => n > 0);
  return counts.length === 0
    ? {}
    : { outlierExamples: counts.map(([head, n]) => `${head}: ${n}`).join('; ') };
}

/** For model.json: per head, which validation examples fitted its temperature. */
function describeCalibration(calibration: readonly HeadCalibration[]): string {
  return calibration
    .map(({ head, examples, excluded, fallback }) =>
      fallback
        ? `${head}: all ${examples} validation examples (fewer than ${MIN_CALIBRATION_EXAMPLES} calibrate it)`
        : excluded > 0
          ? `${head}: ${examples} validation examples (${excluded} flagged not to calibrate it left out)`
          : `${head}: ${examples} validation examples`,
    )
    .join('; ');
}

/** Writes model.onnx, tokenizer.json and model.json into `dir`. */
export async function writeBundle(dir: string, model: TrainedModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, MODEL_FILE), model.onnx);
  await writeFile(path.join(dir, TOKENIZER_FILE), JSON.stringify(model.tokenizer));
  await writeManifest(dir, model.manifest);
}
