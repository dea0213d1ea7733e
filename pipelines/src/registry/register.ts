/**
 * `register`: records a trained bundle in MLflow — a run in the pipeline's experiment with the
 * training parameters, per-epoch metrics, test metrics, data hash and git revision, the bundle
 * and the evaluation report as artifacts — then a new version of the registered model pointing
 * at the bundle, with the alias `challenger`. Returns the ModelVersion resource the operator
 * takes from there.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { MlflowClient } from '../../../lib/mlflow/client.js';
import { readManifest } from '../../../lib/model/bundle.js';
import { CHALLENGER } from './model-source.js';

const execFileAsync = promisify(execFile);

export interface RegisterOptions {
  bundleDir: string;
  /** The InquiryPipeline this model belongs to: names the experiment and the resource. */
  pipeline: string;
  modelName: string;
  evaluationDir?: string;
  /** Defaults to $GIT_REVISION, then `git rev-parse HEAD`. */
  gitRevision?: string;
  namespace?: string;
  /** The ModelVersion's spec.rollout; absent: the CRD's default. */
  rollout?: Record<string, unknown>;
}

export interface Registration {
  experimentId: string;
  runId: string;
  modelName: string;
  version: string;
  source: string;
  modelVersion: string;
  resource: ModelVersionResource;
}

/** The ModelVersion custom resource that hands a registered model to the operator. */
export interface ModelVersionResource {
  apiVersion: 'inquiries.mlops.io/v1alpha1';
  kind: 'ModelVersion';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  spec: {
    pipeline: string;
    model: { name: string; version: string; runId: string };
    artifactUri: string;
    rollout?: Record<string, unknown>;
  };
}

export async function gitRevision(): Promise<string | undefined> {
  if (process.env.GIT_REVISION) return process.env.GIT_REVISION;
  try {
    return (await execFileAsync('git', ['rev-parse', 'HEAD'])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A ModelVersion's spec.rollout given as JSON or YAML text (the retrain Workflow passes its
 * pipeline's retraining.rollout as JSON): an object, or undefined for empty text. Its fields are
 * checked by the ModelVersion schema when the resource is created.
 */
export function parseRollout(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new Error(`the rollout is neither JSON nor YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('the rollout must be an object, e.g. {"strategy":"Canary","steps":[…]}');
  return value as Record<string, unknown>;
}

/** A DNS-1123 name for the ModelVersion resource: `<pipeline>-v<registry version>`. */
export function resourceName(pipeline: string, version: string): string {
  const base = `${pipeline}-v${version}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return base.slice(0, 63).replace(/-+$/, '');
}

export async function registerBundle(
  client: MlflowClient,
  options: RegisterOptions,
): Promise<Registration> {
  const manifest = await readManifest(options.bundleDir);
  const revision = options.gitRevision ?? (await gitRevision());
  const experimentId = await client.ensureExperiment(`inquiry-platform/${options.pipeline}`, {
    'inquiry.pipeline': options.pipeline,
  });
  const run = await client.createRun(experimentId, `train-${manifest.version}`, {
    'inquiry.pipeline': options.pipeline,
    'inquiry.model_version': manifest.version,
    ...(manifest.dataHash ? { 'inquiry.data_hash': manifest.dataHash } : {}),
    ...(revision ? { 'mlflow.source.git.commit': revision } : {}),
  });
  try {
    const epochMetrics = (manifest.history ?? []).flatMap((epoch) => [
      { key: 'train_loss', value: epoch.loss, step: epoch.epoch },
      { key: 'val_macro_f1', value: epoch.validationScore, step: epoch.epoch },
    ]);
    const testMetrics = Object.entries(manifest.metrics).map(([key, value]) => ({
      key: `test.${key}`,
      value,
    }));
    await client.logBatch(run.run_id, {
      params: {
        ...manifest.params,
        architecture: manifest.architecture,
        max_length: manifest.maxLength,
        heads: manifest.heads.map((head) => `${head.name}(${head.labels.length})`).join(','),
        ...(manifest.dataHash ? { data_hash: manifest.dataHash } : {}),
      },
      metrics: [...epochMetrics, ...testMetrics],
    });
    await client.uploadDirectory(run.artifact_uri, 'bundle', options.bundleDir);
    if (options.evaluationDir && existsSync(options.evaluationDir)) {
      await client.uploadDirectory(run.artifact_uri, 'evaluation', options.evaluationDir);
    }
    await client.ensureRegisteredModel(
      options.modelName,
      'Inquiry classifier (category, sentiment, urgency, …)',
    );
    const source = `${run.artifact_uri}/bundle`;
    const registered = await client.createModelVersion(options.modelName, source, run.run_id, {
      'inquiry.model_version': manifest.version,
      'inquiry.pipeline': options.pipeline,
    });
    await client.setAlias(options.modelName, CHALLENGER, registered.version);
    await client.finishRun(run.run_id);
    return {
      experimentId,
      runId: run.run_id,
      modelName: options.modelName,
      version: registered.version,
      source,
      modelVersion: manifest.version,
      resource: {
        apiVersion: 'inquiries.mlops.io/v1alpha1',
        kind: 'ModelVersion',
        metadata: {
          name: resourceName(options.pipeline, registered.version),
          ...(options.namespace ? { namespace: options.namespace } : {}),
          labels: { 'inquiries.mlops.io/pipeline': options.pipeline },
        },
        spec: {
          pipeline: options.pipeline,
          model: { name: options.modelName, version: registered.version, runId: run.run_id },
          artifactUri: source,
          ...(options.rollout ? { rollout: options.rollout } : {}),
        },
      },
    };
  } catch (error) {
    await client.finishRun(run.run_id, 'FAILED').catch(() => {});
    throw new Error(`registering ${manifest.version} in MLflow failed`, { cause: error });
  }
}
