import { headMetrics } from './metrics.js';

describe('headMetrics', () => {
  const labels = ['a', 'b', 'c'];

  it('computes accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix', () => {
    const truth = [0, 0, 0, 1, 1, 2];
    const predicted = [0, 0, 1, 1, 2, 2];
    const metrics = headMetrics(labels, truth, predicted, [0.9, 0.9, 0.6, 0.7, 0.5, 0.8]);
    expect(metrics.accuracy).toBeCloseTo(4 / 6);
    expect(metrics.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    const [a, b, c] = metrics.perClass;
    expect(a).toMatchObject({ precision: 1, recall: 2 / 3, support: 3 });
    expect(b).toMatchObject({ precision: 0.5, recall: 0.5, support: 2 });
    expect(c).toMatchObject({ precision: 0.5, recall: 1, support: 1 });
    expect(metrics.macroF1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3);
  });

  it('skips unlabeled rows and classes without support in the macro average', () => {
    const metrics = headMetrics(labels, [0, -1, 0], [0, 2, 0], [0.95, 0.4, 0.95]);
    expect(metrics.count).toBe(2);
    expect(metrics.accuracy).toBe(1);
    expect(metrics.macroF1).toBe(1);
  });

  it('measures calibration: confident and right is calibrated, confident and wrong is not', () => {
    const calibrated = headMetrics(labels, [0, 1, 2, 0], [0, 1, 2, 0], [0.99, 0.99, 0.99, 0.99]);
    expect(calibrated.ece).toBeCloseTo(0.01);
    const overconfident = headMetrics(labels, [0, 1, 2, 0], [1, 2, 0, 0], [0.95, 0.95, 0.95, 0.95]);
    expect(overconfident.ece).toBeCloseTo(0.7);
  });
});
