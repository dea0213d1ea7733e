/**
 * Trains a bundle from labeled texts: seeded split, WordPiece tokenizer, fastText model with
 * early stopping on validation macro-F1, ONNX export. Heads and their label sets come from the
 * data, so a team's own taxonomy (40 intents, no urgency head, …) trains with the same code.
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
import { encodeText } from '../../../lib/model/runtime.js';
import { headMetrics, type HeadMetrics } from '../evaluate/metrics.js';
import {
  Random,
  cloneWeights,
  createOptimizerState,
  featureRows,
  initWeights,
  predictProbabilities,
  trainEpoch,
  type Example,
  type FastTextShape,
  type FastTextWeights,
} from './fasttext.js';
import { ATTENTION_MASK, INPUT_IDS, exportFastTextOnnx, headOutput } from './onnx-export.js';
import { loadTokenizer } from '../../../lib/model/tokenizer.js';
import { buildWordPiece, type TokenizerJson } from './wordpiece.js';

export interface LabeledText {
  text: string;
  /** Label per head; missing or empty: this example does not train that head. */
  labels: Record<string, string | null | undefined>;
}

export interface TrainOptions {
  seed: number;
  /** Share of the data held out for early stopping. */
  validationFraction: number;
  /** Share held out for the final test metrics (ignored when `testSet` is given). */
  testFraction: number;
  testSet?: LabeledText[];
  vocabSize: number;
  minWordFrequency: number;
  buckets: number;
  dim: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation score. */
  patience: number;
  batchSize: number;
  learningRate: number;
  maxLength: number;
  /** Heads to train; default: every label key present in the data. */
  heads?: string[];
  onEpoch?: (progress: EpochProgress) => void;
  onStage?: (stage: string) => void;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  seed: 42,
  validationFraction: 0.1,
  testFraction: 0.1,
  vocabSize: 16_000,
  minWordFrequency: 2,
  buckets: 1 << 16,
  dim: 48,
  maxEpochs: 15,
  patience: 3,
  batchSize: 32,
  learningRate: 0.2,
  maxLength: 256,
};

export interface EpochProgress {
  epoch: number;
  maxEpochs: number;
  loss: number;
  /** Mean validation macro-F1 over heads. */
  validationScore: number;
  best: boolean;
}

export interface TrainedModel {
  manifest: ModelManifest;
  tokenizer: TokenizerJson;
  weights: FastTextWeights;
  onnx: Uint8Array;
  /** Test-split metrics per head. */
  test: Record<string, HeadMetrics>;
  history: EpochProgress[];
  /** The validation texts, for checking the export against the trainer. */
  validationTexts: string[];
  /** The test examples (held out of training and validation), for an evaluation elsewhere. */
  testExamples: LabeledText[];
  sizes: { train: number; validation: number; test: number };
}

/** `sha256:…` over the examples in order: identifies the data snapshot a model came from. */
export function dataHash(examples: readonly LabeledText[]): string {
  const hash = createHash('sha256');
  for (const example of examples) {
    hash.update(JSON.stringify([example.text, Object.entries(example.labels).sort()]));
    hash.update('\n');
  }
  return `sha256:${hash.digest('hex')}`;
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

function evaluateHeads(
  weights: FastTextWeights,
  examples: Example[],
  heads: string[],
  labels: string[][],
): Record<string, HeadMetrics> {
  const probabilities = predictProbabilities(
    weights,
    examples.map((example) => example.rows),
  );
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

/** Trains in memory; nothing is written. */
export function trainModel(data: readonly LabeledText[], options: TrainOptions): TrainedModel {
  const heads =
    options.heads ?? [...new Set(data.flatMap((example) => Object.keys(example.labels)))].sort();
  if (heads.length === 0) throw new Error('the training data has no labels: nothing to train');
  const random = new Random(options.seed);
  const order = random.shuffle([...data.keys()]);
  const testCount = options.testSet ? 0 : Math.round(data.length * options.testFraction);
  const validationCount = Math.round(data.length * options.validationFraction);
  const pick = (indexes: number[]): LabeledText[] => indexes.map((i) => data[i]!);
  const test = options.testSet ?? pick(order.slice(0, testCount));
  const validation = pick(order.slice(testCount, testCount + validationCount));
  const train = pick(order.slice(testCount + validationCount));
  if (train.length === 0 || validation.length === 0) {
    throw new Error(`too little data to train: ${data.length} examples`);
  }
  const labels = labelSets([...data, ...test], heads);
  const thin = heads.filter((_, h) => labels[h]!.length < 2);
  if (thin.length > 0) throw new Error(`heads with fewer than two labels: ${thin.join(', ')}`);

  options.onStage?.('building the WordPiece vocabulary');
  const tokenizerJson = buildWordPiece(
    train.map((example) => example.text),
    options,
  );
  const tokenizer = loadTokenizer(tokenizerJson);
  const vocabSize = Object.keys(tokenizerJson.model.vocab).length;
  const shape: FastTextShape = {
    vocabSize,
    buckets: options.buckets,
    dim: options.dim,
    classes: labels.map((set) => set.length),
  };
  options.onStage?.('tokenizing');
  const toExample = (example: LabeledText): Example => ({
    rows: featureRows(encodeText(tokenizer, example.text, options.maxLength), shape),
    labels: Int32Array.from(heads, (head, h) => {
      const label = example.labels[head];
      return label ? labels[h]!.indexOf(label) : -1;
    }),
  });
  const trainExamples = train.map(toExample);
  const validationExamples = validation.map(toExample);

  options.onStage?.('training');
  let weights = initWeights(shape, random);
  const optimizer = createOptimizerState(shape);
  let best = { score: -1, weights: cloneWeights(weights) };
  const history: EpochProgress[] = [];
  let sinceBest = 0;
  for (let epoch = 1; epoch <= options.maxEpochs && sinceBest < options.patience; epoch++) {
    const rateAt = (e: number): number =>
      options.learningRate * Math.max(0.02, 1 - e / options.maxEpochs);
    const loss = trainEpoch(weights, optimizer, random.shuffle([...trainExamples]), {
      batchSize: options.batchSize,
      learningRate: [rateAt(epoch - 1), rateAt(epoch)],
    });
    if (!Number.isFinite(loss)) {
      throw new Error(
        `training diverged at epoch ${epoch} (loss ${loss}): lower the learning rate`,
      );
    }
    const validationScore = meanMacroF1(evaluateHeads(weights, validationExamples, heads, labels));
    const improved = validationScore > best.score;
    if (improved) {
      best = { score: validationScore, weights: cloneWeights(weights) };
      sinceBest = 0;
    } else {
      sinceBest++;
    }
    const progress = { epoch, maxEpochs: options.maxEpochs, loss, validationScore, best: improved };
    history.push(progress);
    options.onEpoch?.(progress);
  }
  weights = best.weights;

  const testMetrics = evaluateHeads(weights, test.map(toExample), heads, labels);
  const hash = dataHash(data);
  const version = `fasttext-${new Date().toISOString().slice(0, 10)}-${hash.slice(7, 15)}-s${options.seed}`;
  const metrics: Record<string, number> = {};
  for (const [head, m] of Object.entries(testMetrics)) {
    metrics[`${head}.accuracy`] = m.accuracy;
    metrics[`${head}.macro_f1`] = m.macroF1;
    metrics[`${head}.ece`] = m.ece;
  }
  const manifest: ModelManifest = {
    format: BUNDLE_FORMAT,
    version,
    createdAt: new Date().toISOString(),
    architecture: 'fasttext-bag',
    maxLength: options.maxLength,
    inputs: { inputIds: INPUT_IDS, attentionMask: ATTENTION_MASK },
    heads: heads.map((name, h) => ({ name, output: headOutput(name), labels: labels[h]! })),
    metrics,
    dataHash: hash,
    history: history.map(({ epoch, loss, validationScore }) => ({ epoch, loss, validationScore })),
    reference: Object.fromEntries(
      Object.entries(testMetrics).map(([head, m]) => [
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
      vocabSize,
      buckets: options.buckets,
      dim: options.dim,
      epochs: history.length,
      bestEpoch: history.filter((e) => e.best).at(-1)?.epoch ?? 0,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      trainExamples: train.length,
      validationExamples: validation.length,
      testExamples: test.length,
    },
  };
  options.onStage?.('exporting to ONNX');
  return {
    manifest,
    tokenizer: tokenizerJson,
    weights,
    onnx: exportFastTextOnnx(weights, heads, version),
    test: testMetrics,
    history,
    validationTexts: validation.map((example) => example.text),
    testExamples: test,
    sizes: { train: train.length, validation: validation.length, test: test.length },
  };
}

/** Writes model.onnx, tokenizer.json and model.json into `dir`. */
export async function writeBundle(dir: string, model: TrainedModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, MODEL_FILE), model.onnx);
  await writeFile(path.join(dir, TOKENIZER_FILE), JSON.stringify(model.tokenizer));
  await writeManifest(dir, model.manifest);
}
