/** `inquiry-pipeline evaluate` and `register`: the logic behind the two commands. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { Logger } from '../../../lib/logger.js';
import { MlflowClient } from '../../../lib/mlflow/client.js';
import { readAllRecords, type RecordFormat } from '../data/records.js';
import {
  compareWithChampion,
  evaluateBundle,
  writeReport,
  type EvaluationReport,
  type ModelEvaluation,
} from '../evaluate/evaluate.js';
import { CHAMPION, downloadAliased } from '../registry/model-source.js';
import { registerBundle } from '../registry/register.js';
import { labelColumns, toLabeledTexts } from './train-command.js';

export interface EvaluateCommandOptions {
  bundle: string;
  data: string;
  format?: RecordFormat;
  textFields: string[];
  labels: string[];
  out?: string;
  championModel?: string;
  /** Fail when any row's label is one the model does not know. */
  strict?: boolean;
  /** A column naming the heads a row is out of scope for (as `train --outlier-column`). */
  outlierColumn?: string;
}

/** Rows per head whose label the model does not know, as one sentence (empty when none). */
export function unknownLabelSummary(evaluation: ModelEvaluation): string {
  return Object.entries(evaluation.heads)
    .filter(([, head]) => head.unknownLabels > 0)
    .map(
      ([name, head]) =>
        `${head.unknownLabels} of ${evaluation.examples} rows have a ${name} label the model does not know (${head.unknownLabelValues.join(', ')}; it knows ${head.labels.join(', ')})`,
    )
    .join('; ');
}

export async function runEvaluate(
  options: EvaluateCommandOptions,
  logger: Logger,
): Promise<EvaluationReport> {
  const data = toLabeledTexts(
    await readAllRecords(options.data, options.format),
    options.textFields,
    labelColumns(options.labels),
    options.data,
    options,
  );
  const candidate = await evaluateBundle(options.bundle, data);
  const unknown = unknownLabelSummary(candidate);
  if (unknown) {
    if (options.strict) throw new Error(`${options.data}: ${unknown} (--strict)`);
    logger.warn(
      {
        unknownLabels: Object.fromEntries(
          Object.entries(candidate.heads).map(([name, head]) => [name, head.unknownLabels]),
        ),
      },
      `${unknown}: those rows are left out of that head's metrics`,
    );
  }
  const report: EvaluationReport = { candidate };
  if (options.championModel) {
    const champion = await downloadAliased(MlflowClient.fromEnv(), options.championModel, CHAMPION);
    if (!champion) {
      logger.warn({ model: options.championModel }, 'no champion yet: nothing to compare with');
    } else {
      try {
        report.champion = await evaluateBundle(champion.dir, data);
        report.comparison = compareWithChampion(candidate, report.champion);
      } finally {
        await rm(champion.dir, { recursive: true, force: true });
      }
    }
  }
  if (options.out) await writeReport(options.out, report);
  return report;
}

/** In a pod with a service account, the ModelVersion is created; elsewhere its YAML is printed. */
function inCluster(): boolean {
  return (
    Boolean(process.env.KUBERNETES_SERVICE_HOST) &&
    existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')
  );
}

export interface RegisterCommandOptions {
  bundle: string;
  pipeline: string;
  modelName: string;
  evaluation?: string;
  namespace?: string;
  rollout?: Record<string, unknown>;
}

export async function runRegister(
  options: RegisterCommandOptions,
  logger: Logger,
): Promise<string> {
  const registration = await registerBundle(MlflowClient.fromEnv(), {
    bundleDir: options.bundle,
    pipeline: options.pipeline,
    modelName: options.modelName,
    ...(options.evaluation ? { evaluationDir: options.evaluation } : {}),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.rollout ? { rollout: options.rollout } : {}),
  });
  logger.info(
    { run: registration.runId, model: registration.modelName, version: registration.version },
    'registered in MLflow with alias challenger',
  );
  if (!inCluster()) return stringify(registration.resource);
  const kc = new k8s.KubeConfig();
  kc.loadFromCluster();
  const created = await k8s.KubernetesObjectApi.makeApiClient(kc).create(registration.resource);
  logger.info(
    { name: created.metadata?.name, namespace: created.metadata?.namespace },
    'ModelVersion created',
  );
  return stringify(created);
}
