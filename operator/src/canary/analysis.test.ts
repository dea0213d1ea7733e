import { judgeMetric, summarize, type Verdict } from './analysis.js';
import type { AnalysisMetric } from './rollout.js';

const now = new Date('2025-03-01T10:00:00.000Z');
const accuracy: AnalysisMetric = {
  name: 'online-accuracy',
  provider: 'mlflow',
  metric: 'online.accuracy',
  sampleMetric: 'online.samples',
  minSamples: 50,
  min: 0.85,
};
const errorRate: AnalysisMetric = {
  name: 'error-rate',
  provider: 'prometheus',
  query: 'sum(rate(errors[2m]))',
  max: 0.01,
};
const macroF1: AnalysisMetric = {
  name: 'offline-macro-f1',
  provider: 'mlflow',
  metric: 'test.category.macro_f1',
  maxDegradation: 0.01,
};

describe('judgeMetric', () => {
  it('passes a value at or above min, and records what it saw and when', () => {
    expect(judgeMetric(accuracy, { value: 0.91, samples: 120 }, now)).toEqual({
      name: 'online-accuracy',
      value: 0.91,
      samples: 120,
      verdict: 'Pass',
      message: 'online-accuracy 0.91 is at least the minimum 0.85.',
      checkedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(judgeMetric(accuracy, { value: 0.85, samples: 50 }, now).verdict).toBe('Pass');
  });

  it('fails a value below min, naming the metric, the value and the threshold', () => {
    const result = judgeMetric(accuracy, { value: 0.7, samples: 500 }, now);
    expect(result.verdict).toBe('Fail');
    expect(result.message).toBe('online-accuracy 0.7 is below the minimum 0.85.');
  });

  it('passes a value at or below max and fails one above', () => {
    expect(judgeMetric(errorRate, { value: 0.01 }, now)).toMatchObject({
      verdict: 'Pass',
      message: 'error-rate 0.01 is at most the maximum 0.01.',
    });
    expect(judgeMetric(errorRate, { value: 0.03 }, now)).toMatchObject({
      verdict: 'Fail',
      message: 'error-rate 0.03 is above the maximum 0.01.',
    });
  });

  it('passes a value no more than maxDegradation below the baseline (higher is better)', () => {
    expect(judgeMetric(macroF1, { value: 0.9, baseline: 0.91 }, now)).toMatchObject({
      verdict: 'Pass',
      baseline: 0.91,
      message: "offline-macro-f1 0.9 is within 0.01 of the stable version's 0.91.",
    });
    expect(judgeMetric(macroF1, { value: 0.95, baseline: 0.91 }, now).verdict).toBe('Pass');
  });

  it('fails a value degraded by more than maxDegradation, saying by how much', () => {
    expect(judgeMetric(macroF1, { value: 0.88, baseline: 0.91 }, now)).toMatchObject({
      verdict: 'Fail',
      message:
        "offline-macro-f1 0.88 is 0.03 below the stable version's 0.91, more than the 0.01 allowed.",
    });
  });

  it('is inconclusive for maxDegradation without a baseline', () => {
    expect(judgeMetric(macroF1, { value: 0.9 }, now)).toMatchObject({
      verdict: 'Inconclusive',
      message:
        'offline-macro-f1 0.9 has no stable-version value to compare with (maxDegradation 0.01).',
    });
  });

  it('is inconclusive with too few samples, whatever the value', () => {
    expect(judgeMetric(accuracy, { value: 0.2, samples: 3 }, now)).toMatchObject({
      verdict: 'Inconclusive',
      value: 0.2,
      samples: 3,
      message: 'online-accuracy: 3 samples, 50 needed.',
    });
    expect(judgeMetric(accuracy, { value: 0.9 }, now)).toMatchObject({
      verdict: 'Inconclusive',
      message: 'online-accuracy has an unknown number of samples, 50 needed.',
    });
    expect(judgeMetric(errorRate, { value: 0.001 }, now).verdict).toBe('Pass');
  });

  it('is inconclusive when the value could not be read or is missing', () => {
    expect(judgeMetric(errorRate, { error: 'prometheus answered 503' }, now)).toMatchObject({
      verdict: 'Inconclusive',
      message: 'error-rate could not be read: prometheus answered 503.',
    });
    expect(judgeMetric(errorRate, { value: 0.001, error: 'timeout.' }, now).message).toBe(
      'error-rate could not be read: timeout.',
    );
    expect(judgeMetric(errorRate, {}, now)).toMatchObject({
      verdict: 'Inconclusive',
      message: 'error-rate has no value yet.',
    });
    expect(judgeMetric(errorRate, { value: Number.NaN }, now).verdict).toBe('Inconclusive');
  });

  it('checks every threshold: a failure outweighs a missing baseline, a pass lists them all', () => {
    const bounded: AnalysisMetric = { ...accuracy, max: 0.99, maxDegradation: 0.02 };
    expect(judgeMetric(bounded, { value: 0.8, samples: 60 }, now)).toMatchObject({
      verdict: 'Fail',
      message: 'online-accuracy 0.8 is below the minimum 0.85.',
    });
    expect(judgeMetric(bounded, { value: 0.9, samples: 60 }, now).verdict).toBe('Inconclusive');
    expect(judgeMetric(bounded, { value: 0.9, baseline: 0.91, samples: 60 }, now)).toMatchObject({
      verdict: 'Pass',
      message:
        "online-accuracy 0.9 is at least the minimum 0.85. online-accuracy 0.9 is at most the maximum 0.99. online-accuracy 0.9 is within 0.02 of the stable version's 0.91.",
    });
  });

  it('is inconclusive for a metric without any threshold, saying what to add', () => {
    const bare: AnalysisMetric = { name: 'latency', provider: 'prometheus', query: 'q' };
    expect(judgeMetric(bare, { value: 1 }, now)).toMatchObject({
      verdict: 'Inconclusive',
      message: 'latency has no min, max or maxDegradation to judge 1 against; add one.',
    });
  });
});

describe('summarize', () => {
  const of = (...verdicts: Verdict[]) => verdicts.map((verdict) => ({ verdict }));

  it.each<[Verdict[], Verdict]>([
    [['Pass', 'Pass'], 'Pass'],
    [[], 'Pass'],
    [['Pass', 'Inconclusive'], 'Inconclusive'],
    [['Inconclusive', 'Fail', 'Pass'], 'Fail'],
    [['Fail'], 'Fail'],
  ])('%j → %s', (verdicts, expected) => {
    expect(summarize(of(...verdicts))).toBe(expected);
  });
});
