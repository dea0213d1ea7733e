/**
 * A fastText-style classifier: the mean of the embeddings of a text's tokens and of its hashed
 * token bigrams, feeding one linear softmax head per task. Trained with mini-batch Adagrad
 * (row-wise for the sparse embeddings) and a linearly decaying learning rate; deterministic
 * for a seed. The ONNX export
 * (onnx-export.ts) computes the same function from `input_ids` and `attention_mask`.
 */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Bigram (a, b) of token ids lands in row vocabSize + (a * BIGRAM_MULTIPLIER + b) mod buckets. */
export const BIGRAM_MULTIPLIER = 1_000_003;

export interface FastTextShape {
  vocabSize: number;
  buckets: number;
  dim: number;
  /** Number of classes of each head, in head order. */
  classes: number[];
}

export interface FastTextWeights {
  shape: FastTextShape;
  /** (vocabSize + buckets) × dim, row-major. */
  embeddings: Float32Array;
  /** Per head: classes × dim, row-major. */
  headWeights: Float32Array[];
  headBiases: Float32Array[];
}

/** One training example: its embedding rows (tokens then bigrams) and a label index per head (-1: none). */
export interface Example {
  rows: Int32Array;
  labels: Int32Array;
}

/** Embedding rows of a token sequence (padding already removed): unigrams, then hashed bigrams. */
export function featureRows(ids: ArrayLike<number>, shape: FastTextShape): Int32Array {
  const n = ids.length;
  const rows = new Int32Array(n + Math.max(0, n - 1));
  for (let i = 0; i < n; i++) rows[i] = ids[i]!;
  for (let i = 0; i + 1 < n; i++) {
    rows[n + i] = shape.vocabSize + ((ids[i]! * BIGRAM_MULTIPLIER + ids[i + 1]!) % shape.buckets);
  }
  return rows;
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

export function initWeights(shape: FastTextShape, random: Random): FastTextWeights {
  const embeddings = new Float32Array((shape.vocabSize + shape.buckets) * shape.dim);
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

function meanEmbedding(weights: FastTextWeights, rows: Int32Array, out: Float32Array): void {
  const { dim } = weights.shape;
  const e = weights.embeddings;
  out.fill(0);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * dim;
    for (let d = 0; d < dim; d++) out[d]! += e[base + d]!;
  }
  const inverse = rows.length === 0 ? 0 : 1 / rows.length;
  for (let d = 0; d < dim; d++) out[d]! *= inverse;
}

/** Softmax probabilities of head `h` for a document vector, written into `out`. */
function headProbabilities(
  weights: FastTextWeights,
  h: number,
  doc: Float32Array,
  out: Float64Array,
): void {
  const { dim } = weights.shape;
  const w = weights.headWeights[h]!;
  const b = weights.headBiases[h]!;
  let max = -Infinity;
  for (let c = 0; c < out.length; c++) {
    let z = b[c]!;
    for (let d = 0; d < dim; d++) z += w[c * dim + d]! * doc[d]!;
    out[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < out.length; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < out.length; c++) out[c]! /= sum;
}

/** Per head, the class probabilities of each example: the trainer's reference forward pass. */
export function predictProbabilities(
  weights: FastTextWeights,
  rows: Int32Array[],
): Float64Array[][] {
  const doc = new Float32Array(weights.shape.dim);
  return rows.map((example) => {
    meanEmbedding(weights, example, doc);
    return weights.shape.classes.map((k, h) => {
      const probabilities = new Float64Array(k);
      headProbabilities(weights, h, doc, probabilities);
      return probabilities;
    });
  });
}

export interface EpochOptions {
  batchSize: number;
  /** Learning rate at the start and at the end of this epoch (decayed linearly in between). */
  learningRate: [number, number];
}

/** Adagrad accumulators: one per embedding row (row-wise Adagrad), one per head parameter. */
export interface OptimizerState {
  embeddingRows: Float32Array;
  headWeights: Float32Array[];
  headBiases: Float32Array[];
}

export function createOptimizerState(shape: FastTextShape): OptimizerState {
  return {
    embeddingRows: new Float32Array(shape.vocabSize + shape.buckets),
    headWeights: shape.classes.map((k) => new Float32Array(k * shape.dim)),
    headBiases: shape.classes.map((k) => new Float32Array(k)),
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
 * with Adagrad; embedding updates touch only the rows the batch used. Returns the mean loss.
 */
export function trainEpoch(
  weights: FastTextWeights,
  state: OptimizerState,
  examples: Example[],
  options: EpochOptions,
): number {
  const { dim, classes } = weights.shape;
  const doc = new Float32Array(dim);
  const docGradient = new Float32Array(dim);
  const probabilities = classes.map((k) => new Float64Array(k));
  const weightGradients = weights.headWeights.map((w) => new Float32Array(w.length));
  const biasGradients = weights.headBiases.map((b) => new Float32Array(b.length));
  const embeddingGradient = new Map<number, Float32Array>();
  let loss = 0;
  let lossTerms = 0;

  const applyBatch = (rate: number): void => {
    for (let h = 0; h < classes.length; h++) {
      adagradStep(weights.headWeights[h]!, weightGradients[h]!, state.headWeights[h]!, rate);
      adagradStep(weights.headBiases[h]!, biasGradients[h]!, state.headBiases[h]!, rate);
    }
    const e = weights.embeddings;
    for (const [row, gradient] of embeddingGradient) {
      let squared = 0;
      for (let d = 0; d < dim; d++) squared += gradient[d]! * gradient[d]!;
      state.embeddingRows[row]! += squared / dim;
      const step = rate / Math.sqrt(state.embeddingRows[row]! + EPSILON);
      const base = row * dim;
      for (let d = 0; d < dim; d++) e[base + d]! -= step * gradient[d]!;
    }
    embeddingGradient.clear();
  };
  for (let i = 0; i < examples.length; i++) {
    const { rows, labels } = examples[i]!;
    if (rows.length === 0) continue;
    meanEmbedding(weights, rows, doc);
    docGradient.fill(0);
    for (let h = 0; h < classes.length; h++) {
      const label = labels[h]!;
      if (label < 0) continue;
      const p = probabilities[h]!;
      headProbabilities(weights, h, doc, p);
      loss -= Math.log(Math.max(p[label]!, 1e-12));
      lossTerms++;
      const w = weights.headWeights[h]!;
      const gw = weightGradients[h]!;
      const gb = biasGradients[h]!;
      for (let c = 0; c < p.length; c++) {
        const g = p[c]! - (c === label ? 1 : 0);
        gb[c]! += g;
        const base = c * dim;
        for (let d = 0; d < dim; d++) {
          gw[base + d]! += g * doc[d]!;
          docGradient[d]! += g * w[base + d]!;
        }
      }
    }
    const share = 1 / rows.length;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      let gradient = embeddingGradient.get(row);
      if (!gradient) embeddingGradient.set(row, (gradient = new Float32Array(dim)));
      for (let d = 0; d < dim; d++) gradient[d]! += docGradient[d]! * share;
    }
    if ((i + 1) % options.batchSize === 0 || i + 1 === examples.length) {
      const progress = i / examples.length;
      const [start, end] = options.learningRate;
      applyBatch(start + (end - start) * progress);
    }
  }
  return lossTerms === 0 ? 0 : loss / lossTerms;
}
