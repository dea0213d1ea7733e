/**
 * The default model (what `npm start` serves) measured on generated text and on the real-dev
 * sets' official test splits, which are never trained on: CLINC150 and MultiDoGO intents mapped
 * to categories (pipelines/src/train/real-data.ts), CLINC150's out-of-scope queries (how many
 * the triage threshold catches), GoEmotions sentiment. Per head: accuracy, macro-F1, the
 * majority-class accuracy, ECE and the share of answers that are wrong with confidence ≥ 0.9.
 * Prints one JSON line per set; `npm run bench:default-model` (REAL_DEV_DIR as in bench:quality).
 * MODEL_DIR measures another bundle (e.g. a candidate recipe's) instead of the default model.
 */
import path from 'node:path';
import { createLogger } from '../lib/logger.js';
import { ModelRuntime } from '../lib/model/runtime.js';
import { headMetrics } from '../pipelines/src/evaluate/metrics.js';
import { readAllRecords } from '../pipelines/src/data/records.js';
import { generateCustomerPosts } from '../pipelines/src/generate/customer-posts.js';
import { generateInquiries } from '../pipelines/src/generate/inquiries.js';
import { inquiryText } from '../lib/model/runtime.js';
import { ensureDefaultBundle } from '../pipelines/src/train/default-bundle.js';
import {
  GOEMOTIONS_SENTIMENTS,
  mappedCategory,
  outOfScopeTrainingIntents,
} from '../pipelines/src/train/real-data.js';
import { cacheRoot } from '../scripts/testbed/versions.js';

const realDev =
  process.env.REAL_DEV_DIR ??
  path.resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'real-dev');
/** The routing policy's default triage threshold (lib/routing/policy.ts). */
const TRIAGE_BELOW = 0.5;

const logger = createLogger('bench-default-model');
const runtime = await ModelRuntime.load(
  process.env.MODEL_DIR ?? (await ensureDefaultBundle(cacheRoot(), logger)),
);

interface Item {
  text: string;
  label: string;
}

async function measure(set: string, head: string, items: Item[]): Promise<void> {
  const spec = runtime.heads.find((h) => h.name === head);
  if (!spec) return;
  const truth = new Int32Array(items.length);
  const predicted = new Int32Array(items.length);
  const confidence = new Float64Array(items.length);
  for (let start = 0; start < items.length; start += 256) {
    const batch = items.slice(start, start + 256);
    const results = await runtime.classify(batch.map((item) => item.text));
    results.forEach((result, offset) => {
      const i = start + offset;
      truth[i] = spec.labels.indexOf(batch[offset]!.label);
      predicted[i] = spec.labels.indexOf(result[head]!.label);
      confidence[i] = result[head]!.confidence;
    });
  }
  const metrics = headMetrics(spec.labels, truth, predicted, confidence);
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.label, (counts.get(item.label) ?? 0) + 1);
  const majority = Math.max(...counts.values()) / items.length;
  let confidentWrong = 0;
  let triaged = 0;
  for (let i = 0; i < items.length; i++) {
    if (confidence[i]! >= 0.9 && truth[i] !== predicted[i]) confidentWrong++;
    if (confidence[i]! < TRIAGE_BELOW) triaged++;
  }
  console.log(
    JSON.stringify({
      bench: 'default-model',
      version: runtime.version,
      set,
      head,
      examples: items.length,
      accuracy: Number(metrics.accuracy.toFixed(4)),
      macroF1: Number(metrics.macroF1.toFixed(4)),
      majorityAccuracy: Number(majority.toFixed(4)),
      ece: Number(metrics.ece.toFixed(4)),
      wrongWithConfidenceAtLeast09: Number((confidentWrong / items.length).toFixed(4)),
      triagedBelow05: Number((triaged / items.length).toFixed(4)),
    }),
  );
}

async function rows(file: string, keep: (row: Record<string, unknown>) => boolean) {
  return (await readAllRecords(path.join(realDev, file))).filter(keep);
}

const generated = generateInquiries({ n: 5000, seed: 2, noiseRate: 0 });
for (const head of ['category', 'sentiment', 'urgency'] as const) {
  await measure(
    'generated (seed 2, no noise)',
    head,
    generated.map((g) => ({ text: inquiryText(g), label: g[head] })),
  );
}
await measure(
  'customer posts (generator of customer-posts.ts, seed 2)',
  'sentiment',
  generateCustomerPosts({ n: 3000, seed: 2 }).map((post) => ({
    text: post.text,
    label: post.sentiment,
  })),
);
const clinc = await rows('clinc150/clinc150.csv', (row) => row.split === 'test');
await measure(
  'clinc150 test, mapped intents',
  'category',
  clinc
    .filter((row) => mappedCategory('clinc150', String(row.intent)))
    .map((row) => ({
      text: String(row.text),
      label: mappedCategory('clinc150', String(row.intent))!,
    })),
);
const oos = await rows('clinc150/clinc150.csv', (row) => row.split === 'oos_test');
await measure(
  'clinc150 oos_test (out of scope: every answer is wrong, triage should catch it)',
  'category',
  oos.map((row) => ({ text: String(row.text), label: 'out_of_scope' })),
);
// Half the intents with no category trained the category head as outliers (their training rows,
// data/real/clinc150/out-of-scope.csv); the other half is text of intents never trained on.
const outlierIntents = outOfScopeTrainingIntents(clinc.map((row) => String(row.intent)));
const unmapped = clinc.filter((row) => !mappedCategory('clinc150', String(row.intent)));
for (const [seen, set] of [
  [true, 'clinc150 test, intents with no category whose training rows were outliers'],
  [false, 'clinc150 test, intents with no category never trained on (out of scope)'],
] as const) {
  await measure(
    set,
    'category',
    unmapped
      .filter((row) => outlierIntents.has(String(row.intent)) === seen)
      .map((row) => ({ text: String(row.text), label: 'out_of_scope' })),
  );
}
const multidogo = await rows(
  'multidogo/multidogo.csv',
  (row) => row.split === 'test' && mappedCategory('multidogo', String(row.intent)) !== undefined,
);
await measure(
  'multidogo test, mapped intents',
  'category',
  multidogo.map((row) => ({
    text: String(row.text),
    label: mappedCategory('multidogo', String(row.intent))!,
  })),
);
const goemotions = await rows(
  'goemotions/goemotions.csv',
  (row) =>
    row.split === 'test' &&
    (GOEMOTIONS_SENTIMENTS as readonly string[]).includes(String(row.sentiment)),
);
await measure(
  'goemotions test',
  'sentiment',
  goemotions.map((row) => ({ text: String(row.text), label: String(row.sentiment) })),
);
await runtime.release();
