import { OUTLIER, Random } from './fasttext.js';
import { fitTemperature, scaledNll } from './calibrate.js';

/** Labels drawn from softmax(base); the logits handed over are base × sharpness. */
function sample(n: number, sharpness: number, seed: number): [Float64Array[], Int32Array] {
  const random = new Random(seed);
  const logits: Float64Array[] = [];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const base = Float64Array.from({ length: 4 }, () => random.float() * 4 - 2);
    const exp = base.map(Math.exp);
    const total = exp.reduce((a, b) => a + b, 0);
    let u = random.float() * total;
    let label = 0;
    while (label < 3 && u >= exp[label]!) u -= exp[label++]!;
    labels[i] = label;
    logits.push(base.map((z) => z * sharpness));
  }
  return [logits, labels];
}

describe('fitTemperature', () => {
  it('recovers the factor by which logits were made overconfident or underconfident', () => {
    const [sharp, labels] = sample(20_000, 3, 1);
    expect(fitTemperature(sharp, labels)).toBeCloseTo(3, 0);
    const [flat, flatLabels] = sample(20_000, 0.5, 2);
    expect(fitTemperature(flat, flatLabels)).toBeCloseTo(0.5, 1);
  });

  it('lowers the negative log-likelihood, skips unlabeled rows, and is 1 with nothing labeled', () => {
    const [logits, labels] = sample(2000, 4, 3);
    const t = fitTemperature(logits, labels);
    expect(scaledNll(logits, labels, 1 / t)).toBeLessThan(scaledNll(logits, labels, 1));
    const unlabeled = Int32Array.from(labels, (label, i) => (i % 2 === 0 ? -1 : label));
    expect(fitTemperature(logits, unlabeled)).toBeGreaterThan(1);
    expect(fitTemperature(logits, new Int32Array(logits.length).fill(-1))).toBe(1);
  });

  it('counts an outlier as text of no class: its target is equal probabilities, so outliers raise the temperature', () => {
    const [logits, labels] = sample(4000, 1, 4);
    const alone = fitTemperature(logits, labels);
    // Confident logits on out-of-scope rows: the fitted temperature must soften them.
    const [outlierLogits] = sample(2000, 3, 5);
    const mixed = [...logits, ...outlierLogits];
    const mixedLabels = Int32Array.from([...labels, ...outlierLogits.map(() => OUTLIER)]);
    const withOutliers = fitTemperature(mixed, mixedLabels);
    expect(withOutliers).toBeGreaterThan(alone * 1.2);
    // Their weight scales their pull; with weight 0 they count for nothing.
    expect(fitTemperature(mixed, mixedLabels, 0)).toBeCloseTo(alone, 5);
    expect(fitTemperature(mixed, mixedLabels, 1)).toBeGreaterThan(withOutliers);
    // Outliers alone calibrate nothing: without a labeled row the temperature stays 1.
    expect(fitTemperature(outlierLogits, new Int32Array(2000).fill(OUTLIER))).toBe(1);
  });
});
