import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ModelRuntime } from '../../../lib/model/runtime.js';
import { Random } from '../train/fasttext.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  trainModel,
  writeBundle,
  type LabeledText,
} from '../train/train.js';
import {
  compareWithChampion,
  evaluateBundle,
  outOfScopeEvaluation,
  writeReport,
  type ModelEvaluation,
} from './evaluate.js';

function topics(n: number, seed: number): LabeledText[] {
  const random = new Random(seed);
  const words: Record<string, string[]> = {
    billing: ['invoice', 'refund', 'charge'],
    sales: ['quote', 'pricing', 'demo'],
  };
  return Array.from({ length: n }, () => {
    const category = random.int(2) === 0 ? 'billing' : 'sales';
    const topic = words[category]!;
    return { text: `hello about the ${topic[random.int(3)]!} for our team`, labels: { category } };
  });
}

const evaluation = (version: string, f1: Record<string, number>): ModelEvaluation => ({
  version,
  examples: 10,
  heads: Object.fromEntries(
    Object.entries(f1).map(([head, macroF1]) => [
      head,
      {
        macroF1,
        accuracy: macroF1,
        ece: 0,
        perClass: [],
        confusion: [],
        confidenceHistogram: [],
        count: 10,
        labels: [],
        unknownLabels: 0,
        unknownLabelValues: [],
      },
    ]),
  ),
  latency: { batchTextsPerSecond: 1, batchSize: 1, singleP50Ms: 1, singleP99Ms: 1 },
});

/** A small model of `topics`, written as a bundle into `dir`. */
async function writeTopicBundle(dir: string): Promise<void> {
  const model = trainModel(topics(600, 1), {
    ...DEFAULT_TRAIN_OPTIONS,
    vocabSize: 200,
    minWordFrequency: 1,
    buckets: 512,
    dim: 8,
  });
  await writeBundle(dir, model);
}

describe('evaluate', () => {
  it('measures a bundle on labeled data and writes the report with confusion pictures', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'evaluate-test-'));
    try {
      await writeTopicBundle(path.join(dir, 'bundle'));
      const gold = [...topics(200, 2), { text: 'something else', labels: { category: 'legal' } }];
      const result = await evaluateBundle(path.join(dir, 'bundle'), gold, { latencySamples: 20 });
      expect(result.heads.category!.accuracy).toBeGreaterThan(0.95);
      expect(result.heads.category!.unknownLabels).toBe(1);
      expect(result.heads.category!.unknownLabelValues).toEqual(['legal']);
      expect(result.heads.category!.count).toBe(200);
      expect(result.heads.category).not.toHaveProperty('outOfScope');
      expect(result.latency.batchTextsPerSecond).toBeGreaterThan(0);
      const files = await writeReport(path.join(dir, 'report'), { candidate: result });
      expect(files).toEqual(['report.json', 'confusion-category.svg', 'confusion-category.json']);
      const svg = await readFile(path.join(dir, 'report', 'confusion-category.svg'), 'utf8');
      expect(svg).toMatch(/^<svg[\s\S]*billing[\s\S]*sales[\s\S]*<\/svg>$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('calls a candidate better only when mean macro-F1 rises and no head drops past the tolerance', () => {
    const champion = evaluation('v1', { category: 0.9, sentiment: 0.9 });
    expect(
      compareWithChampion(evaluation('v2', { category: 0.92, sentiment: 0.9 }), champion).better,
    ).toBe(true);
    expect(
      compareWithChampion(evaluation('v2', { category: 0.9, sentiment: 0.9 }), champion).better,
    ).toBe(false);
    const tradeOff = compareWithChampion(
      evaluation('v2', { category: 0.99, sentiment: 0.87 }),
      champion,
    );
    expect(tradeOff.better).toBe(false);
    expect(tradeOff.reasons.join(' ')).toMatch(
      /sentiment macro-F1 -0\.0300 is below the tolerance/,
    );
    expect(compareWithChampion(evaluation('v2', { intent: 0.99 }), champion).better).toBe(false);
  });

  it("reports rows out of a head's scope apart: how sure the model was of answers that are all wrong", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'evaluate-test-'));
    try {
      await writeTopicBundle(path.join(dir, 'bundle'));
      const offTopic = ['what is the weather', 'play a song', 'book a flight', 'a pasta recipe'];
      const gold = [
        ...topics(100, 2),
        ...offTopic.map((text) => ({ text, labels: {}, outlierFor: ['category'] })),
      ];
      const result = await evaluateBundle(path.join(dir, 'bundle'), gold, { latencySamples: 5 });
      const outOfScope = result.heads.category!.outOfScope!;
      expect(outOfScope.examples).toBe(4);
      expect(result.heads.category!.count).toBe(100);
      const runtime = await ModelRuntime.load(path.join(dir, 'bundle'));
      const confidences = (await runtime.classify(offTopic)).map((r) => r.category!.confidence);
      await runtime.release();
      expect(outOfScope.meanConfidence).toBeCloseTo(confidences.reduce((a, b) => a + b) / 4, 10);
      expect(outOfScope.confidentShare).toBe(confidences.filter((c) => c >= 0.9).length / 4);
      expect(outOfScope.belowHalfShare).toBe(confidences.filter((c) => c < 0.5).length / 4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('outOfScopeEvaluation', () => {
  it('counts confident answers (≥ 0.9) and those below the triage threshold (< 0.5)', () => {
    expect(outOfScopeEvaluation([0.95, 0.9, 0.5, 0.3])).toEqual({
      examples: 4,
      meanConfidence: 0.6625,
      confidentShare: 0.5,
      belowHalfShare: 0.25,
    });
    expect(outOfScopeEvaluation([])).toBeUndefined();
  });
});
