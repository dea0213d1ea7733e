/**
 * `evaluate`: a bundle's quality on labeled data (accuracy, macro-F1, per-class precision /
 * recall, confusion matrices, calibration) and its speed, and whether it beats the current
 * champion on the same data.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelRuntime } from '../../../lib/model/runtime.js';
import type { LabeledText } from '../train/train.js';
import { confusionSvg } from './confusion-svg.js';
import { headMetrics, type HeadMetrics } from './metrics.js';

export interface HeadEvaluation extends HeadMetrics {
  labels: string[];
  /** Examples whose true label the model does not know (not counted in the metrics). */
  unknownLabels: number;
  /** Those labels, each once (at most 20). */
  unknownLabelValues: string[];
  /** Rows out of this head's scope (`LabeledText.outlierFor`): how sure the model was of them. */
  outOfScope?: OutOfScopeEvaluation;
}

/** The answers on text that belongs to none of a head's classes: every one is wrong. */
export interface OutOfScopeEvaluation {
  examples: number;
  meanConfidence: number;
  /** Share answered with confidence ≥ 0.9 (confidently wrong). */
  confidentShare: number;
  /** Share answered with confidence < 0.5 (the routing policy's default triage threshold). */
  belowHalfShare: number;
}

/** What the answers on out-of-scope rows say, or undefined without such rows. */
export function outOfScopeEvaluation(
  confidences: readonly number[],
): OutOfScopeEvaluation | undefined {
  const n = confidences.length;
  if (n === 0) return undefined;
  const share = (keep: (c: number) => boolean) => confidences.filter(keep).length / n;
  return {
    examples: n,
    meanConfidence: confidences.reduce((sum, c) => sum + c, 0) / n,
    confidentShare: share((c) => c >= 0.9),
    belowHalfShare: share((c) => c < 0.5),
  };
}

export interface ModelEvaluation {
  version: string;
  examples: number;
  heads: Record<string, HeadEvaluation>;
  latency: {
    /** Texts per second when classified in batches of `batchSize`. */
    batchTextsPerSecond: number;
    batchSize: number;
    /** One text at a time. */
    singleP50Ms: number;
    singleP99Ms: number;
  };
}

export interface Comparison {
  championVersion: string;
  better: boolean;
  /** Candidate minus champion macro-F1, per head both have. */
  macroF1Delta: Record<string, number>;
  reasons: string[];
}

export interface EvaluationReport {
  candidate: ModelEvaluation;
  champion?: ModelEvaluation;
  comparison?: Comparison;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** Runs the bundle in `dir` over `data` (in batches) and measures it. */
export async function evaluateBundle(
  dir: string,
  data: readonly LabeledText[],
  { batchSize = 256, latencySamples = 200 } = {},
): Promise<ModelEvaluation> {
  const runtime = await ModelRuntime.load(dir);
  try {
    const heads = runtime.heads.filter((head) =>
      data.some((example) => example.labels[head.name] || example.outlierFor?.includes(head.name)),
    );
    if (heads.length === 0) {
      throw new Error(
        `the data has no labels for any head of model ${runtime.version} (${runtime.heads.map((h) => h.name).join(', ')})`,
      );
    }
    const predicted = heads.map(() => new Int32Array(data.length));
    const confidence = heads.map(() => new Float64Array(data.length));
    const started = performance.now();
    for (let start = 0; start < data.length; start += batchSize) {
      const batch = data.slice(start, start + batchSize);
      const results = await runtime.classify(batch.map((example) => example.text));
      results.forEach((result, offset) =>
        heads.forEach((head, h) => {
          const prediction = result[head.name]!;
          predicted[h]![start + offset] = head.labels.indexOf(prediction.label);
          confidence[h]![start + offset] = prediction.confidence;
        }),
      );
    }
    const batchSeconds = (performance.now() - started) / 1000;
    const single: number[] = [];
    for (const example of data.slice(0, latencySamples)) {
      const t = performance.now();
      await runtime.classify([example.text]);
      single.push(performance.now() - t);
    }
    single.sort((a, b) => a - b);
    const evaluations = Object.fromEntries(
      heads.map((head, h) => {
        let unknownLabels = 0;
        const unknownLabelValues = new Set<string>();
        const truth = data.map((example) => {
          const label = example.labels[head.name];
          if (!label) return -1;
          const index = head.labels.indexOf(label);
          if (index < 0) {
            unknownLabels++;
            if (unknownLabelValues.size < 20) unknownLabelValues.add(label);
          }
          return index;
        });
        const metrics = headMetrics(head.labels, truth, predicted[h]!, confidence[h]!);
        const outOfScope = outOfScopeEvaluation(
          data.flatMap((example, i) =>
            example.outlierFor?.includes(head.name) ? [confidence[h]![i]!] : [],
          ),
        );
        return [
          head.name,
          {
            ...metrics,
            labels: head.labels,
            unknownLabels,
            unknownLabelValues: [...unknownLabelValues],
            ...(outOfScope ? { outOfScope } : {}),
          },
        ];
      }),
    );
    return {
      version: runtime.version,
      examples: data.length,
      heads: evaluations,
      latency: {
        batchTextsPerSecond: data.length / batchSeconds,
        batchSize,
        singleP50Ms: percentile(single, 0.5),
        singleP99Ms: percentile(single, 0.99),
      },
    };
  } finally {
    await runtime.release();
  }
}

/**
 * The candidate is better when its mean macro-F1 over the heads both models have is higher and
 * no such head is worse by more than `tolerance`.
 */
export function compareWithChampion(
  candidate: ModelEvaluation,
  champion: ModelEvaluation,
  tolerance = 0.01,
): Comparison {
  const shared = Object.keys(candidate.heads).filter((head) => head in champion.heads);
  const macroF1Delta = Object.fromEntries(
    shared.map((head) => [head, candidate.heads[head]!.macroF1 - champion.heads[head]!.macroF1]),
  );
  const meanDelta =
    shared.reduce((sum, head) => sum + macroF1Delta[head]!, 0) / Math.max(1, shared.length);
  const worse = shared.filter((head) => macroF1Delta[head]! < -tolerance);
  const better = shared.length > 0 && meanDelta > 0 && worse.length === 0;
  const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
  const reasons: string[] = [];
  if (shared.length === 0) reasons.push('the two models share no head: they cannot be compared');
  else reasons.push(`mean macro-F1 ${signed(meanDelta)} against ${champion.version}`);
  for (const head of worse) {
    reasons.push(
      `${head} macro-F1 ${signed(macroF1Delta[head]!)} is below the tolerance of -${tolerance}`,
    );
  }
  return { championVersion: champion.version, better, macroF1Delta, reasons };
}

/** report.json plus one confusion-matrix picture per head (SVG) and JSON. */
export async function writeReport(dir: string, report: EvaluationReport): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = ['report.json'];
  await writeFile(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  for (const [head, evaluation] of Object.entries(report.candidate.heads)) {
    const title = `${head} — ${report.candidate.version} (accuracy ${evaluation.accuracy.toFixed(3)}, macro-F1 ${evaluation.macroF1.toFixed(3)})`;
    await writeFile(
      path.join(dir, `confusion-${head}.svg`),
      confusionSvg(title, evaluation.labels, evaluation.confusion),
    );
    await writeFile(
      path.join(dir, `confusion-${head}.json`),
      JSON.stringify({ labels: evaluation.labels, confusion: evaluation.confusion }),
    );
    files.push(`confusion-${head}.svg`, `confusion-${head}.json`);
  }
  return files;
}
