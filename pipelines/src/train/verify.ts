/**
 * Checks an exported bundle against the trainer: onnxruntime-node, through the serving runtime,
 * must give the same probabilities as the trainer's own forward pass on the validation texts.
 */
import { ModelRuntime, textEncoder } from '../../../lib/model/runtime.js';
import { features, predictLogits, softmax } from './fasttext.js';
import type { TrainedModel } from './train.js';
import { loadTokenizer } from '../../../lib/model/tokenizer.js';

export interface ExportCheck {
  checked: number;
  /** Largest absolute difference of any class probability. */
  maxAbsDiff: number;
  /** Share of (text, head) pairs with the same predicted label. */
  agreement: number;
}

export const EXPORT_TOLERANCE = 1e-4;

/** The trainer's own calibrated probabilities: per text, per head in the manifest's order. */
export function trainerProbabilities(model: TrainedModel, texts: string[]): Float64Array[][] {
  const tokenizer = loadTokenizer(model.tokenizer);
  const encode = textEncoder(tokenizer, model.manifest.maxLength, model.manifest.lexiconFeatures);
  const ids = texts.map(encode);
  const heads = model.manifest.heads;
  const summed = texts.map(() => heads.map((head) => new Float64Array(head.labels.length)));
  for (const tower of model.towers) {
    const index = tower.heads.map((name) => heads.findIndex((head) => head.name === name));
    const perText = ids.map((tokens) => features(tokens, tower.weights.shape, tower.subwords));
    predictLogits(tower.weights, perText, tower.subwords).forEach((perHead, i) =>
      index.forEach((h, k) => perHead[k]!.forEach((z, c) => (summed[i]![h]![c]! += z))),
    );
  }
  return summed.map((perHead) =>
    perHead.map((logits, h) => softmax(logits, model.temperatures[h])),
  );
}

export async function verifyExport(
  dir: string,
  model: TrainedModel,
  sample = 2000,
): Promise<ExportCheck> {
  const texts = model.validationTexts.slice(0, sample);
  const reference = trainerProbabilities(model, texts);
  const runtime = await ModelRuntime.load(dir);
  let maxAbsDiff = 0;
  let same = 0;
  let pairs = 0;
  try {
    for (let start = 0; start < texts.length; start += 256) {
      const served = await runtime.probabilities(texts.slice(start, start + 256));
      served.forEach((perText, h) =>
        perText.forEach((p, offset) => {
          const q = reference[start + offset]![h]!;
          let argP = 0;
          let argQ = 0;
          for (let c = 0; c < p.length; c++) {
            maxAbsDiff = Math.max(maxAbsDiff, Math.abs(p[c]! - q[c]!));
            if (p[c]! > p[argP]!) argP = c;
            if (q[c]! > q[argQ]!) argQ = c;
          }
          pairs++;
          if (argP === argQ) same++;
        }),
      );
    }
  } finally {
    await runtime.release();
  }
  return { checked: texts.length, maxAbsDiff, agreement: pairs === 0 ? 1 : same / pairs };
}
