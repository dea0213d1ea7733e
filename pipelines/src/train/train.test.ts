import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VADER_FEATURES, VADER_REPEAT, VADER_TOKENS } from '../../../lib/model/lexicon.js';
import { ModelRuntime } from '../../../lib/model/runtime.js';
import { Random, subwordRows } from './fasttext.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  MIN_CALIBRATION_EXAMPLES,
  learnedDigest,
  modelVersion,
  trainModel,
  writeBundle,
  type LabeledText,
  type TrainOptions,
} from './train.js';
import { EXPORT_TOLERANCE, trainerProbabilities, verifyExport } from './verify.js';

/** Small separable data: topic words decide the category, mood words the sentiment. */
function topicData(n: number, seed: number): LabeledText[] {
  const random = new Random(seed);
  const topics: Record<string, string[]> = {
    billing: ['invoice', 'refund', 'charged', 'payment', 'receipt', 'vat'],
    technical_support: ['login', 'error', 'crash', 'password', 'timeout', 'sync'],
    sales: ['pricing', 'quote', 'demo', 'discount', 'licenses', 'trial'],
  };
  const moods: Record<string, string[]> = {
    negative: ['terrible', 'angry', 'disappointed', 'unacceptable'],
    positive: ['thanks', 'great', 'love', 'appreciate'],
  };
  const filler = ['the', 'my', 'our', 'please', 'about', 'with', 'team', 'account', 'today', 'we'];
  const pickFrom = (words: string[]): string => words[random.int(words.length)]!;
  return Array.from({ length: n }, () => {
    const category = pickFrom(Object.keys(topics));
    const sentiment = pickFrom(Object.keys(moods));
    const words = Array.from({ length: 6 + random.int(6) }, () => pickFrom(filler));
    words.splice(
      random.int(words.length),
      0,
      pickFrom(topics[category]!),
      pickFrom(topics[category]!),
    );
    words.splice(random.int(words.length), 0, pickFrom(moods[sentiment]!));
    return { text: words.join(' '), labels: { category, sentiment } };
  });
}

const small: TrainOptions = {
  ...DEFAULT_TRAIN_OPTIONS,
  vocabSize: 500,
  minWordFrequency: 1,
  buckets: 2048,
  charBuckets: 4096,
  charNgrams: null,
  dim: 16,
  maxEpochs: 10,
  wordModelNgrams: 0,
};

describe('trainModel', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'train-test-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('learns separable data, and the exported ONNX model computes what the trainer computes', async () => {
    const model = trainModel(topicData(1500, 1), small);
    expect(model.manifest.heads.map((head) => head.name)).toEqual(['category', 'sentiment']);
    expect(model.manifest.heads[0]!.labels).toEqual(['billing', 'sales', 'technical_support']);
    expect(model.test.category!.macroF1).toBeGreaterThan(0.95);
    expect(model.test.sentiment!.macroF1).toBeGreaterThan(0.95);
    await writeBundle(dir, model);
    const check = await verifyExport(dir, model);
    expect(check.checked).toBe(model.sizes.validation);
    expect(check.maxAbsDiff).toBeLessThan(EXPORT_TOLERANCE);
    expect(check.agreement).toBe(1);

    const runtime = await ModelRuntime.load(dir);
    try {
      const [first, second] = await runtime.classify(
        [
          'the refund for my invoice, terrible',
          'thanks, the demo and the pricing quote were great',
        ],
        { allScores: true },
      );
      expect(first!.category!.label).toBe('billing');
      expect(first!.sentiment!.label).toBe('negative');
      expect(second!.category!.label).toBe('sales');
      expect(second!.sentiment!.label).toBe('positive');
      const scores = Object.values(first!.category!.scores!);
      expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      await runtime.release();
    }
  });

  it('is deterministic for a seed', () => {
    const data = topicData(400, 2);
    const a = trainModel(data, { ...small, maxEpochs: 3 });
    const b = trainModel(data, { ...small, maxEpochs: 3 });
    const c = trainModel(data, { ...small, maxEpochs: 3, seed: 7 });
    expect(
      Buffer.from(a.towers[0]!.weights.embeddings.buffer).equals(
        Buffer.from(b.towers[0]!.weights.embeddings.buffer),
      ),
    ).toBe(true);
    expect(a.manifest.dataHash).toBe(b.manifest.dataHash);
    expect(
      Buffer.from(a.towers[0]!.weights.embeddings.buffer).equals(
        Buffer.from(c.towers[0]!.weights.embeddings.buffer),
      ),
    ).toBe(false);
  });

  it('takes heads and labels from the data: a custom taxonomy with one head trains the same way', async () => {
    const intents = Array.from({ length: 12 }, (_, i) => `intent_${String(i).padStart(2, '0')}`);
    const random = new Random(3);
    const data = Array.from({ length: 1200 }, () => {
      const intent = intents[random.int(intents.length)]!;
      return {
        text: `please help with ${intent.replace('_', ' ')} keyword${intent.slice(-2)} now`,
        labels: { intent },
      };
    });
    const model = trainModel(data, small);
    expect(model.manifest.heads).toEqual([
      {
        name: 'intent',
        output: 'intent_logits',
        labels: intents,
        temperature: model.temperatures[0],
      },
    ]);
    await writeBundle(dir, model);
    const runtime = await ModelRuntime.load(dir);
    try {
      const [result] = await runtime.classify(['please help with intent 07 keyword07 now']);
      expect(Object.keys(result!)).toEqual(['intent']);
      expect(result!.intent!.label).toBe('intent_07');
    } finally {
      await runtime.release();
    }
  });

  it('refuses data without labels, or with a head that has a single label', () => {
    expect(() => trainModel([{ text: 'a', labels: {} }], small)).toThrow(/no labels/);
    const oneLabel = topicData(200, 4).map((example) => ({
      ...example,
      labels: { ...example.labels, team: 'x' },
    }));
    expect(() => trainModel(oneLabel, small)).toThrow(/fewer than two labels: team/);
  });

  it('with character n-grams and token trigrams, the ONNX export still computes what the trainer computes', async () => {
    const model = trainModel(topicData(800, 5), {
      ...small,
      charNgrams: [2, 4],
      wordNgrams: 3,
      maxEpochs: 4,
    });
    expect(model.towers[0]!.subwords.some((rows) => rows.length > 0)).toBe(true);
    expect(model.manifest.params).toMatchObject({ charNgrams: '2-4', wordNgrams: 3 });
    await writeBundle(dir, model);
    const check = await verifyExport(dir, model);
    expect(check.maxAbsDiff).toBeLessThan(EXPORT_TOLERANCE);
    expect(check.agreement).toBe(1);
  }, 60_000);

  it('trains heads in towers of their own, each with its hyperparameters, and exports one graph that computes what the trainer computes', async () => {
    const data = topicData(800, 8);
    const model = trainModel(data, {
      ...small,
      maxEpochs: 4,
      towers: [
        { heads: ['category'], auxiliaryHeads: ['sentiment'] },
        { heads: ['sentiment'], hyperparameters: { charNgrams: [2, 4], dim: 8 } },
      ],
    });
    expect(model.towers.map((tower) => tower.heads)).toEqual([['category'], ['sentiment']]);
    // The auxiliary sentiment head shaped the first tower's embeddings and is not served.
    expect(model.towers[0]!.weights.shape.classes).toEqual([3]);
    expect(model.towers.map((tower) => tower.hyperparameters.charNgrams)).toEqual([null, [2, 4]]);
    expect(model.towers[1]!.weights.shape).toMatchObject({ dim: 8, classes: [2] });
    expect(model.manifest.heads.map((head) => head.name)).toEqual(['category', 'sentiment']);
    expect(model.manifest.params?.towers).toMatch(
      /^category \(auxiliary sentiment\): dim 16, .*char n-grams none.*; sentiment: dim 8, .*char n-grams 2-4/,
    );
    expect(model.test.category!.macroF1).toBeGreaterThan(0.9);
    expect(model.test.sentiment!.macroF1).toBeGreaterThan(0.9);
    await writeBundle(dir, model);
    const check = await verifyExport(dir, model);
    expect(check.maxAbsDiff).toBeLessThan(EXPORT_TOLERANCE);
    expect(check.agreement).toBe(1);
  }, 60_000);

  it('serves a head of several towers as an ensemble: the sum of their calibrated logits, in the graph as in the trainer', async () => {
    const data = topicData(800, 10);
    const model = trainModel(data, {
      ...small,
      maxEpochs: 4,
      towers: [
        { heads: ['category', 'sentiment'] },
        { heads: ['category'], hyperparameters: { charNgrams: [2, 4], wordNgrams: 1 } },
      ],
    });
    expect(model.manifest.heads.map((head) => head.output)).toEqual([
      'category_logits',
      'sentiment_logits',
    ]);
    expect(model.test.category!.macroF1).toBeGreaterThan(0.9);
    await writeBundle(dir, model);
    const check = await verifyExport(dir, model);
    expect(check.maxAbsDiff).toBeLessThan(EXPORT_TOLERANCE);
    expect(check.agreement).toBe(1);
    // The ensemble's probabilities are neither member's own.
    const [text] = model.validationTexts;
    const [ensemble] = trainerProbabilities(model, [text!]);
    const alone = trainerProbabilities({ ...model, towers: [model.towers[0]!] }, [text!])[0]!;
    expect(Array.from(ensemble![0]!)).not.toEqual(Array.from(alone[0]!));
    expect(Array.from(ensemble![1]!)).toEqual(Array.from(alone[1]!));
  }, 60_000);

  it('by default serves every head as the ensemble of the main model and a word-only model', async () => {
    const model = trainModel(topicData(800, 11), {
      ...small,
      charNgrams: [2, 4],
      maxEpochs: 4,
      wordModelNgrams: DEFAULT_TRAIN_OPTIONS.wordModelNgrams,
    });
    expect(DEFAULT_TRAIN_OPTIONS.wordModelNgrams).toBe(3);
    expect(model.towers.map((tower) => tower.heads)).toEqual([
      ['category', 'sentiment'],
      ['category', 'sentiment'],
    ]);
    expect(model.towers.map((tower) => tower.hyperparameters)).toEqual([
      expect.objectContaining({ charNgrams: [2, 4], wordNgrams: 2 }),
      expect.objectContaining({ charNgrams: null, wordNgrams: 3 }),
    ]);
    await writeBundle(dir, model);
    expect((await verifyExport(dir, model)).maxAbsDiff).toBeLessThan(EXPORT_TOLERANCE);
    expect(() =>
      trainModel(topicData(200, 12), {
        ...small,
        wordModelNgrams: 3,
        towers: [{ heads: ['category', 'sentiment'] }],
      }),
    ).toThrow(/towers or a word model/);
  }, 60_000);

  it('refuses towers that leave a head out, repeat one or name one the data lacks', () => {
    const data = topicData(200, 9);
    expect(() => trainModel(data, { ...small, towers: [{ heads: ['category'] }] })).toThrow(
      /heads in no tower: sentiment/,
    );
    expect(() =>
      trainModel(data, {
        ...small,
        towers: [{ heads: ['category', 'sentiment', 'category'] }],
      }),
    ).toThrow(/named twice in one tower: category/);
    expect(() =>
      trainModel(data, {
        ...small,
        towers: [{ heads: ['category', 'sentiment', 'urgency'] }],
      }),
    ).toThrow(/towers name heads the data lacks: urgency/);
    expect(() =>
      trainModel(data, {
        ...small,
        towers: [{ heads: ['category', 'sentiment'], auxiliaryHeads: ['sentiment'] }],
      }),
    ).toThrow(/both served and auxiliary in one tower: sentiment/);
  });

  it('exports a unigram-only model (word n-gram order 1) that agrees with the trainer', async () => {
    const model = trainModel(topicData(600, 6), { ...small, wordNgrams: 1, maxEpochs: 3 });
    await writeBundle(dir, model);
    expect((await verifyExport(dir, model)).maxAbsDiff).toBeLessThan(EXPORT_TOLERANCE);
  }, 60_000);

  it('appends lexicon features to the tokens in training and in serving alike', async () => {
    const model = trainModel(topicData(600, 12), {
      ...small,
      lexiconFeatures: VADER_FEATURES,
      maxEpochs: 3,
    });
    expect(model.manifest.lexiconFeatures).toBe(VADER_FEATURES);
    const vocab = model.tokenizer.model.vocab;
    for (const token of VADER_TOKENS) expect(vocab[token]).toBeDefined();
    await writeBundle(dir, model);
    // The trainer's forward pass saw the feature tokens: the runtime must append them too.
    expect((await verifyExport(dir, model)).maxAbsDiff).toBeLessThan(EXPORT_TOLERANCE);
    const runtime = await ModelRuntime.load(dir);
    try {
      const { inputIds, sequence } = runtime.encode(['terrible, I hate it']);
      const tail = [...inputIds.slice(sequence - VADER_REPEAT)].map(Number);
      expect(tail).toEqual(Array(VADER_REPEAT).fill(vocab['[VADERNEGSTRONG]']));
    } finally {
      await runtime.release();
    }
  }, 60_000);

  it('refuses a bundle that names lexicon features its vocabulary lacks', async () => {
    const model = trainModel(topicData(300, 13), { ...small, maxEpochs: 1 });
    await writeBundle(dir, {
      ...model,
      manifest: { ...model.manifest, lexiconFeatures: VADER_FEATURES },
    });
    await expect(ModelRuntime.load(dir)).rejects.toThrow(
      /lacks the feature token \[VADERNEGSTRONG\]/,
    );
  });

  it('gives related tokens shared character n-gram rows, and special tokens none', () => {
    const vocab = { '[PAD]': 0, '[UNK]': 1, refunded: 2, refunding: 3, '##ing': 4, crash: 5 };
    const shape = { vocabSize: 6, buckets: 1 << 10, charBuckets: 1 << 16 };
    const rows = subwordRows(vocab, shape, [3, 4]);
    expect(rows[0]).toHaveLength(0);
    expect(rows[1]).toHaveLength(0);
    // "<refunded": 7 trigrams and 6 four-grams; "ing" (a continuation, no "<"): 1 + 0.
    expect(rows[2]).toHaveLength(13);
    expect(rows[4]).toHaveLength(1);
    const shared = [...rows[2]!].filter((row) => rows[3]!.includes(row));
    expect(shared.length).toBeGreaterThanOrEqual(9); // <re, ref, efu, fun, und, <ref, refu, efun, fund
    expect([...rows[5]!].filter((row) => rows[2]!.includes(row))).toHaveLength(0);
    // Character n-gram rows come after the vocabulary's and the token n-grams' rows.
    for (const list of rows) for (const row of list) expect(row).toBeGreaterThanOrEqual(6 + 1024);
    expect(subwordRows(vocab, shape, null).every((list) => list.length === 0)).toBe(true);
  });

  it('searches hyperparameters within a time budget and keeps the best validation score', () => {
    const trials: number[] = [];
    const model = trainModel(topicData(500, 7), {
      ...small,
      maxEpochs: 3,
      autotuneSeconds: 3,
      onTrial: (trial) => trials.push(trial.validationScore),
    });
    expect(model.trials.length).toBeGreaterThan(1);
    expect(trials).toHaveLength(model.trials.length);
    const best = Math.max(...model.trials.map((trial) => trial.validationScore));
    const chosen = model.trials.find((trial) => trial.validationScore === best)!;
    expect(model.hyperparameters).toEqual(chosen.hyperparameters);
    expect(model.manifest.params).toMatchObject({ autotuneTrials: model.trials.length });
  });

  it('calibration: on a held-out split the temperature-scaled confidences have a lower ECE', () => {
    // Noisy labels and a long, fast training make the raw softmax overconfident.
    const random = new Random(11);
    const noisy = topicData(3000, 8).map((example) => ({
      ...example,
      labels: {
        category:
          random.float() < 0.25
            ? ['billing', 'sales', 'technical_support'][random.int(3)]!
            : example.labels.category,
      },
    }));
    const model = trainModel(noisy, {
      ...small,
      dim: 32,
      learningRate: 0.8,
      maxEpochs: 25,
      patience: 25,
      lrSchedule: 'constant',
      validationFraction: 0.2,
      testFraction: 0.3,
    });
    expect(model.temperatures[0]).toBeGreaterThan(1);
    expect(model.test.category!.ece).toBeLessThan(model.testUncalibrated.category!.ece);
    expect(model.manifest.metrics['category.ece']).toBe(model.test.category!.ece);
    // Calibration never changes the predicted label.
    expect(model.test.category!.accuracy).toBe(model.testUncalibrated.category!.accuracy);
  });

  /** topicData whose category label is replaced by a random one in a share of the rows. */
  const relabeled = (data: LabeledText[], share: number, seed: number): LabeledText[] => {
    const random = new Random(seed);
    return data.map((example) => ({
      ...example,
      labels: {
        ...example.labels,
        category:
          random.float() < share
            ? ['billing', 'sales', 'technical_support'][random.int(3)]!
            : example.labels.category,
      },
    }));
  };

  it("fits each head's temperature on the validation examples not flagged out of it (calibrate), and on all of them when too few are left", () => {
    // Easy rows (clean labels, flagged: the generated text) and hard rows (40 % random category
    // labels, the real text) with the same words: the model is as confident on both, so a
    // temperature fitted on the easy rows leaves it overconfident on the hard ones.
    const easy = topicData(3000, 21).map((example) => ({ ...example, calibrate: false }));
    const hard = relabeled(topicData(1500, 22), 0.4, 23);
    const options = { ...small, wordModelNgrams: 1, validationFraction: 0.25, testFraction: 0 };
    const heldOutHard = { ...options, testSet: relabeled(topicData(1500, 24), 0.4, 25) };
    const unflag = (data: LabeledText[]): LabeledText[] =>
      data.map(({ text, labels }) => ({ text, labels }));

    const flagged = trainModel([...easy, ...hard], heldOutHard);
    const unflagged = trainModel(unflag([...easy, ...hard]), heldOutHard);
    // The flag changes the fit only: the same weights, so the same labels are predicted.
    expect(flagged.test.category!.accuracy).toBe(unflagged.test.category!.accuracy);
    const category = flagged.calibration.find((c) => c.head === 'category')!;
    expect(category.fallback).toBe(false);
    expect(category.examples).toBeGreaterThanOrEqual(MIN_CALIBRATION_EXAMPLES);
    expect(category.excluded).toBeGreaterThan(category.examples);
    expect(category.examples + category.excluded).toBe(flagged.sizes.validation);
    expect(flagged.manifest.params?.calibration).toContain('category: ');
    expect(flagged.manifest.params?.calibration).toContain('flagged not to calibrate it left out');
    // Fitted on the hard rows, the temperatures (the ensemble members' and the head's) calibrate
    // held-out hard text better.
    expect(flagged.test.category!.ece).toBeLessThan(unflagged.test.category!.ece);
    // One model (no ensemble), the easy rows flagged for the sentiment head only: the category
    // temperature, fitted on the hard rows, is the higher one; sentiment's is as without flags.
    const single = { ...heldOutHard, wordModelNgrams: 0 };
    const sentimentOnly = easy.map((example) => ({ ...example, calibrate: ['sentiment'] }));
    const perHead = trainModel([...sentimentOnly, ...hard], single);
    const all = trainModel(unflag([...easy, ...hard]), single);
    expect(perHead.temperatures[0]).toBeGreaterThan(all.temperatures[0]!);
    expect(perHead.temperatures[1]).toBe(all.temperatures[1]);
    expect(perHead.calibration.map((c) => c.excluded > 0)).toEqual([true, false]);
    // The flag is part of the data, so of the version.
    expect(flagged.manifest.version).not.toBe(unflagged.manifest.version);

    // Nothing flagged, or everything flagged calibrate=true: as if there were no flag.
    const marked = trainModel(
      hard.map((example) => ({ ...example, calibrate: true })),
      options,
    );
    const plain = trainModel(unflag(hard), options);
    expect(marked.temperatures).toEqual(plain.temperatures);
    expect(marked.manifest.version).toBe(plain.manifest.version);
    expect(plain.calibration.every((c) => c.excluded === 0 && !c.fallback)).toBe(true);
    expect(plain.calibration.map((c) => c.examples)).toEqual([
      plain.sizes.validation,
      plain.sizes.validation,
    ]);

    // Fewer than MIN_CALIBRATION_EXAMPLES validation rows calibrate: all of them fit it.
    const mostlyFlagged = hard.map((example, i) => ({ ...example, calibrate: i % 10 === 0 }));
    const fallback = trainModel(mostlyFlagged, options);
    expect(fallback.temperatures).toEqual(plain.temperatures);
    expect(fallback.calibration.every((c) => c.fallback)).toBe(true);
    expect(fallback.manifest.params?.calibration).toContain(
      `fewer than ${MIN_CALIBRATION_EXAMPLES} calibrate it`,
    );
  });

  it('outlier exposure: text out of every category trains the head towards equal probabilities, and text like it then gets lower confidence', () => {
    /** Texts about none of topicData's categories: weather, travel, cooking. */
    const offTopic = (n: number, seed: number): string[] => {
      const random = new Random(seed);
      const words = ['weather', 'rain', 'flight', 'hotel', 'recipe', 'oven', 'holiday', 'song'];
      const filler = ['the', 'my', 'please', 'about', 'with', 'today', 'we', 'our'];
      return Array.from({ length: n }, () =>
        Array.from({ length: 6 + random.int(6) }, (_, i) =>
          i % 3 === 0 ? words[random.int(words.length)] : filler[random.int(filler.length)],
        ).join(' '),
      );
    };
    const inScope = topicData(1500, 12).map((example) => ({
      text: example.text,
      labels: { category: example.labels.category },
    }));
    const outliers: LabeledText[] = offTopic(600, 13).map((text) => ({
      text,
      labels: {},
      outlierFor: ['category'],
    }));
    const options = { ...small, testSet: topicData(300, 14) };
    const plain = trainModel(inScope, options);
    const exposed = trainModel([...inScope, ...outliers], options);
    const heldOut = offTopic(200, 15);
    const meanConfidence = (model: typeof plain): number => {
      const probabilities = trainerProbabilities(model, heldOut);
      return probabilities.reduce((sum, [p]) => sum + Math.max(...p!), 0) / heldOut.length;
    };
    expect(meanConfidence(exposed)).toBeLessThan(meanConfidence(plain) - 0.1);
    // Off-topic text in a three-class head: close to a third each.
    expect(meanConfidence(exposed)).toBeLessThan(0.5);
    // In-scope text is still classified; outliers count in no metric.
    expect(exposed.test.category!.accuracy).toBeGreaterThan(0.95);
    expect(exposed.test.category!.count).toBe(300);
    expect(exposed.manifest.heads[0]!.labels).toEqual(['billing', 'sales', 'technical_support']);
    expect(exposed.manifest.params?.outlierExamples).toBe('category: 600');
    expect(plain.manifest.params).not.toHaveProperty('outlierExamples');
    expect(exposed.manifest.version).not.toBe(
      trainModel([...inScope, ...outliers.map((o) => ({ text: o.text, labels: {} }))], options)
        .manifest.version,
    );
    expect(() =>
      trainModel(
        [...inScope, { text: 'weather', labels: { category: 'sales' }, outlierFor: ['category'] }],
        small,
      ),
    ).toThrow('both labeled for category and an outlier');
  });

  it('derives the version from the data, the options and what was learned', () => {
    const data = topicData(300, 10);
    const learned = 'a'.repeat(64);
    const version = modelVersion(data, small, learned);
    expect(version).toMatch(/^fasttext-[0-9a-f]{12}$/);
    expect(modelVersion(data, { ...small }, learned)).toBe(version);
    expect(modelVersion(data, { ...small, dim: 17 }, learned)).not.toBe(version);
    expect(modelVersion(data.slice(1), small, learned)).not.toBe(version);
    expect(modelVersion(data, { ...small, onEpoch: () => undefined }, learned)).toBe(version);
    // Trainer code that learns other weights from the same data and options: another version.
    expect(modelVersion(data, small, 'b'.repeat(64))).not.toBe(version);
    // Training is deterministic: the same recipe twice gives the same weights and version.
    const first = trainModel(data, small);
    const again = trainModel(data, small);
    expect(again.manifest.version).toBe(first.manifest.version);
    const weightsOf = (model: typeof first) => model.towers.map((tower) => tower.weights);
    expect(learnedDigest(again.tokenizer, weightsOf(again), again.temperatures)).toBe(
      learnedDigest(first.tokenizer, weightsOf(first), first.temperatures),
    );
    const nudged = weightsOf(first).map((w) => ({ ...w, embeddings: w.embeddings.slice() }));
    nudged[0]!.embeddings[0]! += 1e-6;
    expect(learnedDigest(first.tokenizer, nudged, first.temperatures)).not.toBe(
      learnedDigest(first.tokenizer, weightsOf(first), first.temperatures),
    );
  });
});
