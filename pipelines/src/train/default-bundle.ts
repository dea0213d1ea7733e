/**
 * The default model: trained on first use from 50,000 generated inquiries and cached, so
 * `npm start` works on a fresh machine with nothing downloaded. The cache key changes with the
 * training recipe, so a new recipe trains a new bundle.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../lib/logger.js';
import { MANIFEST_FILE } from '../../../lib/model/bundle.js';
import { inquiryText } from '../../../lib/model/runtime.js';
import { createProgress } from '../cli/progress.js';
import { generateInquiries } from '../generate/inquiries.js';
import { DEFAULT_TRAIN_OPTIONS, trainModel, writeBundle } from './train.js';
import { EXPORT_TOLERANCE, verifyExport } from './verify.js';

const RECIPE = {
  generator: 'v1',
  n: 50_000,
  seed: 1,
  noiseRate: 0.05,
  options: { ...DEFAULT_TRAIN_OPTIONS },
};

export async function ensureDefaultBundle(cacheDir: string, logger: Logger): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify(RECIPE)).digest('hex').slice(0, 12);
  const dir = path.join(cacheDir, 'models', `default-${key}`);
  if (existsSync(path.join(dir, MANIFEST_FILE))) return dir;
  logger.info(
    { dir, examples: RECIPE.n },
    'no default model yet: training it from generated inquiries (about a minute, once)',
  );
  const progress = createProgress(logger);
  const data = generateInquiries({
    n: RECIPE.n,
    seed: RECIPE.seed,
    noiseRate: RECIPE.noiseRate,
  }).map((g) => ({
    text: inquiryText(g),
    labels: { category: g.category, sentiment: g.sentiment, urgency: g.urgency },
  }));
  const model = trainModel(data, {
    ...RECIPE.options,
    onStage: (stage) => {
      if (stage === 'training') progress.stage('training default model', RECIPE.options.maxEpochs);
      else logger.info({ stage }, stage);
    },
    onEpoch: (epoch) => progress.update(epoch.epoch, { val_macro_f1: epoch.validationScore }),
  });
  progress.stop();
  const staging = `${dir}.partial-${process.pid}`;
  await writeBundle(staging, model);
  const check = await verifyExport(staging, model);
  if (check.maxAbsDiff > EXPORT_TOLERANCE) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(
      `the default model's ONNX export disagrees with the trainer (${check.maxAbsDiff})`,
    );
  }
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  logger.info(
    { dir, version: model.manifest.version, metrics: model.manifest.metrics },
    'default model trained and cached',
  );
  return dir;
}
