/**
 * Writes a trained fastText model as an ONNX graph with the Hugging Face sequence-classification
 * interface: int64 `input_ids` and `attention_mask` `[batch, sequence]` in, one
 * `<head>_logits` `[batch, classes]` per head out. Token n-gram hashing and masked mean pooling
 * happen inside the graph, so any runtime that feeds token ids gets the trainer's exact function.
 *
 * The heads are linear, so a head's logits are the mean over a text's features of each feature's
 * own scores (its embedding row times the head weights) plus the bias. The export stores those
 * scores instead of the embeddings when they are narrower (fewer classes than dimensions, the
 * usual case): one table row per token or n-gram bucket, one column per class of every head of the
 * tower, and one with the number of features the row stands for (a token's character n-grams are
 * fixed by the token, so its row holds the sum over the token and its n-grams). Towers that hash
 * alike share a table. The graph hashes the n-grams once, looks each text's rows up in one Gather
 * per table (masked positions read a zero row), sums them (scores in doubles), divides by the count,
 * and maps the means to every output in one MatMul: 23 nodes for the default model's two towers,
 * which took 62 as a graph per tower (bench/RESULTS.md, "A smaller ONNX graph").
 */
import onnxProto from 'onnx-proto';
import {
  NGRAM_MULTIPLIER,
  TRIGRAM_OFFSET,
  type FastTextShape,
  type FastTextWeights,
} from './fasttext.js';

const { onnx } = onnxProto;
const OPSET = 13;
const INT64_MAX = 2n ** 63n - 1n;

export const INPUT_IDS = 'input_ids';
export const ATTENTION_MASK = 'attention_mask';
export const headOutput = (head: string): string => `${head}_logits`;

function floatTensor(
  name: string,
  dims: number[],
  values: Float32Array,
): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

function int64Tensor(name: string, dims: number[], values: bigint[]): onnxProto.onnx.ITensorProto {
  const data = BigInt64Array.from(values);
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(data.buffer),
  };
}

function node(
  opType: string,
  inputs: string[],
  output: string | string[],
  attributes: onnxProto.onnx.IAttributeProto[] = [],
): onnxProto.onnx.INodeProto {
  const outputs = typeof output === 'string' ? [output] : output;
  return { opType, input: inputs, output: outputs, name: outputs[0], attribute: attributes };
}

const intAttribute = (name: string, i: number): onnxProto.onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i,
});

function tensorValue(
  name: string,
  elemType: number,
  dims: (string | number)[],
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  };
}

/** One fastText model of a model in towers: its weights, the heads it computes, its subwords. */
export interface TowerExport {
  weights: FastTextWeights;
  heads: string[];
  /** Per vocabulary id, its character n-gram rows (see subwordRows). */
  subwords: readonly Int32Array[];
}

/** Serializes the model; `heads` names the heads in the order of `weights.shape.classes`. */
export function exportFastTextOnnx(
  weights: FastTextWeights,
  heads: string[],
  version: string,
  /** Output name per head; default `<head>_logits`. A single-head model may use `logits` (HF style). */
  outputNames: string[] = heads.map(headOutput),
  /** Per vocabulary id, its character n-gram rows (see subwordRows); none by default. */
  subwords: readonly Int32Array[] = [],
): Uint8Array {
  const outputs = heads.map((head, h) => ({ head, name: outputNames[h]! }));
  return encodeModel(classifierGraph([{ weights, heads, subwords }], outputs), version);
}

/**
 * Serializes towers that read the same `input_ids` into one graph, every head with its
 * `<head>_logits` output; a head of several towers (an ensemble) outputs the sum of their logits.
 */
export function exportTowersOnnx(towers: readonly TowerExport[], version: string): Uint8Array {
  const heads = [...new Set(towers.flatMap((tower) => tower.heads))];
  const outputs = heads.map((head) => ({ head, name: headOutput(head) }));
  return encodeModel(classifierGraph(towers, outputs), version);
}

interface Graph {
  nodes: onnxProto.onnx.INodeProto[];
  initializers: onnxProto.onnx.ITensorProto[];
  outputs: onnxProto.onnx.IValueInfoProto[];
}

function encodeModel({ nodes, initializers, outputs }: Graph, version: string): Uint8Array {
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'inquiry-platform',
    modelVersion: 1,
    docString: `fastText-style inquiry classifier ${version}`,
    graph: {
      name: 'inquiry_classifier',
      node: nodes,
      initializer: initializers.filter((tensor) => used.has(tensor.name!)),
      input: [
        tensorValue(INPUT_IDS, onnx.TensorProto.DataType.INT64, ['batch', 'sequence']),
        tensorValue(ATTENTION_MASK, onnx.TensorProto.DataType.INT64, ['batch', 'sequence']),
      ],
      output: outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Nodes and initializers in the making; what several towers need is added once. */
class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers = new Map<string, onnxProto.onnx.ITensorProto>();
  private readonly built = new Set<string>();

  /** An initializer's name, the tensor added on first use. */
  constant(tensor: onnxProto.onnx.ITensorProto): string {
    if (!this.initializers.has(tensor.name!)) this.initializers.set(tensor.name!, tensor);
    return tensor.name!;
  }

  int64(name: string, dims: number[], values: (number | bigint)[]): string {
    return this.constant(int64Tensor(name, dims, values.map(BigInt)));
  }

  /** The value `name`, its nodes added by `build` unless they are in already. */
  once(name: string, build: () => onnxProto.onnx.INodeProto[]): string {
    if (!this.built.has(name)) {
      this.built.add(name);
      // build() may add the nodes of its inputs first.
      const nodes = build();
      this.nodes.push(...nodes);
    }
    return name;
  }

  get tensors(): onnxProto.onnx.ITensorProto[] {
    return [...this.initializers.values()];
  }
}

/** Towers that agree on it hash a text to the same table rows, so they share one table. */
function rowsKey({ vocabSize, buckets, wordNgrams }: FastTextShape): string {
  return `v${vocabSize}_b${buckets}_n${Math.min(3, Math.max(1, wordNgrams))}`;
}

/**
 * The table rows a text's features read, `[batch, features]` int64: token id + 1 for each token,
 * then vocabulary size + 1 + bucket for each token bigram (and trigram), 0 where the attention
 * mask leaves a token or n-gram out. Each hashing step is in the graph once, whichever towers
 * use it.
 */
function featureRows(graph: GraphBuilder, shape: FastTextShape): string {
  const { vocabSize, buckets, wordNgrams } = shape;
  const int64Max = graph.int64('int64_max', [1], [INT64_MAX]);
  const axis1 = graph.int64('axis_1', [1], [1]);
  const from = (start: number, input: string, output: string): onnxProto.onnx.INodeProto =>
    node('Slice', [input, graph.int64(`from_${start}`, [1], [start]), int64Max, axis1], output);
  const butLast = (input: string, output: string): onnxProto.onnx.INodeProto =>
    node(
      'Slice',
      [input, graph.int64('zero', [1], [0]), graph.int64('minus_one', [1], [-1]), axis1],
      output,
    );
  const multiplier = graph.int64('ngram_multiplier', [], [NGRAM_MULTIPLIER]);
  const bucketCount = graph.int64(`buckets_${buckets}`, [], [buckets]);
  const b = `b${buckets}`;

  const tokenRows = graph.once('token_rows', () => [
    node('Add', [INPUT_IDS, graph.int64('one', [1], [1])], 'token_ids_plus_one'),
    node('Mul', ['token_ids_plus_one', ATTENTION_MASK], 'token_rows'),
  ]);
  const bigramMask = (): string =>
    graph.once('bigram_mask', () => [
      butLast(ATTENTION_MASK, 'left_mask'),
      from(1, ATTENTION_MASK, 'right_mask'),
      node('Mul', ['left_mask', 'right_mask'], 'bigram_mask'),
    ]);
  const bigramKey = (): string =>
    graph.once('bigram_key', () => [
      butLast(INPUT_IDS, 'left_ids'),
      from(1, INPUT_IDS, 'right_ids'),
      node('Mul', ['left_ids', multiplier], 'bigram_product'),
      node('Add', ['bigram_product', 'right_ids'], 'bigram_key'),
    ]);
  const bigramBucket = (): string =>
    graph.once(`bigram_bucket_${b}`, () => [
      node('Mod', [bigramKey(), bucketCount], `bigram_bucket_${b}`),
    ]);
  const trigramMask = (): string =>
    graph.once('trigram_mask', () => [
      butLast(bigramMask(), 'trigram_left_mask'),
      from(2, ATTENTION_MASK, 'trigram_right_mask'),
      node('Mul', ['trigram_left_mask', 'trigram_right_mask'], 'trigram_mask'),
    ]);
  // bigram_bucket[i] pairs tokens i and i + 1; the trigram adds token i + 2.
  const trigramBucket = (): string =>
    graph.once(`trigram_bucket_${b}`, () => [
      butLast(bigramBucket(), `trigram_left_${b}`),
      from(2, INPUT_IDS, `trigram_right_ids_${b}`),
      node(
        'Add',
        [`trigram_left_${b}`, graph.int64('trigram_offset', [], [TRIGRAM_OFFSET])],
        `trigram_left_offset_${b}`,
      ),
      node('Mul', [`trigram_left_offset_${b}`, multiplier], `trigram_product_${b}`),
      node('Add', [`trigram_product_${b}`, `trigram_right_ids_${b}`], `trigram_key_${b}`),
      node('Mod', [`trigram_key_${b}`, bucketCount], `trigram_bucket_${b}`),
    ]);
  const hashedRows = (kind: string, bucket: string, mask: string): string => {
    const rows = `${kind}_rows_v${vocabSize}_${b}`;
    const offset = graph.int64(`row_offset_${vocabSize}`, [], [vocabSize + 1]);
    return graph.once(rows, () => [
      node('Add', [bucket, offset], `${rows}_unmasked`),
      node('Mul', [`${rows}_unmasked`, mask], rows),
    ]);
  };

  const parts = [tokenRows];
  if (wordNgrams >= 2) parts.push(hashedRows('bigram', bigramBucket(), bigramMask()));
  if (wordNgrams >= 3) parts.push(hashedRows('trigram', trigramBucket(), trigramMask()));
  if (parts.length === 1) return tokenRows;
  const rows = `feature_rows_${rowsKey(shape)}`;
  return graph.once(rows, () => [node('Concat', parts, rows, [intAttribute('axis', 1)])]);
}

const sum = (values: readonly number[]): number => values.reduce((total, v) => total + v, 0);

/**
 * Whether a tower's table columns hold its rows' scores (the rows times the head weights) or its
 * embedding rows themselves: whichever is narrower. A head of 150 intents over 64 dimensions reads
 * embeddings and applies its weights after the mean, as the trainer does.
 */
const storesScores = ({ classes, dim }: FastTextShape): boolean => sum(classes) <= dim;

/** A tower's columns in a table, its feature count last. */
const columnsOf = (shape: FastTextShape): number =>
  (storesScores(shape) ? sum(shape.classes) : shape.dim) + 1;

/**
 * Writes a tower's columns of a table from `first` on: per row, the row's scores for every class
 * of every head (its embedding, plus its character n-grams' for a token, times the head weights,
 * in doubles) or that embedding itself (see storesScores), then the number of features the row
 * stands for. Table row 0 stays zero: masked positions read it; row 1 + r holds embedding row r.
 */
function writeTowerColumns(
  table: Float32Array,
  width: number,
  first: number,
  { weights, subwords }: TowerExport,
): void {
  const { vocabSize, buckets, dim, classes } = weights.shape;
  const { embeddings, headWeights } = weights;
  const scores = storesScores(weights.shape);
  const countColumn = first + columnsOf(weights.shape) - 1;
  const vector = new Float64Array(dim);
  const none = new Int32Array(0);
  for (let row = 0; row < vocabSize + buckets; row++) {
    for (let d = 0; d < dim; d++) vector[d] = embeddings[row * dim + d]!;
    const grams = row < vocabSize ? (subwords[row] ?? none) : none;
    for (const gram of grams) {
      for (let d = 0; d < dim; d++) vector[d]! += embeddings[gram * dim + d]!;
    }
    const at = (row + 1) * width;
    let column = first;
    if (!scores) {
      for (let d = 0; d < dim; d++) table[at + column++] = vector[d]!;
    } else {
      classes.forEach((k, h) => {
        const w = headWeights[h]!;
        for (let c = 0; c < k; c++) {
          let score = 0;
          for (let d = 0; d < dim; d++) score += w[c * dim + d]! * vector[d]!;
          table[at + column++] = score;
        }
      });
    }
    table[at + countColumn] = 1 + grams.length;
  }
}

/**
 * The graph of all towers. Per distinct hashing (vocabulary, buckets, n-gram order), a Gather of
 * its table's rows (featureRows) and a ReduceSum over the features (scores in doubles):
 * `[batch, columns]`, every tower's columns (scores or embedding, see storesScores) and feature
 * count. Then each column is divided by its tower's count (at least 1), one MatMul maps the
 * means to every output's logits (a score column with weight 1, summed over an ensemble's towers;
 * an embedding column with the head weights), one Add adds the biases, and a Split cuts the
 * outputs apart.
 */
function classifierGraph(
  towers: readonly TowerExport[],
  outputs: readonly { head: string; name: string }[],
): Graph {
  const graph = new GraphBuilder();
  const axis = (a: number): onnxProto.onnx.IAttributeProto => intAttribute('axis', a);
  const to = (type: number): onnxProto.onnx.IAttributeProto => intAttribute('to', type);
  const { FLOAT, DOUBLE } = onnx.TensorProto.DataType;

  // Columns: per table, per tower of it, its scores or embedding, then its feature count.
  const tables = new Map<string, number[]>();
  towers.forEach((tower, t) => {
    const key = rowsKey(tower.weights.shape);
    tables.set(key, [...(tables.get(key) ?? []), t]);
  });
  const firstColumn: number[] = [];
  const countColumn: number[] = [];
  const sums: string[] = [];
  let width = 0;
  for (const [key, members] of tables) {
    const shape = towers[members[0]!]!.weights.shape;
    const tableFirst = width;
    for (const t of members) {
      firstColumn[t] = width;
      width += columnsOf(towers[t]!.weights.shape);
      countColumn[t] = width - 1;
    }
    const rows = 1 + shape.vocabSize + shape.buckets;
    const table = new Float32Array(rows * (width - tableFirst));
    for (const t of members)
      writeTowerColumns(table, width - tableFirst, firstColumn[t]! - tableFirst, towers[t]!);
    const values = graph.constant(floatTensor(`table_${key}`, [rows, width - tableFirst], table));
    const featureColumns = `feature_columns_${key}`;
    const columnSums = `column_sums_${key}`;
    const reduceSum = (input: string, output: string): onnxProto.onnx.INodeProto =>
      node('ReduceSum', [input, graph.int64('axis_1', [1], [1])], output, [
        intAttribute('keepdims', 0),
      ]);
    graph.nodes.push(
      node('Gather', [values, featureRows(graph, shape)], featureColumns, [axis(0)]),
      // Scores are summed in doubles: a long text's scores add up to far more than their mean,
      // and summed in floats, logits drifted up to 7e-6 from the exact ones. Embeddings stay in
      // floats, as before (3.5e-6): a double copy of 65 columns a feature cost more than it saved.
      ...(members.some((t) => storesScores(towers[t]!.weights.shape))
        ? [
            node('Cast', [featureColumns], `${featureColumns}_f64`, [to(DOUBLE)]),
            reduceSum(`${featureColumns}_f64`, `${columnSums}_f64`),
            node('Cast', [`${columnSums}_f64`], columnSums, [to(FLOAT)]),
          ]
        : [reduceSum(featureColumns, columnSums)]),
    );
    sums.push(columnSums);
  }
  const allSums =
    sums.length === 1
      ? sums[0]!
      : graph.once('column_sums', () => [node('Concat', sums, 'column_sums', [axis(1)])]);

  // Each output: its head's columns in every tower that has it, summed (an ensemble), or the
  // embedding columns times the head weights; then the biases of all.
  const classesOf = outputs.map(({ head }) => {
    const tower = towers.find(({ heads }) => heads.includes(head))!;
    return tower.weights.shape.classes[tower.heads.indexOf(head)]!;
  });
  const outputWidth = sum(classesOf);
  const outputWeights = new Float32Array(width * outputWidth);
  const biases = new Float64Array(outputWidth);
  let outputFirst = 0;
  outputs.forEach(({ head }, o) => {
    towers.forEach(({ heads, weights }, t) => {
      const h = heads.indexOf(head);
      if (h < 0) return;
      const { classes, dim } = weights.shape;
      const w = weights.headWeights[h]!;
      for (let c = 0; c < classesOf[o]!; c++) {
        const at = outputFirst + c;
        if (storesScores(weights.shape)) {
          const column = firstColumn[t]! + sum(classes.slice(0, h)) + c;
          outputWeights[column * outputWidth + at] = 1;
        } else {
          for (let d = 0; d < dim; d++)
            outputWeights[(firstColumn[t]! + d) * outputWidth + at] = w[c * dim + d]!;
        }
        biases[at]! += weights.headBiases[h]![c]!;
      }
    });
    outputFirst += classesOf[o]!;
  });
  const countOf = Array.from(
    { length: width },
    (_, column) =>
      countColumn[
        towers.findIndex((_, t) => column <= countColumn[t]! && column >= firstColumn[t]!)
      ]!,
  );
  const logits = outputs.length === 1 ? outputs[0]!.name : 'logits_of_all_outputs';
  graph.nodes.push(
    node('Gather', [allSums, graph.int64('count_columns', [width], countOf)], 'feature_counts', [
      axis(1),
    ]),
    node(
      'Max',
      ['feature_counts', graph.constant(floatTensor('min_count', [], Float32Array.of(1)))],
      'safe_counts',
    ),
    node('Div', [allSums, 'safe_counts'], 'column_means'),
    node(
      'MatMul',
      [
        'column_means',
        graph.constant(floatTensor('output_weights', [width, outputWidth], outputWeights)),
      ],
      'output_products',
    ),
    node(
      'Add',
      [
        'output_products',
        graph.constant(floatTensor('output_biases', [outputWidth], Float32Array.from(biases))),
      ],
      logits,
    ),
  );
  if (outputs.length > 1) {
    const sizes = graph.int64('output_sizes', [outputs.length], classesOf);
    graph.nodes.push(
      node(
        'Split',
        [logits, sizes],
        outputs.map((o) => o.name),
        [axis(1)],
      ),
    );
  }
  return {
    nodes: graph.nodes,
    initializers: graph.tensors,
    outputs: outputs.map(({ name }, o) => tensorValue(name, FLOAT, ['batch', classesOf[o]!])),
  };
}
