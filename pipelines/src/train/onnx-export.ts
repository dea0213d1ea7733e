/**
 * Writes a trained fastText model as an ONNX graph with the Hugging Face sequence-classification
 * interface: int64 `input_ids` and `attention_mask` `[batch, sequence]` in, one
 * `<head>_logits` `[batch, classes]` per head out. Bigram hashing and masked mean pooling happen
 * inside the graph, so any runtime that feeds token ids gets the trainer's exact function.
 */
import onnxProto from 'onnx-proto';
import { BIGRAM_MULTIPLIER, type FastTextWeights } from './fasttext.js';

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
): Uint8Array {
  const { vocabSize, buckets, dim, classes } = weights.shape;
  const initializers: onnxProto.onnx.ITensorProto[] = [
    floatTensor('embeddings', [vocabSize + buckets, dim], weights.embeddings),
    int64Tensor('zero', [1], [0n]),
    int64Tensor('one', [1], [1n]),
    int64Tensor('minus_one', [1], [-1n]),
    int64Tensor('int64_max', [1], [INT64_MAX]),
    int64Tensor('axis_1', [1], [1n]),
    int64Tensor('axis_2', [1], [2n]),
    int64Tensor('bigram_multiplier', [], [BigInt(BIGRAM_MULTIPLIER)]),
    int64Tensor('buckets', [], [BigInt(buckets)]),
    int64Tensor('vocab_size', [], [BigInt(vocabSize)]),
    floatTensor('min_count', [], Float32Array.of(1)),
  ];
  const nodes: onnxProto.onnx.INodeProto[] = [
    node('Slice', [INPUT_IDS, 'zero', 'minus_one', 'axis_1'], 'left_ids'),
    node('Slice', [INPUT_IDS, 'one', 'int64_max', 'axis_1'], 'right_ids'),
    node('Slice', [ATTENTION_MASK, 'zero', 'minus_one', 'axis_1'], 'left_mask'),
    node('Slice', [ATTENTION_MASK, 'one', 'int64_max', 'axis_1'], 'right_mask'),
    node('Mul', ['left_ids', 'bigram_multiplier'], 'bigram_product'),
    node('Add', ['bigram_product', 'right_ids'], 'bigram_key'),
    node('Mod', ['bigram_key', 'buckets'], 'bigram_bucket'),
    node('Add', ['bigram_bucket', 'vocab_size'], 'bigram_rows'),
    node('Mul', ['left_mask', 'right_mask'], 'bigram_mask'),
    node('Gather', ['embeddings', INPUT_IDS], 'token_vectors', [intAttribute('axis', 0)]),
    node('Gather', ['embeddings', 'bigram_rows'], 'bigram_vectors', [intAttribute('axis', 0)]),
    node('Cast', [ATTENTION_MASK], 'token_weight_2d', [
      intAttribute('to', onnx.TensorProto.DataType.FLOAT),
    ]),
    node('Cast', ['bigram_mask'], 'bigram_weight_2d', [
      intAttribute('to', onnx.TensorProto.DataType.FLOAT),
    ]),
    node('Unsqueeze', ['token_weight_2d', 'axis_2'], 'token_weight'),
    node('Unsqueeze', ['bigram_weight_2d', 'axis_2'], 'bigram_weight'),
    node('Mul', ['token_vectors', 'token_weight'], 'token_masked'),
    node('Mul', ['bigram_vectors', 'bigram_weight'], 'bigram_masked'),
    node('ReduceSum', ['token_masked', 'axis_1'], 'token_sum', [intAttribute('keepdims', 0)]),
    node('ReduceSum', ['bigram_masked', 'axis_1'], 'bigram_sum', [intAttribute('keepdims', 0)]),
    node('ReduceSum', ['token_weight', 'axis_1'], 'token_count', [intAttribute('keepdims', 0)]),
    node('ReduceSum', ['bigram_weight', 'axis_1'], 'bigram_count', [intAttribute('keepdims', 0)]),
    node('Add', ['token_sum', 'bigram_sum'], 'feature_sum'),
    node('Add', ['token_count', 'bigram_count'], 'feature_count'),
    node('Max', ['feature_count', 'min_count'], 'safe_count'),
    node('Div', ['feature_sum', 'safe_count'], 'document'),
  ];
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
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'inquiry-platform',
    modelVersion: 1,
    docString: `fastText-style inquiry classifier ${version}`,
    graph: {
      name: 'inquiry_classifier',
      node: nodes,
      initializer: initializers,
      input: [
        tensorValue(INPUT_IDS, onnx.TensorProto.DataType.INT64, ['batch', 'sequence']),
        tensorValue(ATTENTION_MASK, onnx.TensorProto.DataType.INT64, ['batch', 'sequence']),
      ],
      output: outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
