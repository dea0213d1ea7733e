import {
  Random,
  cloneWeights,
  createOptimizerState,
  features,
  initWeights,
  predictLogits,
  subwordRows,
  trainEpoch,
  type Example,
  type FastTextShape,
  type Features,
} from './fasttext.js';

const vocab = {
  '[PAD]': 0,
  '[UNK]': 1,
  refund: 2,
  refunded: 3,
  '##ing': 4,
  crash: 5,
  the: 6,
  login: 7,
};
const shape: FastTextShape = {
  vocabSize: 8,
  buckets: 64,
  charBuckets: 256,
  dim: 8,
  classes: [3, 2],
  wordNgrams: 3,
};
const subwords = subwordRows(vocab, shape, [3, 5]);

/** The same features with every token's character n-gram rows listed one by one. */
function unfolded(ids: number[]): Features {
  const plain = features(ids, shape);
  const rows = [...ids.flatMap((id) => [id, ...subwords[id]!])];
  rows.push(...plain.rows.slice(ids.length));
  return { tokens: new Int32Array(0), rows: Int32Array.from(rows), rowCount: rows.length };
}

function randomTexts(count: number, seed: number): { ids: number[]; labels: Int32Array }[] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => ({
    // Repeated tokens within and across texts: what folding saves work on.
    ids: Array.from({ length: 3 + random.int(8) }, () => 2 + random.int(6)),
    labels: Int32Array.of(random.int(3), random.int(4) - 1),
  }));
}

describe('features', () => {
  it('keeps tokens with character n-grams apart and counts every row of the mean', () => {
    const ids = [2, 0, 4, 4];
    const { tokens, rows, rowCount } = features(ids, shape, subwords);
    expect([...tokens]).toEqual([2, 4, 4]);
    // [PAD] has no n-grams: a row of its own, then 3 bigrams and 2 trigrams.
    expect(rows).toHaveLength(1 + 3 + 2);
    expect(rows[0]).toBe(0);
    expect(rowCount).toBe(4 + subwords[2]!.length + 2 * subwords[4]!.length + 3 + 2);
    expect(rowCount).toBe(unfolded(ids).rowCount);
  });
});

describe('trainEpoch', () => {
  it('learns with tokens folded per batch what it learns from every row listed', () => {
    const texts = randomTexts(200, 1);
    const start = initWeights(shape, new Random(5));
    const run = (toFeatures: (ids: number[]) => Features): Float32Array => {
      const weights = cloneWeights(start);
      const state = createOptimizerState(shape);
      const examples: Example[] = texts.map(({ ids, labels }) => ({ ...toFeatures(ids), labels }));
      for (let epoch = 0; epoch < 3; epoch++) {
        trainEpoch(weights, state, examples, subwords, { batchSize: 16, learningRate: [0.5, 0.3] });
      }
      return weights.embeddings;
    };
    const folded = run((ids) => features(ids, shape, subwords));
    const listed = run(unfolded);
    let maxDiff = 0;
    for (let i = 0; i < folded.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(folded[i]! - listed[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    // Training moved the weights: the comparison is not between two untouched copies.
    expect(folded.some((value, i) => value !== start.embeddings[i])).toBe(true);
  });

  it('predicts from folded tokens what it predicts from every row listed', () => {
    const weights = initWeights(shape, new Random(9));
    const texts = randomTexts(20, 2);
    const folded = predictLogits(
      weights,
      texts.map(({ ids }) => features(ids, shape, subwords)),
      subwords,
    );
    const listed = predictLogits(
      weights,
      texts.map(({ ids }) => unfolded(ids)),
    );
    folded.forEach((perHead, i) =>
      perHead.forEach((logits, h) =>
        logits.forEach((z, c) => expect(z).toBeCloseTo(listed[i]![h]![c]!, 6)),
      ),
    );
  });
});
