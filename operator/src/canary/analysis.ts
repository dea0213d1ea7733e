/**
 * The verdict on one analysis metric, from values fetched elsewhere (the providers in
 * `operator/src/analysis/`): pure, so the same observation always gets the same verdict.
 */
import type { ModelVersionStatus } from '../../../crds/generated/modelversions.js';
import { ROLLOUT_DEFAULTS, type AnalysisMetric } from './rollout.js';

/** One entry of `status.lastAnalysis`: what was seen and what it means. */
export type AnalysisResult = NonNullable<ModelVersionStatus['lastAnalysis']>[number];

export type Verdict = AnalysisResult['verdict'];

/**
 * What a provider read for one metric: the candidate's value, the stable version's value
 * (`baseline`, for `maxDegradation`), the sample count behind the value, or why it could not read.
 */
export interface Observation {
  value?: number;
  baseline?: number;
  samples?: number;
  error?: string;
}

/** Tolerance for float noise, so 0.9 is within 0.01 of 0.91. */
const EPSILON = 1e-9;

interface Check {
  verdict: Verdict;
  message: string;
}

/**
 * Judges one metric at `now` (the result's `checkedAt`). Inconclusive when the value is missing or
 * unreadable, when fewer than `minSamples` samples back it, or when `maxDegradation` has no
 * baseline; otherwise Fail if any of `min`, `max`, `maxDegradation` is violated, else Pass. The
 * message is a sentence for a human naming the metric, its value and the thresholds.
 */
export function judgeMetric(
  metric: AnalysisMetric,
  observation: Observation,
  now: Date,
): AnalysisResult {
  const { name } = metric;
  const { value, baseline, samples } = observation;
  const result = (verdict: Verdict, message: string): AnalysisResult => ({
    name,
    ...(value !== undefined && { value }),
    ...(baseline !== undefined && { baseline }),
    ...(samples !== undefined && { samples }),
    verdict,
    message,
    checkedAt: now.toISOString(),
  });

  if (observation.error !== undefined) {
    return result('Inconclusive', sentence(`${name} could not be read: ${observation.error}`));
  }
  if (value === undefined || !Number.isFinite(value)) {
    return result('Inconclusive', `${name} has no value yet.`);
  }
  const needed = metric.minSamples ?? ROLLOUT_DEFAULTS.minSamples;
  if (needed > 0 && samples === undefined) {
    return result('Inconclusive', `${name} has an unknown number of samples, ${needed} needed.`);
  }
  if (samples !== undefined && samples < needed) {
    return result('Inconclusive', `${name}: ${samples} samples, ${needed} needed.`);
  }

  const checks = thresholdChecks(metric, value, baseline);
  if (checks.length === 0) {
    return result(
      'Inconclusive',
      `${name} has no min, max or maxDegradation to judge ${show(value)} against; add one.`,
    );
  }
  const verdict = summarize(checks);
  const relevant = verdict === 'Pass' ? checks : checks.filter((c) => c.verdict === verdict);
  return result(verdict, relevant.map((c) => c.message).join(' '));
}

function thresholdChecks(metric: AnalysisMetric, value: number, baseline?: number): Check[] {
  const { name, min, max, maxDegradation } = metric;
  const checks: Check[] = [];
  if (min !== undefined) {
    checks.push(
      value >= min
        ? {
            verdict: 'Pass',
            message: `${name} ${show(value)} is at least the minimum ${show(min)}.`,
          }
        : { verdict: 'Fail', message: `${name} ${show(value)} is below the minimum ${show(min)}.` },
    );
  }
  if (max !== undefined) {
    checks.push(
      value <= max
        ? {
            verdict: 'Pass',
            message: `${name} ${show(value)} is at most the maximum ${show(max)}.`,
          }
        : { verdict: 'Fail', message: `${name} ${show(value)} is above the maximum ${show(max)}.` },
    );
  }
  if (maxDegradation !== undefined) {
    checks.push(degradationCheck(name, value, maxDegradation, baseline));
  }
  return checks;
}

function degradationCheck(
  name: string,
  value: number,
  maxDegradation: number,
  baseline?: number,
): Check {
  if (baseline === undefined || !Number.isFinite(baseline)) {
    return {
      verdict: 'Inconclusive',
      message: `${name} ${show(value)} has no stable-version value to compare with (maxDegradation ${show(maxDegradation)}).`,
    };
  }
  const drop = baseline - value;
  return drop <= maxDegradation + EPSILON
    ? {
        verdict: 'Pass',
        message: `${name} ${show(value)} is within ${show(maxDegradation)} of the stable version's ${show(baseline)}.`,
      }
    : {
        verdict: 'Fail',
        message: `${name} ${show(value)} is ${show(drop)} below the stable version's ${show(baseline)}, more than the ${show(maxDegradation)} allowed.`,
      };
}

/** The verdict of a whole analysis run: any Fail fails it, else any Inconclusive, else Pass. */
export function summarize(results: readonly { verdict: Verdict }[]): Verdict {
  if (results.some((r) => r.verdict === 'Fail')) return 'Fail';
  if (results.some((r) => r.verdict === 'Inconclusive')) return 'Inconclusive';
  return 'Pass';
}

/** A number as a human reads it: at most 6 significant digits, no float noise (0.030000000000000027 → 0.03). */
function show(value: number): string {
  return String(Number(value.toPrecision(6)));
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
