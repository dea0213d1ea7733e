/** The MLflow client against the test bed's real tracking server. */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MlflowClient, MlflowError } from '../../lib/mlflow/client.js';
import { testbed } from './testbed.js';

describe('MlflowClient', () => {
  const client = new MlflowClient({ trackingUri: testbed.mlflowUrl });
  const unique = `${Date.now()}-${Math.round(Math.random() * 1e6)}`;

  it('creates an experiment once, even when asked twice', async () => {
    const first = await client.ensureExperiment(`client-${unique}`);
    const again = await client.ensureExperiment(`client-${unique}`);
    expect(again).toBe(first);
  });

  it('logs a run with params, tags and per-step metrics, and reads them back', async () => {
    const experiment = await client.ensureExperiment(`client-${unique}`);
    const run = await client.createRun(experiment, 'train', { 'inquiry.pipeline': 'support' });
    await client.logBatch(run.run_id, {
      params: { dim: 48, seed: 42 },
      tags: { 'git.revision': 'abc123' },
      metrics: [
        { key: 'val_macro_f1', value: 0.7, step: 1 },
        { key: 'val_macro_f1', value: 0.8, step: 2 },
        { key: 'test_accuracy', value: 0.91 },
      ],
    });
    await client.finishRun(run.run_id);
    const stored = await client.getRun(run.run_id);
    expect(stored.info.status).toBe('FINISHED');
    expect(stored.data.params).toEqual(
      expect.arrayContaining([
        { key: 'dim', value: '48' },
        { key: 'seed', value: '42' },
      ]),
    );
    expect(
      (await client.metricHistory(run.run_id, 'val_macro_f1')).map((m) => [m.step, m.value]),
    ).toEqual([
      [1, 0.7],
      [2, 0.8],
    ]);
    expect(await client.latestMetrics(run.run_id)).toMatchObject({
      val_macro_f1: 0.8,
      test_accuracy: 0.91,
    });
  });

  it('uploads a directory of artifacts and downloads it back byte for byte', async () => {
    const experiment = await client.ensureExperiment(`client-${unique}`);
    const run = await client.createRun(experiment, 'artifacts');
    const dir = await mkdtemp(path.join(tmpdir(), 'mlflow-artifacts-'));
    try {
      await mkdir(path.join(dir, 'src', 'nested'), { recursive: true });
      await writeFile(path.join(dir, 'src', 'model.json'), '{"version":"v1"}');
      await writeFile(path.join(dir, 'src', 'nested', 'weights.bin'), Buffer.from([0, 1, 2, 255]));
      const uploaded = await client.uploadDirectory(
        run.artifact_uri,
        'bundle',
        path.join(dir, 'src'),
      );
      expect(uploaded.sort()).toEqual(['bundle/model.json', 'bundle/nested/weights.bin']);
      await client.downloadDirectory(run.artifact_uri, 'bundle', path.join(dir, 'copy'));
      expect(await readFile(path.join(dir, 'copy', 'model.json'), 'utf8')).toBe('{"version":"v1"}');
      expect([...(await readFile(path.join(dir, 'copy', 'nested', 'weights.bin')))]).toEqual([
        0, 1, 2, 255,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('registers model versions and moves an alias between them', async () => {
    const name = `inquiry-classifier-${unique}`;
    const experiment = await client.ensureExperiment(`client-${unique}`);
    const run = await client.createRun(experiment, 'register');
    await client.ensureRegisteredModel(name);
    await client.ensureRegisteredModel(name);
    const v1 = await client.createModelVersion(name, `runs:/${run.run_id}/bundle`, run.run_id);
    const v2 = await client.createModelVersion(name, `runs:/${run.run_id}/bundle`, run.run_id);
    expect(await client.versionByAlias(name, 'champion')).toBeUndefined();
    await client.setAlias(name, 'champion', v1.version);
    expect((await client.versionByAlias(name, 'champion'))?.version).toBe(v1.version);
    await client.setAlias(name, 'champion', v2.version);
    expect((await client.versionByAlias(name, 'champion'))?.version).toBe(v2.version);
    expect((await client.getModelVersion(name, v2.version)).aliases).toContain('champion');
  });

  it('reports what MLflow refused, without retrying it', async () => {
    const error = await client.getRun('0000000000000000000000000000dead').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlflowError);
    expect((error as MlflowError).notFound).toBe(true);
  });

  it('retries a server that is down, then fails with a clear message', async () => {
    const down = new MlflowClient({
      trackingUri: 'http://127.0.0.1:9',
      attempts: 3,
      backoffMs: 10,
    });
    await expect(down.ensureExperiment('x')).rejects.toThrow(/failed after 3 attempts/);
  });
});
