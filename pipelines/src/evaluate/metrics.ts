/**
 * Classification metrics for one head: accuracy, macro-F1, per-class precision / recall / F1,
 * the confusion matrix and the expected calibration error. Labels are indexes into `labels`.
 */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface HeadMetrics {
  accuracy: number;
  macroF1: number;
  /** Expected calibration error over 10 equal-width confidence bins. */
  ece: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  /** Predictions per confidence decile ([0, 0.1), …, [0.9, 1]). */
  confidenceHistogram: number[];
  count: number;
}

const safeDivide = (numerator: number, denominator: number): number =>
  denominator === 0 ? 0 : numerator / denominator;

/**
 * `truth[i]` and `predicted[i]` are label indexes (truth -1: unlabeled, skipped);
 * `confidence[i]` is the probability the model gave its prediction.
 */
export function headMetrics(
  labels: readonly string[],
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  confidence: ArrayLike<number>,
): HeadMetrics {
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const bins = Array.from({ length: 10 }, () => ({ count: 0, correct: 0, confidence: 0 }));
  let count = 0;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    if (t < 0) continue;
    const p = predicted[i]!;
    confusion[t]![p]!++;
    count++;
    if (t === p) correct++;
    const bin = bins[Math.max(0, Math.min(9, Math.floor(confidence[i]! * 10) || 0))]!;
    bin.count++;
    bin.confidence += confidence[i]!;
    if (t === p) bin.correct++;
  }
  const perClass = labels.map((label, c) => {
    const truePositives = confusion[c]![c]!;
    const support = confusion[c]!.reduce((sum, n) => sum + n, 0);
    const predictedCount = confusion.reduce((sum, row) => sum + row[c]!, 0);
    const precision = safeDivide(truePositives, predictedCount);
    const recall = safeDivide(truePositives, support);
    return {
      label,
      precision,
      recall,
      f1: safeDivide(2 * precision * recall, precision + recall),
      support,
    };
  });
  const present = perClass.filter((metrics) => metrics.support > 0);
  const ece = bins.reduce(
    (sum, bin) =>
      sum +
      (bin.count === 0
        ? 0
        : (bin.count / count) * Math.abs(bin.correct / bin.count - bin.confidence / bin.count)),
    0,
  );
  return {
    accuracy: safeDivide(correct, count),
    macroF1: safeDivide(
      present.reduce((sum, metrics) => sum + metrics.f1, 0),
      present.length,
    ),
    ece: count === 0 ? 0 : ece,
    perClass,
    confusion,
    confidenceHistogram: bins.map((bin) => bin.count),
    count,
  };
}
