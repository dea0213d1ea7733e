/**
 * The model runtime: loads a bundle (tokenizer.json + model.onnx + model.json), tokenizes with
 * @huggingface/tokenizers, runs onnxruntime-node, and turns each head's logits into labels
 * with confidences. Any Hugging Face sequence-classification export with the bundle's manifest
 * loads the same way as the platform's own fastText model.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  BundleError,
  MODEL_FILE,
  TOKENIZER_FILE,
  readManifest,
  type HeadSpec,
  type ModelManifest,
} from './bundle.js';
import { lexiconFeatureIds } from './lexicon.js';
import { loadTokenizer, type TextTokenizer } from './tokenizer.js';

export interface HeadPrediction {
  label: string;
  confidence: number;
  /** Probability of every label, when asked for. */
  scores?: Record<string, number>;
}

export type Classification = Record<string, HeadPrediction>;

/** The text a model sees for a record: its non-empty text fields, one per line. */
export function joinText(parts: readonly (string | null | undefined)[]): string {
  return parts.filter((part): part is string => !!part && part.trim() !== '').join('\n');
}

/** The text a model sees for an inquiry: subject and body on separate lines. */
export function inquiryText(inquiry: { subject?: string | null; body: string }): string {
  return joinText([inquiry.subject, inquiry.body]);
}

export interface EncodedBatch {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  batch: number;
  sequence: number;
}

/**
 * Token ids of `text`, truncated to `maxLength`. When the tokenizer appends special tokens
 * (a BERT-style `[SEP]`), the last one is kept so a truncated text still ends like the model expects.
 */
export function encodeText(tokenizer: TextTokenizer, text: string, maxLength: number): number[] {
  const { ids } = tokenizer.encode(text);
  if (ids.length <= maxLength) return ids;
  if (tokenizer.post_processor === null) return ids.slice(0, maxLength);
  return [...ids.slice(0, maxLength - 1), ids[ids.length - 1]!];
}

/**
 * The encoder of a bundle's model: token ids of a text, truncated to `maxLength` with room for the
 * lexicon features' tokens (lexicon.ts), which come last. Trainer and runtime both encode here.
 */
export function textEncoder(
  tokenizer: TextTokenizer,
  maxLength: number,
  lexiconFeatures?: string,
): (text: string) => number[] {
  if (!lexiconFeatures) return (text) => encodeText(tokenizer, text, maxLength);
  const featureIds = lexiconFeatureIds(lexiconFeatures, (token) => tokenizer.token_to_id(token));
  return (text) => {
    const features = featureIds(text);
    return [...encodeText(tokenizer, text, Math.max(1, maxLength - features.length)), ...features];
  };
}

/** Pads a batch of id sequences to its longest one (pad id at the end, mask 0). */
export function padBatch(sequences: number[][], padId: number): EncodedBatch {
  const batch = sequences.length;
  const sequence = Math.max(1, ...sequences.map((ids) => ids.length));
  const inputIds = new BigInt64Array(batch * sequence).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * sequence);
  sequences.forEach((ids, row) => {
    for (let i = 0; i < ids.length; i++) {
      inputIds[row * sequence + i] = BigInt(ids[i]!);
      attentionMask[row * sequence + i] = 1n;
    }
  });
  return { inputIds, attentionMask, batch, sequence };
}

/** Softmax of one row of logits divided by the head's temperature. */
function softmaxRow(
  logits: Float32Array,
  offset: number,
  k: number,
  temperature: number,
): Float64Array {
  let max = -Infinity;
  for (let c = 0; c < k; c++) max = Math.max(max, logits[offset + c]! / temperature);
  const out = new Float64Array(k);
  let sum = 0;
  for (let c = 0; c < k; c++) sum += out[c] = Math.exp(logits[offset + c]! / temperature - max);
  for (let c = 0; c < k; c++) out[c]! /= sum;
  return out;
}

/** Each label's probability, as own properties (a label `__proto__` too). */
function labelScores(labels: readonly string[], p: Float64Array): Record<string, number> {
  const scores: Record<string, number> = {};
  for (let c = 0; c < labels.length; c++) {
    if (labels[c] === '__proto__')
      Object.defineProperty(scores, '__proto__', {
        value: p[c],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else scores[labels[c]!] = p[c]!;
  }
  return scores;
}

const PROBE_TEXTS = [
  'Probe',
  'My invoice was charged twice, please refund it as soon as possible.',
];

export interface RuntimeOptions {
  /** onnxruntime intra-op threads; 1 keeps one request from taking every core. */
  intraOpThreads?: number;
}

export class ModelRuntime {
  private constructor(
    readonly manifest: ModelManifest,
    readonly dir: string,
    private readonly encodeOne: (text: string) => number[],
    private readonly session: ort.InferenceSession,
    private readonly padId: number,
  ) {}

  /** Loads and checks a bundle: every head's output must exist in the ONNX graph. */
  static async load(dir: string, options: RuntimeOptions = {}): Promise<ModelRuntime> {
    const manifest = await readManifest(dir);
    let tokenizerJson: object;
    try {
      tokenizerJson = JSON.parse(await readFile(path.join(dir, TOKENIZER_FILE), 'utf8')) as object;
    } catch (cause) {
      throw new BundleError(`cannot read ${TOKENIZER_FILE} in model bundle ${dir}`, { cause });
    }
    const tokenizer = loadTokenizer(tokenizerJson);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path.join(dir, MODEL_FILE), {
        intraOpNumThreads: options.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (cause) {
      throw new BundleError(`cannot load ${MODEL_FILE} in model bundle ${dir}`, { cause });
    }
    const missing = manifest.heads.filter((head) => !session.outputNames.includes(head.output));
    const inputs = [manifest.inputs.inputIds, manifest.inputs.attentionMask];
    const missingInputs = inputs.filter((name) => !session.inputNames.includes(name));
    if (missing.length > 0 || missingInputs.length > 0) {
      await session.release();
      throw new BundleError(
        `model bundle ${dir} does not match its ${MODEL_FILE}: ` +
          [
            ...missing.map((h) => `output ${h.output}`),
            ...missingInputs.map((i) => `input ${i}`),
          ].join(', ') +
          ` not found (graph has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')})`,
      );
    }
    const padId = tokenizer.token_to_id('[PAD]') ?? tokenizer.token_to_id('<pad>') ?? 0;
    let encodeOne: (text: string) => number[];
    try {
      encodeOne = textEncoder(tokenizer, manifest.maxLength, manifest.lexiconFeatures);
    } catch (cause) {
      await session.release();
      throw new BundleError(
        `model bundle ${dir}: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    const runtime = new ModelRuntime(manifest, dir, encodeOne, session, padId);
    try {
      await runtime.probe();
    } catch (cause) {
      await session.release();
      throw new BundleError(
        `model bundle ${dir} fails a probe inference: ${cause instanceof Error ? cause.message : String(cause)}`,
        { cause },
      );
    }
    return runtime;
  }

  /**
   * A real inference on probe texts of different lengths: every head must answer one score per
   * label of its manifest for each text, all finite. A bundle that loads but would answer wrong
   * labels (or fail every request) is refused here, before it serves.
   */
  private async probe(): Promise<void> {
    const probabilities = await this.probabilities(PROBE_TEXTS);
    this.manifest.heads.forEach((head, h) => {
      for (const row of probabilities[h]!) {
        if (!row.every(Number.isFinite))
          throw new Error(`head ${head.name} answers non-finite scores`);
      }
    });
  }

  get version(): string {
    return this.manifest.version;
  }

  get heads(): readonly HeadSpec[] {
    return this.manifest.heads;
  }

  encode(texts: readonly string[]): EncodedBatch {
    return padBatch(texts.map(this.encodeOne), this.padId);
  }

  /** Calibrated probabilities per head for each text: `[head][text][class]`. */
  async probabilities(texts: readonly string[]): Promise<Float64Array[][]> {
    const { inputIds, attentionMask, batch, sequence } = this.encode(texts);
    const feeds = {
      [this.manifest.inputs.inputIds]: new ort.Tensor('int64', inputIds, [batch, sequence]),
      [this.manifest.inputs.attentionMask]: new ort.Tensor('int64', attentionMask, [
        batch,
        sequence,
      ]),
    };
    const outputs = await this.session.run(feeds);
    return this.manifest.heads.map((head) => {
      const output = outputs[head.output]!;
      const logits = output.data as Float32Array;
      const k = head.labels.length;
      if (output.dims.length !== 2 || output.dims[0] !== batch || output.dims[1] !== k)
        throw new BundleError(
          `head ${head.name}: output ${head.output} has shape [${output.dims.join(', ')}], but ${batch} texts and the manifest's ${k} labels need [${batch}, ${k}]`,
        );
      const temperature = head.temperature ?? 1;
      return Array.from({ length: batch }, (_, row) => softmaxRow(logits, row * k, k, temperature));
    });
  }

  /** Label, confidence (and with `allScores` every label's probability) per head, per text. */
  async classify(texts: readonly string[], { allScores = false } = {}): Promise<Classification[]> {
    if (texts.length === 0) return [];
    const probabilities = await this.probabilities(texts);
    return texts.map((_, row) => {
      const classification: Classification = {};
      this.manifest.heads.forEach((head, h) => {
        const p = probabilities[h]![row]!;
        let best = 0;
        for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
        classification[head.name] = {
          label: head.labels[best]!,
          confidence: p[best]!,
          ...(allScores ? { scores: labelScores(head.labels, p) } : {}),
        };
      });
      return classification;
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
