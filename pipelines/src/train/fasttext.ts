/**
 * A fastText-style classifier: the mean of the embeddings of a text's features (its tokens, the
 * character n-grams of each token, and hashed token n-grams up to a given order), feeding one
 * linear softmax head per task. Trained with mini-batch Adagrad (row-wise for the sparse
 * embeddings) under a learning-rate schedule; deterministic for a seed. The ONNX export
 * (onnx-export.ts) computes the same function from `input_ids` and `attention_mask`: a token's
 * character n-grams depend on the token alone, so the export folds them into the token's row.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Bigram (a, b) of token ids lands in row vocabSize + (a * NGRAM_MULTIPLIER + b) mod buckets. */
export const NGRAM_MULTIPLIER = 1_000_003;
/** Trigram (a, b, c): row vocabSize + ((bigram(a, b) + TRIGRAM_OFFSET) * NGRAM_MULTIPLIER + c) mod buckets. */
export const TRIGRAM_OFFSET = 7_919;

export interface FastTextShape {
  vocabSize: number;
  /** Hashed rows of token n-grams (bigrams, trigrams), after the vocabulary's rows. */
  buckets: number;
  /**
   * Hashed rows of character n-grams, after the token n-gram rows (0: none). They exist only in
   * training: the export folds them into the token rows.
   */
  charBuckets: number;
  dim: number;
  /** Number of classes of each head, in head order. */
  classes: number[];
  /** Token n-gram order: 1 tokens only, 2 also bigrams, 3 also trigrams. */
  wordNgrams: number;
}

export interface FastTextWeights {
  shape: FastTextShape;
  /** (vocabSize + buckets + charBuckets) × dim, row-major. */
  embeddings: Float32Array;
  /** Per head: classes × dim, row-major. */
  headWeights: Float32Array[];
  headBiases: Float32Array[];
}

/**
 * A text's embedding rows as the trainer reads them. A token with character n-grams stands for
 * its own row and its n-grams' rows, summed once per batch however often it occurs (words repeat;
 * the weights change only between batches); every other row is read as it is.
 */
export interface Features {
  /** Ids of the tokens that have character n-grams, one per occurrence. */
  tokens: Int32Array;
  /** Rows read as they are: tokens without character n-grams, hashed token n-grams. */
  rows: Int32Array;
  /** How many embedding rows the text's vector is the mean of. */
  rowCount: number;
}

/** One training example: its features and a label index per head (-1: none). */
export interface Example extends Features {
  /** Per head: a class index, UNLABELED, or OUTLIER. */
  labels: Int32Array;
}

/** The example does not train this head. */
export const UNLABELED = -1;
/**
 * The example belongs to none of the head's classes (out-of-scope text): it trains the head
 * towards equal probabilities for every class, weighted by `EpochOptions.outlierWeight`
 * (outlier exposure, Hendrycks et al., ICLR 2019), so that text like it gets low confidence.
 */
export const OUTLIER = -2;
/** The weight of an OUTLIER example's loss against a labeled one's (Hendrycks et al.'s λ). */
export const DEFAULT_OUTLIER_WEIGHT = 0.5;

/** Character n-gram lengths, inclusive; `null` when a model uses none. */
export type CharNgrams = readonly [min: number, max: number] | null;

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Per vocabulary id, the embedding rows of the token's character n-grams (fastText's subwords).
 * A word-initial token is marked with `<` (a `##` continuation is not), so "<ref" and "ref"
 * differ; special tokens (`[PAD]`, …) have none.
 */
export function subwordRows(
  vocab: Record<string, number>,
  shape: Pick<FastTextShape, 'vocabSize' | 'buckets' | 'charBuckets'>,
  range: CharNgrams,
): Int32Array[] {
  const rows: Int32Array[] = Array.from({ length: shape.vocabSize }, () => new Int32Array(0));
  if (!range) return rows;
  if (shape.charBuckets < 1) throw new Error('character n-grams need charBuckets ≥ 1');
  const first = shape.vocabSize + shape.buckets;
  const [min, max] = range;
  for (const [token, id] of Object.entries(vocab)) {
    if (/^\[[A-Z]+\]$/.test(token)) continue;
    const chars = [...(token.startsWith('##') ? token.slice(2) : `<${token}`)];
    const grams: number[] = [];
    for (let n = min; n <= max; n++) {
      for (let start = 0; start + n <= chars.length; start++) {
        const gram = chars.slice(start, start + n).join('');
        grams.push(first + (fnv1a(gram) % shape.charBuckets));
      }
    }
    rows[id] = Int32Array.from(grams);
  }
  return rows;
}

/**
 * The features of a token sequence (padding already removed): its tokens (each with its
 * character n-grams), then hashed token bigrams and (order 3) trigrams.
 */
export function features(
  ids: ArrayLike<number>,
  shape: FastTextShape,
  subwords: readonly Int32Array[] = [],
): Features {
  const n = ids.length;
  const { vocabSize, buckets, wordNgrams } = shape;
  let folded = 0;
  let rowCount = n;
  for (let i = 0; i < n; i++) {
    const grams = subwords[ids[i]!]?.length ?? 0;
    if (grams > 0) folded++;
    rowCount += grams;
  }
  const ngrams =
    (wordNgrams >= 2 ? Math.max(0, n - 1) : 0) + (wordNgrams >= 3 ? Math.max(0, n - 2) : 0);
  const tokens = new Int32Array(folded);
  const rows = new Int32Array(n - folded + ngrams);
  let atToken = 0;
  let at = 0;
  for (let i = 0; i < n; i++) {
    if ((subwords[ids[i]!]?.length ?? 0) > 0) tokens[atToken++] = ids[i]!;
    else rows[at++] = ids[i]!;
  }
  if (wordNgrams >= 2) {
    for (let i = 0; i + 1 < n; i++)
      rows[at++] = vocabSize + bigramBucket(ids[i]!, ids[i + 1]!, buckets);
  }
  if (wordNgrams >= 3) {
    for (let i = 0; i + 2 < n; i++) {
      const bigram = bigramBucket(ids[i]!, ids[i + 1]!, buckets);
      rows[at++] = vocabSize + bigramBucket(bigram + TRIGRAM_OFFSET, ids[i + 2]!, buckets);
    }
  }
  return { tokens, rows, rowCount: rowCount + ngrams };
}

/** (a * NGRAM_MULTIPLIER + b) mod buckets: exact in doubles for a below 2^32, as in int64 in the graph. */
function bigramBucket(a: number, b: number, buckets: number): number {
  return (a * NGRAM_MULTIPLIER + b) % buckets;
}

export class Random {
  private readonly generator: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return uniformInt(this.generator, 0, n - 1);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return uniformFloat64(this.generator);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** Embedding rows of a shape: vocabulary, token n-gram buckets, character n-gram buckets. */
export const totalRows = (shape: FastTextShape): number =>
  shape.vocabSize + shape.buckets + shape.charBuckets;

export function initWeights(shape: FastTextShape, random: Random): FastTextWeights {
  const embeddings = new Float32Array(totalRows(shape) * shape.dim);
  const scale = 1 / shape.dim;
  for (let i = 0; i < embeddings.length; i++) embeddings[i] = (random.float() * 2 - 1) * scale;
  return {
    shape,
    embeddings,
    headWeights: shape.classes.map((k) => new Float32Array(k * shape.dim)),
    headBiases: shape.classes.map((k) => new Float32Array(k)),
  };
}

export function cloneWeights(weights: FastTextWeights): FastTextWeights {
  return {
    shape: weights.shape,
    embeddings: weights.embeddings.slice(),
    headWeights: weights.headWeights.map((w) => w.slice()),
    headBiases: weights.headBiases.map((b) => b.slice()),
  };
}

/**
 * Per distinct token, the sum of its own row and its character n-gram rows (a slot each, in
 * first-use order), and during training the gradient its occurrences collected: the rows are read
 * and written once per token instead of once per occurrence.
 */
class TokenFold {
  readonly slots: Int32Array;
  readonly ids: number[] = [];
  vectors: Float32Array;
  gradients: Float32Array;

  constructor(
    vocabSize: number,
    private readonly dim: number,
  ) {
    this.slots = new Int32Array(vocabSize).fill(-1);
    this.vectors = new Float32Array(256 * dim);
    this.gradients = new Float32Array(256 * dim);
  }

  /** The token's slot; its vector is summed from `weights` on first use. */
  slotOf(token: number, weights: FastTextWeights, subwords: readonly Int32Array[]): number {
    let slot = this.slots[token]!;
    if (slot >= 0) return slot;
    slot = this.slots[token] = this.ids.length;
    this.ids.push(token);
    const { dim } = this;
    if ((slot + 1) * dim > this.vectors.length) {
      this.vectors = grow(this.vectors);
      this.gradients = grow(this.gradients);
    }
    const e = weights.embeddings;
    const at = slot * dim;
    const v = this.vectors;
    let base = token * dim;
    for (let d = 0; d < dim; d++) v[at + d] = e[base + d]!;
    const grams = subwords[token]!;
    for (let g = 0; g < grams.length; g++) {
      base = grams[g]! * dim;
      for (let d = 0; d < dim; d++) v[at + d]! += e[base + d]!;
    }
    return slot;
  }

  /** Forgets every token (their gradients must already be zero). */
  clear(): void {
    for (const token of this.ids) this.slots[token] = -1;
    this.ids.length = 0;
  }
}

function grow(buffer: Float32Array): Float32Array {
  const grown = new Float32Array(buffer.length * 2);
  grown.set(buffer);
  return grown;
}

/** The mean of a text's embedding rows, into `out`. */
function meanEmbedding(
  weights: FastTextWeights,
  example: Features,
  fold: TokenFold,
  subwords: readonly Int32Array[],
  out: Float32Array,
): void {
  const { dim } = weights.shape;
  const e = weights.embeddings;
  const { tokens, rows } = example;
  out.fill(0);
  for (let t = 0; t < tokens.length; t++) {
    const at = fold.slotOf(tokens[t]!, weights, subwords) * dim;
    const v = fold.vectors;
    for (let d = 0; d < dim; d++) out[d]! += v[at + d]!;
  }
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * dim;
    for (let d = 0; d < dim; d++) out[d]! += e[base + d]!;
  }
  const inverse = example.rowCount === 0 ? 0 : 1 / example.rowCount;
  for (let d = 0; d < dim; d++) out[d]! *= inverse;
}

/** Softmax probabilities of head `h` for a document vector (logits divided by `temperature`). */
function headProbabilities(
  weights: FastTextWeights,
  h: number,
  doc: Float32Array,
  out: Float64Array,
  temperature = 1,
): void {
  const { dim } = weights.shape;
  const w = weights.headWeights[h]!;
  const b = weights.headBiases[h]!;
  let max = -Infinity;
  for (let c = 0; c < out.length; c++) {
    let z = b[c]!;
    for (let d = 0; d < dim; d++) z += w[c * dim + d]! * doc[d]!;
    out[c] = z / temperature;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < out.length; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < out.length; c++) out[c]! /= sum;
}

/** The softmax of `logits` divided by `temperature`. */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (let c = 0; c < out.length; c++) max = Math.max(max, logits[c]! / temperature);
  let sum = 0;
  for (let c = 0; c < out.length; c++) sum += out[c] = Math.exp(logits[c]! / temperature - max);
  for (let c = 0; c < out.length; c++) out[c]! /= sum;
  return out;
}

/** Per example, per head, the logits (before any temperature). */
export function predictLogits(
  weights: FastTextWeights,
  examples: readonly Features[],
  subwords: readonly Int32Array[] = [],
): Float64Array[][] {
  const { dim } = weights.shape;
  const doc = new Float32Array(dim);
  const fold = new TokenFold(weights.shape.vocabSize, dim);
  return examples.map((example) => {
    meanEmbedding(weights, example, fold, subwords, doc);
    return weights.shape.classes.map((k, h) => {
      const w = weights.headWeights[h]!;
      const b = weights.headBiases[h]!;
      const logits = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        let z = b[c]!;
        for (let d = 0; d < dim; d++) z += w[c * dim + d]! * doc[d]!;
        logits[c] = z;
      }
      return logits;
    });
  });
}

/**
 * Per example, per head, the class probabilities: the trainer's reference forward pass. Each
 * head's logits are divided by its temperature (default 1).
 */
export function predictProbabilities(
  weights: FastTextWeights,
  examples: readonly Features[],
  subwords: readonly Int32Array[] = [],
  temperatures: readonly number[] = [],
): Float64Array[][] {
  const doc = new Float32Array(weights.shape.dim);
  const fold = new TokenFold(weights.shape.vocabSize, weights.shape.dim);
  return examples.map((example) => {
    meanEmbedding(weights, example, fold, subwords, doc);
    return weights.shape.classes.map((k, h) => {
      const probabilities = new Float64Array(k);
      headProbabilities(weights, h, doc, probabilities, temperatures[h] ?? 1);
      return probabilities;
    });
  });
}

export interface EpochOptions {
  batchSize: number;
  /** Learning rate at the start and at the end of this epoch (decayed linearly in between). */
  learningRate: [number, number];
  /** The weight of an OUTLIER example's loss against a labeled one's (1); default DEFAULT_OUTLIER_WEIGHT. */
  outlierWeight?: number;
}

/** Adagrad accumulators: one per embedding row (row-wise Adagrad), one per head parameter. */
export interface OptimizerState {
  embeddingRows: Float32Array;
  headWeights: Float32Array[];
  headBiases: Float32Array[];
  /** Per embedding row, its slot in `gradientBuffer` during a batch (-1: untouched). */
  gradientSlots: Int32Array;
  /** Scratch for a batch's embedding gradients, slot × dim; grows when a batch needs more. */
  gradientBuffer: Float32Array;
  /** A batch's tokens with character n-grams: their summed rows and gradients. */
  tokens: TokenFold;
}

export function createOptimizerState(shape: FastTextShape): OptimizerState {
  return {
    gradientSlots: new Int32Array(totalRows(shape)).fill(-1),
    gradientBuffer: new Float32Array(1024 * shape.dim),
    embeddingRows: new Float32Array(totalRows(shape)),
    headWeights: shape.classes.map((k) => new Float32Array(k * shape.dim)),
    headBiases: shape.classes.map((k) => new Float32Array(k)),
    tokens: new TokenFold(shape.vocabSize, shape.dim),
  };
}

const EPSILON = 1e-8;

function adagradStep(
  parameters: Float32Array,
  gradients: Float32Array,
  accumulators: Float32Array,
  rate: number,
): void {
  for (let i = 0; i < parameters.length; i++) {
    const g = gradients[i]!;
    if (g === 0) continue;
    accumulators[i]! += g * g;
    parameters[i]! -= (rate * g) / Math.sqrt(accumulators[i]! + EPSILON);
    gradients[i] = 0;
  }
}

/**
 * One pass over `examples` in the given order. Gradients of a batch are summed, then applied
 * with Adagrad; embedding updates touch only the rows the batch used. `subwords`: per token id,
 * its character n-gram rows (see `subwordRows`). Returns the mean loss.
 */
export function trainEpoch(
  weights: FastTextWeights,
  state: OptimizerState,
  examples: readonly Example[],
  subwords: readonly Int32Array[],
  options: EpochOptions,
): number {
  const { dim, classes } = weights.shape;
  const doc = new Float32Array(dim);
  const docGradient = new Float32Array(dim);
  const probabilities = classes.map((k) => new Float64Array(k));
  const weightGradients = weights.headWeights.map((w) => new Float32Array(w.length));
  const biasGradients = weights.headBiases.map((b) => new Float32Array(b.length));
  // The batch's embedding gradients: one dense slot per distinct row touched, in first-touch order.
  const slotOf = state.gradientSlots;
  const touched: number[] = [];
  const fold = state.tokens;
  let slotGradients = state.gradientBuffer;
  let loss = 0;
  let lossTerms = 0;
  const outlierWeight = options.outlierWeight ?? DEFAULT_OUTLIER_WEIGHT;

  /** Adds `gradient[from … from + dim)` to the batch gradient of embedding row `row`. */
  const addToRow = (row: number, gradient: Float32Array, from: number): void => {
    let slot = slotOf[row]!;
    if (slot < 0) {
      slot = slotOf[row] = touched.length;
      touched.push(row);
      if ((slot + 1) * dim > slotGradients.length)
        slotGradients = state.gradientBuffer = grow(slotGradients);
    }
    const at = slot * dim;
    for (let d = 0; d < dim; d++) slotGradients[at + d]! += gradient[from + d]!;
  };
  const applyBatch = (rate: number): void => {
    for (let h = 0; h < classes.length; h++) {
      adagradStep(weights.headWeights[h]!, weightGradients[h]!, state.headWeights[h]!, rate);
      adagradStep(weights.headBiases[h]!, biasGradients[h]!, state.headBiases[h]!, rate);
    }
    // A token's gradient goes to its own row and to each of its character n-grams' rows.
    const tokenGradients = fold.gradients;
    for (let slot = 0; slot < fold.ids.length; slot++) {
      const token = fold.ids[slot]!;
      const from = slot * dim;
      addToRow(token, tokenGradients, from);
      const grams = subwords[token]!;
      for (let g = 0; g < grams.length; g++) addToRow(grams[g]!, tokenGradients, from);
    }
    tokenGradients.fill(0, 0, fold.ids.length * dim);
    fold.clear();
    const e = weights.embeddings;
    for (let slot = 0; slot < touched.length; slot++) {
      const row = touched[slot]!;
      const at = slot * dim;
      let squared = 0;
      for (let d = 0; d < dim; d++) squared += slotGradients[at + d]! * slotGradients[at + d]!;
      state.embeddingRows[row]! += squared / dim;
      const step = rate / Math.sqrt(state.embeddingRows[row]! + EPSILON);
      const base = row * dim;
      for (let d = 0; d < dim; d++) {
        e[base + d]! -= step * slotGradients[at + d]!;
        slotGradients[at + d] = 0;
      }
      slotOf[row] = -1;
    }
    touched.length = 0;
  };
  for (let i = 0; i < examples.length; i++) {
    const example = examples[i]!;
    const { tokens, rows, labels } = example;
    if (example.rowCount > 0) {
      meanEmbedding(weights, example, fold, subwords, doc);
      docGradient.fill(0);
      for (let h = 0; h < classes.length; h++) {
        const label = labels[h]!;
        if (label === UNLABELED) continue;
        const p = probabilities[h]!;
        headProbabilities(weights, h, doc, p);
        // The cross-entropy against the target: one-hot for a label, uniform for an outlier.
        const outlier = label === OUTLIER;
        const scale = outlier ? outlierWeight : 1;
        const uniform = 1 / p.length;
        if (outlier) {
          let sum = 0;
          for (let c = 0; c < p.length; c++) sum -= Math.log(Math.max(p[c]!, 1e-12));
          loss += scale * sum * uniform;
        } else {
          loss -= Math.log(Math.max(p[label]!, 1e-12));
        }
        lossTerms++;
        const w = weights.headWeights[h]!;
        const gw = weightGradients[h]!;
        const gb = biasGradients[h]!;
        for (let c = 0; c < p.length; c++) {
          const g = scale * (p[c]! - (outlier ? uniform : c === label ? 1 : 0));
          gb[c]! += g;
          const base = c * dim;
          for (let d = 0; d < dim; d++) {
            gw[base + d]! += g * doc[d]!;
            docGradient[d]! += g * w[base + d]!;
          }
        }
      }
      const share = 1 / example.rowCount;
      for (let d = 0; d < dim; d++) docGradient[d]! *= share;
      const tokenGradients = fold.gradients;
      for (let t = 0; t < tokens.length; t++) {
        const at = fold.slots[tokens[t]!]! * dim;
        for (let d = 0; d < dim; d++) tokenGradients[at + d]! += docGradient[d]!;
      }
      for (let r = 0; r < rows.length; r++) addToRow(rows[r]!, docGradient, 0);
    }
    if ((i + 1) % options.batchSize === 0 || i + 1 === examples.length) {
      const progress = i / examples.length;
      const [start, end] = options.learningRate;
      applyBatch(start + (end - start) * progress);
    }
  }
  return lossTerms === 0 ? 0 : loss / lossTerms;
}
