/** register and evaluate against the test bed's real MLflow tracking server and registry. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MlflowClient } from '../../lib/mlflow/client.js';
import { ModelRuntime } from '../../lib/model/runtime.js';
import {
  compareWithChampion,
  evaluateBundle,
  writeReport,
} from '../../pipelines/src/evaluate/evaluate.js';
import {
  CHALLENGER,
  CHAMPION,
  downloadAliased,
} from '../../pipelines/src/registry/model-source.js';
import { registerBundle } from '../../pipelines/src/registry/register.js';
import { Random } from '../../pipelines/src/train/fasttext.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  trainModel,
  writeBundle,
  type LabeledText,
} from '../../pipelines/src/train/train.js';
import { testbed } from './testbed.js';

/** Topic words decide the category; with `mislabel`, that share of legal texts is labeled sales. */
function topics(n: number, seed: number, mislabel = 0): LabeledText[] {
  const random = new Random(seed);
  const words: Record<string, string[]> = {
    billing: ['invoice', 'refund', 'charge', 'receipt'],
    sales: ['quote', 'pricing', 'demo', 'discount'],
    legal: ['contract', 'gdpr', 'nda', 'subpoena'],
  };
  const categories = Object.keys(words);
  return Array.from({ length: n }, () => {
    const truth = categories[random.int(3)]!;
    const category = truth === 'legal' && random.float() < mislabel ? 'sales' : truth;
    return {
      text: `hello about the ${words[truth]![random.int(4)]!} for our team please`,
      labels: { category },
    };
  });
}

const small = {
  ...DEFAULT_TRAIN_OPTIONS,
  vocabSize: 300,
  minWordFrequency: 1,
  buckets: 1024,
  dim: 8,
};

describe('register and evaluate with MLflow', () => {
  const client = new MlflowClient({ trackingUri: testbed.mlflowUrl });
  const modelName = `inquiry-classifier-${Date.now()}`;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'register-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records the run, the artifacts, a model version with the challenger alias, and the ModelVersion resource', async () => {
    const model = trainModel(topics(300, 1, 0.7), { ...small, maxEpochs: 3, patience: 5 });
    await writeBundle(path.join(dir, 'a'), model);
    const evaluation = await evaluateBundle(path.join(dir, 'a'), topics(100, 9), {
      latencySamples: 5,
    });
    await writeReport(path.join(dir, 'a-report'), { candidate: evaluation });

    const registration = await registerBundle(client, {
      bundleDir: path.join(dir, 'a'),
      evaluationDir: path.join(dir, 'a-report'),
      pipeline: 'support-emea',
      modelName,
      gitRevision: 'deadbeef',
      namespace: 'inquiries',
    });
    expect(registration.version).toBe('1');
    const run = await client.getRun(registration.runId);
    expect(run.info.status).toBe('FINISHED');
    const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({
      data_hash: model.manifest.dataHash,
      architecture: 'fasttext-bag',
      dim: '8',
    });
    const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags['mlflow.source.git.commit']).toBe('deadbeef');
    const history = await client.metricHistory(registration.runId, 'val_macro_f1');
    expect(history.map((m) => m.step)).toEqual(model.history.map((e) => e.epoch));
    expect((await client.latestMetrics(registration.runId))['test.category.macro_f1']).toBeCloseTo(
      model.manifest.metrics['category.macro_f1']!,
      6,
    );
    const evaluationFiles = (await client.listArtifacts(run.info.artifact_uri, 'evaluation')).map(
      (f) => f.path,
    );
    expect(evaluationFiles.some((file) => file.endsWith('confusion-category.svg'))).toBe(true);

    const challenger = await downloadAliased(client, modelName, CHALLENGER);
    expect(challenger?.version.version).toBe('1');
    const runtime = await ModelRuntime.load(challenger!.dir);
    expect(runtime.version).toBe(model.manifest.version);
    await runtime.release();
    expect(await readFile(path.join(challenger!.dir, 'model.onnx'))).toEqual(
      await readFile(path.join(dir, 'a', 'model.onnx')),
    );
    await rm(challenger!.dir, { recursive: true, force: true });

    expect(registration.resource).toEqual({
      apiVersion: 'inquiries.mlops.io/v1alpha1',
      kind: 'ModelVersion',
      metadata: {
        name: 'support-emea-v1',
        namespace: 'inquiries',
        labels: { 'inquiries.mlops.io/pipeline': 'support-emea' },
      },
      spec: {
        pipeline: 'support-emea',
        model: { name: modelName, version: '1', runId: registration.runId },
        artifactUri: registration.source,
      },
    });
  });

  it('compares a candidate with the champion downloaded from the registry', async () => {
    await client.setAlias(modelName, CHAMPION, '1');
    const candidate = trainModel(topics(1500, 2), small);
    await writeBundle(path.join(dir, 'b'), candidate);
    const gold = topics(300, 10);
    const champion = await downloadAliased(client, modelName, CHAMPION);
    expect(champion).toBeDefined();
    const [mine, theirs] = await Promise.all([
      evaluateBundle(path.join(dir, 'b'), gold, { latencySamples: 5 }),
      evaluateBundle(champion!.dir, gold, { latencySamples: 5 }),
    ]);
    const comparison = compareWithChampion(mine, theirs);
    expect(comparison.championVersion).toBe(theirs.version);
    expect(mine.heads.category!.macroF1).toBeGreaterThan(theirs.heads.category!.macroF1);
    expect(comparison.better).toBe(true);
    await rm(champion!.dir, { recursive: true, force: true });
  });
});
