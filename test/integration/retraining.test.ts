/**
 * The retraining loop's data on the real PostgreSQL and MLflow: training data from feedback and
 * predictions, online accuracy logged to the model's MLflow run, and the should-retrain signals.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { MlflowClient } from '../../lib/mlflow/client.js';
import type { ModelManifest } from '../../lib/model/bundle.js';
import { labeledInquiries } from '../../lib/store/feedback.js';
import { insertFeedback, insertInquiries } from '../../lib/store/inquiries.js';
import { migrate } from '../../lib/store/migrate.js';
import { createPool } from '../../lib/store/pool.js';
import { finishRun, startRun } from '../../lib/store/runs.js';
import { validateInquiry, type InquiryInput } from '../../lib/inquiry.js';
import { registerBundle } from '../../pipelines/src/registry/register.js';
import { decideRetrain, DEFAULT_TRIGGERS } from '../../pipelines/src/retrain/decide.js';
import { evaluateOnline } from '../../pipelines/src/retrain/online.js';
import { gatherSignals } from '../../pipelines/src/retrain/signals.js';
import { Random } from '../../pipelines/src/train/fasttext.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from '../../pipelines/src/train/train.js';
import { createTestDatabase, testbed } from './testbed.js';

function inquiry(i: number): InquiryInput {
  const result = validateInquiry({
    subject: `Question ${i}`,
    body: `Body of inquiry number ${i}`,
    sender_email: `c${i}@example.com`,
  });
  if (!result.ok) throw new Error('fixture is invalid');
  return result.value;
}

describe('retraining loop data', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: pg.Pool;
  let ids: string[];

  beforeEach(async () => {
    database = await createTestDatabase('retrain');
    pool = createPool(database.url);
    await migrate(pool);
    const inquiries = Array.from({ length: 100 }, (_, i) => inquiry(i));
    const { stored } = await insertInquiries(pool, inquiries, 'test');
    ids = [...stored.values()];
  });

  afterEach(async () => {
    await pool.end();
    await database.drop();
  });

  async function predict(
    version: string,
    head: string,
    rows: { id: string; label: string; confidence: number }[],
  ): Promise<void> {
    await pool.query(
      `INSERT INTO predictions (inquiry_id, model_version, head, label, confidence)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::float8[])`,
      [
        rows.map((r) => r.id),
        rows.map(() => version),
        rows.map(() => head),
        rows.map((r) => r.label),
        rows.map((r) => r.confidence),
      ],
    );
  }

  it('trains on human labels first, then on confident predictions only', async () => {
    await predict('v1', 'category', [
      { id: ids[0]!, label: 'billing', confidence: 0.95 },
      { id: ids[1]!, label: 'sales', confidence: 0.5 },
      { id: ids[2]!, label: 'sales', confidence: 0.99 },
    ]);
    await insertFeedback(pool, [
      { inquiryId: ids[2]!, head: 'category', label: 'legal', reviewer: 'ann' },
      { inquiryId: ids[3]!, head: 'sentiment', label: 'negative', reviewer: 'ann' },
      { inquiryId: ids[3]!, head: 'department', label: 'finance', reviewer: 'ann' },
    ]);
    const rows = await labeledInquiries(pool, ['category', 'sentiment'], 0.9);
    const byId = new Map(rows.map((row) => [row.id, row.labels]));
    expect(byId.get(ids[0]!)).toEqual({ category: 'billing' });
    expect(byId.has(ids[1]!)).toBe(false);
    expect(byId.get(ids[2]!)).toEqual({ category: 'legal' });
    expect(byId.get(ids[3]!)).toEqual({ sentiment: 'negative' });
    expect(rows).toHaveLength(3);
    // Which labels a person gave: what the retrained model's temperatures are fitted on.
    const reviewed = new Map(rows.map((row) => [row.id, row.reviewed]));
    expect(reviewed.get(ids[0]!)).toEqual([]);
    expect(reviewed.get(ids[2]!)).toEqual(['category']);
    expect(reviewed.get(ids[3]!)).toEqual(['sentiment']);
    expect(await labeledInquiries(pool, ['category'], 1.1)).toEqual([
      expect.objectContaining({
        id: ids[2],
        labels: { category: 'legal' },
        reviewed: ['category'],
      }),
    ]);
  });

  it('logs online accuracy per model version to its MLflow run, and feeds the retrain decision', async () => {
    // A real (small) champion, registered so its run carries the model version tag.
    const random = new Random(5);
    const data = Array.from({ length: 400 }, () => {
      const category = random.int(2) === 0 ? 'billing' : 'sales';
      return {
        text: `about the ${category === 'billing' ? 'invoice' : 'quote'} ${random.int(50)}`,
        labels: { category },
      };
    });
    const model = trainModel(data, {
      ...DEFAULT_TRAIN_OPTIONS,
      vocabSize: 200,
      minWordFrequency: 1,
      buckets: 256,
      dim: 8,
    });
    const dir = await mkdtemp(path.join(tmpdir(), 'retrain-'));
    const client = new MlflowClient({ trackingUri: testbed.mlflowUrl });
    const pipeline = `retrain-${Date.now()}`;
    try {
      await writeBundle(dir, model);
      const registration = await registerBundle(client, {
        bundleDir: dir,
        pipeline,
        modelName: `${pipeline}-model`,
      });
      const manifest: ModelManifest = model.manifest;
      const version = manifest.version;

      // 80 predictions of the champion, half billing, half sales, confident; 60 labeled by humans, 45 agree.
      await predict(
        version,
        'category',
        ids
          .slice(0, 80)
          .map((id, i) => ({ id, label: i % 2 ? 'sales' : 'billing', confidence: 0.97 })),
      );
      await insertFeedback(
        pool,
        ids.slice(0, 60).map((id, i) => ({
          inquiryId: id,
          head: 'category',
          label: i < 45 ? (i % 2 ? 'sales' : 'billing') : 'legal',
          reviewer: 'qa',
        })),
      );

      const results = await evaluateOnline(pool, client, { pipeline, windowHours: 24 });
      expect(results).toEqual([
        {
          modelVersion: version,
          accuracy: 0.75,
          samples: 60,
          heads: { category: { accuracy: 0.75, samples: 60 } },
          runId: registration.runId,
        },
      ]);
      expect(await client.latestMetrics(registration.runId)).toMatchObject({
        'online.accuracy': 0.75,
        'online.samples': 60,
        'online.category.samples': 60,
      });

      const signals = await gatherSignals(pool, manifest, { windowHours: 24 });
      expect(signals).toMatchObject({
        newLabels: 60,
        recentPredictions: 80,
        onlineAccuracy: 0.75,
        onlineSamples: 60,
      });
      const decision = decideRetrain(signals, { ...DEFAULT_TRIGGERS, minNewLabels: 100 });
      expect(decision.retrain).toBe(true);
      expect(decision.reasons).toContain('online accuracy 0.750 < 0.8 over 60 labels');

      // A training run after those labels resets the new-label count.
      const run = await startRun(pool, 'train', 'test');
      await finishRun(pool, run, { status: 'succeeded', stats: {} });
      expect((await gatherSignals(pool, manifest, { windowHours: 24 })).newLabels).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
