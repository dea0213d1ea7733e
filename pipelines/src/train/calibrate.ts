/**
 * Temperature scaling (Guo et al., 2017): one scalar per head divides the logits so that the
 * softmax confidences match accuracy on held-out data. It never changes which label wins.
 */
import { DEFAULT_OUTLIER_WEIGHT, OUTLIER } from './fasttext.js';

/**
 * Mean negative log-likelihood of `labels` under softmax(logits · inverseTemperature). A label
 * OUTLIER (-2) is text of no class: its term is the cross-entropy against equal probabilities,
 * weighted by `outlierWeight`; other negative labels are skipped.
 */
export function scaledNll(
  logits: readonly Float64Array[],
  labels: ArrayLike<number>,
  inverseTemperature: number,
  outlierWeight = DEFAULT_OUTLIER_WEIGHT,
): number {
  let total = 0;
  let count = 0;
  logits.forEach((z, i) => {
    const label = labels[i]!;
    const outlier = label === OUTLIER;
    if (label < 0 && !outlier) return;
    let max = -Infinity;
    for (let c = 0; c < z.length; c++) max = Math.max(max, z[c]! * inverseTemperature);
    let sum = 0;
    for (let c = 0; c < z.length; c++) sum += Math.exp(z[c]! * inverseTemperature - max);
    const logSum = Math.log(sum) + max;
    if (outlier) {
      let mean = 0;
      for (let c = 0; c < z.length; c++) mean += z[c]! * inverseTemperature;
      total += outlierWeight * (logSum - mean / z.length);
      count += outlierWeight;
    } else {
      total += logSum - z[label]! * inverseTemperature;
      count++;
    }
  });
  return count === 0 ? 0 : total / count;
}

const LOWEST_INVERSE = 0.05;
const HIGHEST_INVERSE = 20;

/**
 * The temperature that minimizes the negative log-likelihood on labeled logits (labels -1 are
 * skipped). The likelihood is convex in the inverse temperature, so a golden-section search
 * over [0.05, 20] finds it; with no labeled example the temperature is 1.
 */
export function fitTemperature(
  logits: readonly Float64Array[],
  labels: ArrayLike<number>,
  outlierWeight = DEFAULT_OUTLIER_WEIGHT,
): number {
  let labeled = 0;
  for (let i = 0; i < logits.length; i++) if (labels[i]! >= 0) labeled++;
  if (labeled === 0) return 1;
  const ratio = (Math.sqrt(5) - 1) / 2;
  let low = LOWEST_INVERSE;
  let high = HIGHEST_INVERSE;
  let a = high - ratio * (high - low);
  let b = low + ratio * (high - low);
  let fa = scaledNll(logits, labels, a, outlierWeight);
  let fb = scaledNll(logits, labels, b, outlierWeight);
  for (let step = 0; step < 60 && high - low > 1e-4; step++) {
    if (fa <= fb) {
      high = b;
      b = a;
      fb = fa;
      a = high - ratio * (high - low);
      fa = scaledNll(logits, labels, a, outlierWeight);
    } else {
      low = a;
      a = b;
      fa = fb;
      b = low + ratio * (high - low);
      fb = scaledNll(logits, labels, b, outlierWeight);
    }
  }
  return 1 / ((low + high) / 2);
}
