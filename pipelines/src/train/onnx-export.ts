/**
 * Writes a trained fastText model as an ONNX graph with the Hugging Face sequence-classification
 * interface: int64 `input_ids` and `attention_mask` `[batch, sequence]` in, one
 * `<head>_logits` `[batch, classes]` per head out. Token n-gram hashing and masked mean pooling
 * happen inside the graph, so any runtime that feeds token ids gets the trainer's exact function.
 * A token's character n-grams are fixed by the token, so each token row holds the sum of the
 * token's and its n-grams' embeddings and counts as that many features in the mean.
 */
import onnxProto from 'onnx-proto';
import { NGRAM_MULTIPLIER, TRIGRAM_OFFSET, type FastTextWeights } from './fasttext.js';

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
  output: string,
  attributes: onnxProto.onnx.IAttributeProto[] = [],
): onnxProto.onnx.INodeProto {
  return { opType, input: inputs, output: [output], name: output, attribute: attributes };
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
  return encodeModel([towerGraph(weights, heads, outputNames, subwords)], version);
}

/** One fastText model of a model in towers: its weights, the heads it computes, its subwords. */
export interface TowerExport {
  weights: FastTextWeights;
  heads: string[];
  subwords: readonly Int32Array[];
}

/**
 * Serializes towers that read the same `input_ids` into one graph: each tower's nodes and
 * initializers get the prefix `t<i>_`, its heads keep their `<head>_logits` outputs; a head of
 * several towers (an ensemble) outputs the sum of their logits.
 */
export function exportTowersOnnx(towers: readonly TowerExport[], version: string): Uint8Array {
  if (towers.length === 1) {
    const [only] = towers;
    return exportFastTextOnnx(only!.weights, only!.heads, version, undefined, only!.subwords);
  }
  const membersOf = (head: string): number[] =>
    towers.flatMap((tower, i) => (tower.heads.includes(head) ? [i] : []));
  const memberOutput = (head: string, i: number): string => `${headOutput(head)}_t${i}`;
  const parts = towers.map(({ weights, heads, subwords }, i) => {
    const outputs = heads.map((head) =>
      membersOf(head).length > 1 ? memberOutput(head, i) : headOutput(head),
    );
    const part = prefixNames(towerGraph(weights, heads, outputs, subwords), `t${i}_`);
    // A member's logits feed its ensemble's sum and are no output of the graph.
    const served = new Set(outputs.filter((name, k) => name === headOutput(heads[k]!)));
    return { ...part, outputs: part.outputs.filter((o) => served.has(o.name!)) };
  });
  const ensembles: GraphPart = { nodes: [], initializers: [], outputs: [] };
  const heads = [...new Set(towers.flatMap((tower) => tower.heads))];
  for (const head of heads.filter((name) => membersOf(name).length > 1)) {
    const members = membersOf(head);
    const first = towers[members[0]!]!;
    const classes = first.weights.shape.classes[first.heads.indexOf(head)]!;
    ensembles.nodes.push(
      node(
        'Sum',
        members.map((i) => memberOutput(head, i)),
        headOutput(head),
      ),
    );
    ensembles.outputs.push(
      tensorValue(headOutput(head), onnx.TensorProto.DataType.FLOAT, ['batch', classes]),
    );
  }
  return encodeModel([...parts, ensembles], version);
}

interface GraphPart {
  nodes: onnxProto.onnx.INodeProto[];
  initializers: onnxProto.onnx.ITensorProto[];
  outputs: onnxProto.onnx.IValueInfoProto[];
}

/** Renames a part's internal values (not the graph inputs, not its outputs) with a prefix. */
function prefixNames(part: GraphPart, prefix: string): GraphPart {
  const keep = new Set([INPUT_IDS, ATTENTION_MASK, ...part.outputs.map((o) => o.name!)]);
  const rename = (name: string): string => (keep.has(name) ? name : `${prefix}${name}`);
  return {
    nodes: part.nodes.map((n) => ({
      ...n,
      name: rename(n.name!),
      input: (n.input ?? []).map(rename),
      output: (n.output ?? []).map(rename),
    })),
    initializers: part.initializers.map((t) => ({ ...t, name: rename(t.name!) })),
    outputs: part.outputs,
  };
}

function encodeModel(parts: readonly GraphPart[], version: string): Uint8Array {
  const nodes = parts.flatMap((part) => part.nodes);
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
      initializer: parts
        .flatMap((part) => part.initializers)
        .filter((tensor) => used.has(tensor.name!)),
      input: [
        tensorValue(INPUT_IDS, onnx.TensorProto.DataType.INT64, ['batch', 'sequence']),
        tensorValue(ATTENTION_MASK, onnx.TensorProto.DataType.INT64, ['batch', 'sequence']),
      ],
      output: parts.flatMap((part) => part.outputs),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The nodes, initializers and outputs of one fastText model. */
function towerGraph(
  weights: FastTextWeights,
  heads: string[],
  outputNames: string[],
  subwords: readonly Int32Array[],
): GraphPart {
  const { vocabSize, buckets, dim, classes, wordNgrams } = weights.shape;
  // Character n-gram rows are folded into the token rows and are not exported.
  const folded = weights.embeddings.slice(0, (vocabSize + buckets) * dim);
  const featureCounts = new Float32Array(vocabSize).fill(1);
  subwords.forEach((grams, id) => {
    if (grams.length === 0) return;
    const sum = new Float64Array(dim);
    for (let d = 0; d < dim; d++) sum[d] = weights.embeddings[id * dim + d]!;
    for (const row of grams) {
      for (let d = 0; d < dim; d++) sum[d]! += weights.embeddings[row * dim + d]!;
    }
    for (let d = 0; d < dim; d++) folded[id * dim + d] = sum[d]!;
    featureCounts[id] = 1 + grams.length;
  });
  const initializers: onnxProto.onnx.ITensorProto[] = [
    floatTensor('embeddings', [vocabSize + buckets, dim], folded),
    floatTensor('token_feature_counts', [vocabSize], featureCounts),
    int64Tensor('zero', [1], [0n]),
    int64Tensor('one', [1], [1n]),
    int64Tensor('minus_one', [1], [-1n]),
    int64Tensor('int64_max', [1], [INT64_MAX]),
    int64Tensor('axis_1', [1], [1n]),
    int64Tensor('axis_2', [1], [2n]),
    int64Tensor('two', [1], [2n]),
    int64Tensor('ngram_multiplier', [], [BigInt(NGRAM_MULTIPLIER)]),
    int64Tensor('trigram_offset', [], [BigInt(TRIGRAM_OFFSET)]),
    int64Tensor('buckets', [], [BigInt(buckets)]),
    int64Tensor('vocab_size', [], [BigInt(vocabSize)]),
    floatTensor('min_count', [], Float32Array.of(1)),
  ];
  const float = intAttribute('to', onnx.TensorProto.DataType.FLOAT);
  const sumOverSequence = (input: string, output: string): onnxProto.onnx.INodeProto =>
    node('ReduceSum', [input, 'axis_1'], output, [intAttribute('keepdims', 0)]);
  const nodes: onnxProto.onnx.INodeProto[] = [
    node('Gather', ['embeddings', INPUT_IDS], 'token_vectors', [intAttribute('axis', 0)]),
    node('Gather', ['token_feature_counts', INPUT_IDS], 'token_counts'),
    node('Cast', [ATTENTION_MASK], 'token_mask', [float]),
    node('Mul', ['token_mask', 'token_counts'], 'token_weight_2d'),
    node('Unsqueeze', ['token_mask', 'axis_2'], 'token_mask_3d'),
    node('Mul', ['token_vectors', 'token_mask_3d'], 'token_masked'),
    sumOverSequence('token_masked', 'token_sum'),
    sumOverSequence('token_weight_2d', 'token_count'),
  ];
  const sums = ['token_sum'];
  const counts = ['token_count'];
  /** Pools the embedding rows `<name>_bucket` + vocab_size where `<name>_mask` is 1. */
  const poolHashed = (name: string): void => {
    nodes.push(
      node('Add', [`${name}_bucket`, 'vocab_size'], `${name}_rows`),
      node('Gather', ['embeddings', `${name}_rows`], `${name}_vectors`, [intAttribute('axis', 0)]),
      node('Cast', [`${name}_mask`], `${name}_weight_2d`, [float]),
      node('Unsqueeze', [`${name}_weight_2d`, 'axis_2'], `${name}_weight`),
      node('Mul', [`${name}_vectors`, `${name}_weight`], `${name}_masked`),
      sumOverSequence(`${name}_masked`, `${name}_sum`),
      sumOverSequence(`${name}_weight_2d`, `${name}_count`),
    );
    sums.push(`${name}_sum`);
    counts.push(`${name}_count`);
  };
  if (wordNgrams >= 2) {
    nodes.push(
      node('Slice', [INPUT_IDS, 'zero', 'minus_one', 'axis_1'], 'left_ids'),
      node('Slice', [INPUT_IDS, 'one', 'int64_max', 'axis_1'], 'right_ids'),
      node('Slice', [ATTENTION_MASK, 'zero', 'minus_one', 'axis_1'], 'left_mask'),
      node('Slice', [ATTENTION_MASK, 'one', 'int64_max', 'axis_1'], 'right_mask'),
      node('Mul', ['left_ids', 'ngram_multiplier'], 'bigram_product'),
      node('Add', ['bigram_product', 'right_ids'], 'bigram_key'),
      node('Mod', ['bigram_key', 'buckets'], 'bigram_bucket'),
      node('Mul', ['left_mask', 'right_mask'], 'bigram_mask'),
    );
    poolHashed('bigram');
  }
  if (wordNgrams >= 3) {
    nodes.push(
      // bigram_bucket[i] pairs tokens i and i+1; the trigram adds token i+2.
      node('Slice', ['bigram_bucket', 'zero', 'minus_one', 'axis_1'], 'trigram_left'),
      node('Slice', [INPUT_IDS, 'two', 'int64_max', 'axis_1'], 'trigram_right_ids'),
      node('Slice', ['bigram_mask', 'zero', 'minus_one', 'axis_1'], 'trigram_left_mask'),
      node('Slice', [ATTENTION_MASK, 'two', 'int64_max', 'axis_1'], 'trigram_right_mask'),
      node('Add', ['trigram_left', 'trigram_offset'], 'trigram_left_offset'),
      node('Mul', ['trigram_left_offset', 'ngram_multiplier'], 'trigram_product'),
      node('Add', ['trigram_product', 'trigram_right_ids'], 'trigram_key'),
      node('Mod', ['trigram_key', 'buckets'], 'trigram_bucket'),
      node('Mul', ['trigram_left_mask', 'trigram_right_mask'], 'trigram_mask'),
    );
    poolHashed('trigram');
  }
  nodes.push(
    node('Sum', sums, 'feature_sum'),
    node('Sum', counts, 'feature_count'),
    node('Max', ['feature_count', 'min_count'], 'safe_count'),
    node('Unsqueeze', ['safe_count', 'axis_1'], 'safe_count_2d'),
    node('Div', ['feature_sum', 'safe_count_2d'], 'document'),
  );
  const outputs: onnxProto.onnx.IValueInfoProto[] = [];
  heads.forEach((head, h) => {
    const k = classes[h]!;
    const transposed = new Float32Array(dim * k);
    const w = weights.headWeights[h]!;
    for (let c = 0; c < k; c++)
      for (let d = 0; d < dim; d++) transposed[d * k + c] = w[c * dim + d]!;
    initializers.push(floatTensor(`${head}_weight`, [dim, k], transposed));
    initializers.push(floatTensor(`${head}_bias`, [k], weights.headBiases[h]!));
    nodes.push(node('MatMul', ['document', `${head}_weight`], `${head}_scores`));
    nodes.push(node('Add', [`${head}_scores`, `${head}_bias`], outputNames[h]!));
    outputs.push(tensorValue(outputNames[h]!, onnx.TensorProto.DataType.FLOAT, ['batch', k]));
  });
  return { nodes, initializers, outputs };
}
