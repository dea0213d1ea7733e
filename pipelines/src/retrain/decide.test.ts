import { decideRetrain, DEFAULT_TRIGGERS, type RetrainSignals } from './decide.js';
import { populationStabilityIndex } from './drift.js';

const quiet: RetrainSignals = {
  newLabels: 10,
  drift: { category: { labels: 0.01, confidence: 0.02 } },
  recentPredictions: 1000,
  onlineAccuracy: 0.9,
  onlineSamples: 200,
};

describe('populationStabilityIndex', () => {
  it('is zero for the same distribution, small for a small shift, large for a big one', () => {
    expect(populationStabilityIndex([0.5, 0.3, 0.2], [50, 30, 20])).toBeCloseTo(0, 10);
    expect(populationStabilityIndex([0.5, 0.3, 0.2], [0.48, 0.32, 0.2])).toBeLessThan(0.01);
    expect(populationStabilityIndex([0.5, 0.3, 0.2], [0.1, 0.2, 0.7])).toBeGreaterThan(0.25);
  });

  it('stays finite when a bin is empty, and refuses different bins', () => {
    expect(Number.isFinite(populationStabilityIndex([0.5, 0.5, 0], [0.4, 0.4, 0.2]))).toBe(true);
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(/same bins/);
  });
});

describe('decideRetrain', () => {
  it('does nothing when no trigger fires', () => {
    expect(decideRetrain(quiet, DEFAULT_TRIGGERS)).toEqual({
      retrain: false,
      reasons: ['no trigger fired'],
    });
  });

  it('retrains on enough new labels, on drift, or on falling online accuracy, naming each reason', () => {
    const decision = decideRetrain(
      {
        ...quiet,
        newLabels: 600,
        drift: { category: { labels: 0.4, confidence: 0.05 } },
        onlineAccuracy: 0.7,
      },
      DEFAULT_TRIGGERS,
    );
    expect(decision.retrain).toBe(true);
    expect(decision.reasons).toEqual([
      '600 new feedback labels (trigger: 500)',
      'category labels drifted: PSI 0.400 > 0.2',
      'online accuracy 0.700 < 0.8 over 200 labels',
    ]);
  });

  it('waits for enough samples before trusting drift or accuracy', () => {
    const thin = {
      ...quiet,
      recentPredictions: 10,
      onlineSamples: 10,
      drift: { category: { labels: 1, confidence: 1 } },
      onlineAccuracy: 0.1,
    };
    expect(decideRetrain(thin, DEFAULT_TRIGGERS).retrain).toBe(false);
    expect(
      decideRetrain({ ...quiet, newLabels: 10_000 }, { ...DEFAULT_TRIGGERS, minNewLabels: 0 })
        .retrain,
    ).toBe(false);
  });
});
