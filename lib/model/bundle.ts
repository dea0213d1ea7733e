/**
 * The model bundle: a directory (or MLflow artifact folder) with `model.onnx`, `tokenizer.json`
 * (Hugging Face format) and `model.json` (this manifest). The one definition shared by the
 * trainer that writes bundles and the runtime that loads them.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const BUNDLE_FORMAT = 'inquiry-model/v1';
export const MODEL_FILE = 'model.onnx';
export const TOKENIZER_FILE = 'tokenizer.json';
export const MANIFEST_FILE = 'model.json';
/** A Hugging Face export's config (id2label), used when there is no model.json. */
export const HF_CONFIG_FILE = 'config.json';

/**
 * One classification head: its name, the ONNX output holding its logits, its labels in order,
 * and the temperature its logits are divided by before the softmax (calibration; default 1).
 */
export interface HeadSpec {
  name: string;
  output: string;
  labels: string[];
  temperature?: number;
}

export interface ModelManifest {
  format: typeof BUNDLE_FORMAT;
  /** Unique per trained model; what metrics, predictions and the registry refer to. */
  version: string;
  createdAt: string;
  /** Free text, e.g. `fasttext-bag` or `distilbert-sequence-classification`. */
  architecture: string;
  /** Token sequences are truncated to this length. */
  maxLength: number;
  /**
   * Lexicon features whose tokens the runtime appends to every text's token ids (lexicon.ts, e.g.
   * `vader-compound-v1`); absent: none.
   */
  lexiconFeatures?: string;
  /** ONNX input names (Hugging Face convention: int64 `[batch, seq]`). */
  inputs: { inputIds: string; attentionMask: string };
  heads: HeadSpec[];
  /** Evaluation figures recorded at training time (e.g. `category.macro_f1`). */
  metrics: Record<string, number>;
  /** `sha256:…` of the training data snapshot, when known. */
  dataHash?: string;
  /** Training parameters, for the record. */
  params?: Record<string, string | number | boolean>;
  /**
   * Per head, the shares of predicted labels (in `labels` order) and of confidence deciles on the
   * held-out data at training time: the reference that drift is measured against.
   */
  reference?: Record<string, { predicted: number[]; confidence: number[] }>;
  /** Per-epoch training loss and validation score, for the record (and MLflow). */
  history?: { epoch: number; loss: number; validationScore: number }[];
}

export class BundleError extends Error {
  override name = 'BundleError';
}

function check(condition: unknown, dir: string, message: string): asserts condition {
  if (!condition) throw new BundleError(`invalid model bundle ${dir}: ${message}`);
}

/** Checks a parsed model.json; the message names the bundle and what is wrong. */
export function validateManifest(value: unknown, dir: string): ModelManifest {
  check(typeof value === 'object' && value !== null, dir, `${MANIFEST_FILE} is not a JSON object`);
  const manifest = value as Partial<ModelManifest>;
  check(manifest.format === BUNDLE_FORMAT, dir, `format must be "${BUNDLE_FORMAT}"`);
  check(typeof manifest.version === 'string' && manifest.version !== '', dir, 'version is missing');
  check(
    Number.isInteger(manifest.maxLength) && manifest.maxLength! > 0,
    dir,
    'maxLength must be a positive integer',
  );
  check(
    typeof manifest.inputs?.inputIds === 'string' &&
      typeof manifest.inputs.attentionMask === 'string',
    dir,
    'inputs.inputIds and inputs.attentionMask are required',
  );
  check(
    manifest.lexiconFeatures === undefined || typeof manifest.lexiconFeatures === 'string',
    dir,
    'lexiconFeatures must be a string',
  );
  check(Array.isArray(manifest.heads) && manifest.heads.length > 0, dir, 'heads must not be empty');
  const names = new Set<string>();
  for (const head of manifest.heads) {
    check(typeof head.name === 'string' && head.name !== '', dir, 'a head has no name');
    check(!names.has(head.name), dir, `head "${head.name}" appears twice`);
    names.add(head.name);
    check(typeof head.output === 'string', dir, `head "${head.name}" has no output`);
    check(
      Array.isArray(head.labels) && head.labels.length >= 2,
      dir,
      `head "${head.name}" needs at least two labels`,
    );
    check(
      new Set(head.labels).size === head.labels.length,
      dir,
      `head "${head.name}" has duplicate labels`,
    );
    check(
      head.temperature === undefined ||
        (typeof head.temperature === 'number' &&
          Number.isFinite(head.temperature) &&
          head.temperature > 0),
      dir,
      `head "${head.name}" has a temperature that is not a positive number`,
    );
  }
  return { metrics: {}, ...manifest } as ModelManifest;
}

/**
 * The manifest of a standard Hugging Face sequence-classification export: one `logits` output
 * whose labels come from config.json's `id2label`; `headName` names that head (default category).
 */
export async function manifestFromHuggingFace(
  dir: string,
  headName = 'category',
): Promise<ModelManifest> {
  let config: {
    id2label?: Record<string, string>;
    max_position_embeddings?: number;
    _name_or_path?: string;
    model_type?: string;
  };
  try {
    config = JSON.parse(await readFile(path.join(dir, HF_CONFIG_FILE), 'utf8')) as typeof config;
  } catch (cause) {
    throw new BundleError(
      `model bundle ${dir} has neither ${MANIFEST_FILE} nor a readable ${HF_CONFIG_FILE}`,
      { cause },
    );
  }
  const entries = Object.entries(config.id2label ?? {}).map(
    ([id, label]) => [Number(id), label] as const,
  );
  if (entries.length < 2 || entries.some(([id]) => !Number.isInteger(id))) {
    throw new BundleError(
      `${HF_CONFIG_FILE} in model bundle ${dir} needs an id2label map with at least two labels`,
    );
  }
  const labels = entries.sort((a, b) => a[0] - b[0]).map(([, label]) => label);
  const modelFile = await readFile(path.join(dir, MODEL_FILE)).catch(() => Buffer.alloc(0));
  const digest = createHash('sha256').update(modelFile).digest('hex').slice(0, 12);
  return validateManifest(
    {
      format: BUNDLE_FORMAT,
      version: `${config._name_or_path ?? config.model_type ?? 'hf'}-${digest}`.replace(
        /[^A-Za-z0-9._-]+/g,
        '-',
      ),
      createdAt: new Date(0).toISOString(),
      architecture: `${config.model_type ?? 'hf'}-sequence-classification`,
      maxLength: Math.min(config.max_position_embeddings ?? 512, 512),
      inputs: { inputIds: 'input_ids', attentionMask: 'attention_mask' },
      heads: [{ name: headName, output: 'logits', labels }],
      metrics: {},
    },
    dir,
  );
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  if (!existsSync(path.join(dir, MANIFEST_FILE)) && existsSync(path.join(dir, HF_CONFIG_FILE))) {
    return manifestFromHuggingFace(dir);
  }
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (cause) {
    throw new BundleError(`cannot read ${MANIFEST_FILE} in model bundle ${dir}`, { cause });
  }
  try {
    return validateManifest(JSON.parse(text), dir);
  } catch (cause) {
    if (cause instanceof BundleError) throw cause;
    throw new BundleError(`${MANIFEST_FILE} in model bundle ${dir} is not valid JSON`, { cause });
  }
}

export async function writeManifest(dir: string, manifest: ModelManifest): Promise<void> {
  validateManifest(manifest, dir);
  await writeFile(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}
