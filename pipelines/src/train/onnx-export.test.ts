/**
 * The exported graph against the trainer's forward pass on random weights, without training:
 * towers that share their hashing and towers that do not, token n-grams of order 1 to 3,
 * character n-grams, an ensemble head, and batches padded on either side or not at all.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import {
  Random,
  features,
  predictLogits,
  type FastTextShape,
  type FastTextWeights,
} from './fasttext.js';
import { exportFastTextOnnx, exportTowersOnnx, type TowerExport } from './onnx-export.js';

function randomTower(
  random: Random,
  heads: string[],
  shape: Omit<FastTextShape, 'charBuckets'>,
  charBuckets = 0,
): TowerExport {
  const full = { ...shape, charBuckets };
  const rows = shape.vocabSize + shape.buckets + charBuckets;
  const values = (n: number, scale: number): Float32Array =>
    Float32Array.from({ length: n }, () => (random.float() * 2 - 1) * scale);
  const weights: FastTextWeights = {
    shape: full,
    embeddings: values(rows * shape.dim, 1),
    headWeights: shape.classes.map((k) => values(k * shape.dim, 2)),
    headBiases: shape.classes.map((k) => values(k, 1)),
  };
  // Every third token has 1–4 character n-gram rows.
  const subwords = Array.from({ length: shape.vocabSize }, (_, id) =>
    charBuckets > 0 && id % 3 === 0
      ? Int32Array.from(
          { length: 1 + random.int(4) },
          () => shape.vocabSize + shape.buckets + random.int(charBuckets),
        )
      : new Int32Array(0),
  );
  return { weights, heads, subwords };
}

/** Rows of token ids and where they sit in `[batch, sequence]`: from `start`, `ids.length` long. */
interface Placed {
  ids: number[];
  start: number;
}

async function run(
  onnx: Uint8Array,
  rows: Placed[],
  sequence: number,
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(onnx, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  try {
    const ids = new BigInt64Array(rows.length * sequence).fill(7n);
    const mask = new BigInt64Array(rows.length * sequence);
    rows.forEach(({ ids: tokens, start }, r) =>
      tokens.forEach((id, i) => {
        ids[r * sequence + start + i] = BigInt(id);
        mask[r * sequence + start + i] = 1n;
      }),
    );
    const dims = [rows.length, sequence];
    return await session.run({
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
    });
  } finally {
    await session.release();
  }
}

/** The trainer's logits per head name, summed over the towers that have the head. */
function trainerLogits(towers: readonly TowerExport[], ids: number[]): Map<string, number[]> {
  const logits = new Map<string, number[]>();
  for (const { weights, heads, subwords } of towers) {
    const [perHead] = predictLogits(weights, [features(ids, weights.shape, subwords)], subwords);
    heads.forEach((head, h) => {
      const sum = logits.get(head) ?? new Array<number>(perHead![h]!.length).fill(0);
      perHead![h]!.forEach((z, c) => (sum[c]! += z));
      logits.set(head, sum);
    });
  }
  return logits;
}

function maxDifference(
  towers: readonly TowerExport[],
  outputs: Record<string, ort.Tensor>,
  rows: Placed[],
  outputOf: (head: string) => string = (head) => `${head}_logits`,
): number {
  let worst = 0;
  rows.forEach(({ ids }, r) => {
    for (const [head, expected] of trainerLogits(towers, ids)) {
      const output = outputs[outputOf(head)]!;
      expect(output.dims).toEqual([rows.length, expected.length]);
      const served = output.data as Float32Array;
      expected.forEach((z, c) => {
        worst = Math.max(worst, Math.abs(served[r * expected.length + c]! - z));
      });
    }
  });
  return worst;
}

describe('exportTowersOnnx', () => {
  const random = new Random(5);
  const vocabSize = 60;
  const base = { vocabSize, dim: 12 };
  const towers = [
    randomTower(random, ['category', 'sentiment'], {
      ...base,
      buckets: 97,
      classes: [4, 3],
      wordNgrams: 2,
    }),
    // The same hashing as the first, character n-grams, and more classes than dimensions: the
    // table holds its embedding rather than its scores.
    randomTower(
      random,
      ['sentiment'],
      { ...base, dim: 2, buckets: 97, classes: [3], wordNgrams: 2 },
      31,
    ),
    randomTower(random, ['category', 'urgency'], {
      ...base,
      buckets: 97,
      classes: [4, 2],
      wordNgrams: 3,
    }),
    randomTower(random, ['urgency'], { ...base, buckets: 41, classes: [2], wordNgrams: 1 }),
  ];
  const text = (n: number): number[] => Array.from({ length: n }, () => random.int(vocabSize));
  const sequence = 40;
  const rows: Placed[] = [
    { ids: text(sequence), start: 0 },
    { ids: text(12), start: 0 },
    { ids: text(9), start: sequence - 9 },
    { ids: text(2), start: 17 },
    { ids: text(1), start: 3 },
    { ids: [], start: 0 },
  ];

  it('computes what the trainer computes, for every head and however a row is padded', async () => {
    const onnx = exportTowersOnnx(towers, 'test');
    const outputs = await run(onnx, rows, sequence);
    expect(Object.keys(outputs).sort()).toEqual([
      'category_logits',
      'sentiment_logits',
      'urgency_logits',
    ]);
    expect(maxDifference(towers, outputs, rows)).toBeLessThan(1e-5);
    // A text without features gets the biases alone: the sum of its members' for an ensemble.
    const empty = Array.from(outputs.urgency_logits!.data as Float32Array).slice(-2);
    const biases = [0, 1].map(
      (c) => towers[2]!.weights.headBiases[1]![c]! + towers[3]!.weights.headBiases[0]![c]!,
    );
    empty.forEach((z, c) => expect(z).toBeCloseTo(biases[c]!, 6));
  });

  it('hashes once per distinct hashing and looks each table up once, whatever the towers', () => {
    const graph = onnxProto.onnx.ModelProto.decode(exportTowersOnnx(towers, 'test')).graph!;
    const ops = graph.node!.map((n) => n.opType!);
    const count = (op: string): number => ops.filter((o) => o === op).length;
    // Buckets 97: the bigram Mod, and the trigram's; buckets 41 hash no n-grams (order 1).
    expect(count('Mod')).toBe(2);
    // Tables: buckets 97 with bigrams (towers 0 and 1), with trigrams (tower 2), buckets 41.
    // The fourth Gather picks each column's feature count.
    expect(count('Gather')).toBe(4);
    expect(count('MatMul')).toBe(1);
  });

  it('serves a single tower under other output names (the Hugging Face `logits`)', async () => {
    const [tower] = towers;
    const single = { ...tower!, heads: ['category'] };
    single.weights = {
      ...tower!.weights,
      shape: { ...tower!.weights.shape, classes: [4] },
      headWeights: [tower!.weights.headWeights[0]!],
      headBiases: [tower!.weights.headBiases[0]!],
    };
    const onnx = exportFastTextOnnx(
      single.weights,
      ['category'],
      'hf',
      ['logits'],
      single.subwords,
    );
    const outputs = await run(onnx, rows, sequence);
    expect(Object.keys(outputs)).toEqual(['logits']);
    expect(maxDifference([single], outputs, rows, () => 'logits')).toBeLessThan(1e-5);
  });
});
