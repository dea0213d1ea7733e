import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModelRuntime } from '../../../lib/model/runtime.js';
import { Random } from './fasttext.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  trainModel,
  writeBundle,
  type LabeledText,
  type TrainOptions,
} from './train.js';
import { EXPORT_TOLERANCE, verifyExport } from './verify.js';

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
  dim: 16,
  maxEpochs: 10,
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
      Buffer.from(a.weights.embeddings.buffer).equals(Buffer.from(b.weights.embeddings.buffer)),
    ).toBe(true);
    expect(a.manifest.dataHash).toBe(b.manifest.dataHash);
    expect(
      Buffer.from(a.weights.embeddings.buffer).equals(Buffer.from(c.weights.embeddings.buffer)),
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
      { name: 'intent', output: 'intent_logits', labels: intents },
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
});
